// Mirrors nanoframework/CoreLibrary nanoFramework.CoreLibrary/System/{DateTime,TimeSpan,DayOfWeek}.cs (CoreLibrary 1.17.11).
// Everything is UTC on the board; DateTime.Now does not exist, UtcNow does.

namespace System
{
    public enum DateTimeKind
    {
        Utc = 1,
        Local = 2,
    }

    public enum DayOfWeek
    {
        Sunday = 0,
        Monday = 1,
        Tuesday = 2,
        Wednesday = 3,
        Thursday = 4,
        Friday = 5,
        Saturday = 6,
    }

    public struct DateTime
    {
        public static readonly DateTime MinValue;
        public static readonly DateTime MaxValue;
        public static readonly DateTime UnixEpoch;

        public DateTime(long ticks) { throw null; }

        public DateTime(long ticks, DateTimeKind kind) { throw null; }

        public DateTime(int year, int month, int day) { throw null; }

        public DateTime(int year, int month, int day, int hour, int minute, int second) { throw null; }

        public DateTime(int year, int month, int day, int hour, int minute, int second, int millisecond) { throw null; }

        public DateTime Add(TimeSpan val) { throw null; }

        public DateTime AddDays(double val) { throw null; }

        public DateTime AddHours(double val) { throw null; }

        public DateTime AddMilliseconds(double val) { throw null; }

        public DateTime AddMinutes(double val) { throw null; }

        public DateTime AddSeconds(double val) { throw null; }

        public DateTime AddTicks(long val) { throw null; }

        public static int Compare(DateTime t1, DateTime t2) { throw null; }

        public int CompareTo(object val) { throw null; }

        public static int DaysInMonth(int year, int month) { throw null; }

        public override bool Equals(object obj) { throw null; }

        public static bool Equals(DateTime t1, DateTime t2) { throw null; }

        public override int GetHashCode() { throw null; }

        public DateTime Date => throw null;

        public int Day => throw null;

        public DayOfWeek DayOfWeek => throw null;

        public int DayOfYear => throw null;

        public int Hour => throw null;

        public DateTimeKind Kind => throw null;

        public int Millisecond => throw null;

        public int Minute => throw null;

        public int Month => throw null;

        public static DateTime UtcNow => throw null;

        public int Second => throw null;

        public long Ticks => throw null;

        public TimeSpan TimeOfDay => throw null;

        public static DateTime Today => throw null;

        public int Year => throw null;

        public TimeSpan Subtract(DateTime val) { throw null; }

        public DateTime Subtract(TimeSpan val) { throw null; }

        public override string ToString() { throw null; }

        public string ToString(string format) { throw null; }

        public static DateTime FromUnixTimeSeconds(long seconds) { throw null; }

        public long ToUnixTimeSeconds() { throw null; }

        public static DateTime operator +(DateTime d, TimeSpan t) { throw null; }

        public static DateTime operator -(DateTime d, TimeSpan t) { throw null; }

        public static TimeSpan operator -(DateTime d1, DateTime d2) { throw null; }

        public static bool operator ==(DateTime d1, DateTime d2) { throw null; }

        public static bool operator !=(DateTime t1, DateTime t2) { throw null; }

        public static bool operator <(DateTime t1, DateTime t2) { throw null; }

        public static bool operator <=(DateTime t1, DateTime t2) { throw null; }

        public static bool operator >(DateTime t1, DateTime t2) { throw null; }

        public static bool operator >=(DateTime t1, DateTime t2) { throw null; }
    }

    public struct TimeSpan
    {
        public const long TicksPerMillisecond = 10000;
        public const long TicksPerSecond = TicksPerMillisecond * 1000;
        public const long TicksPerMinute = TicksPerSecond * 60;
        public const long TicksPerHour = TicksPerMinute * 60;
        public const long TicksPerDay = TicksPerHour * 24;

        public static readonly TimeSpan Zero;
        public static readonly TimeSpan MaxValue;
        public static readonly TimeSpan MinValue;

        public TimeSpan(long ticks) { throw null; }

        public TimeSpan(int hours, int minutes, int seconds) { throw null; }

        public TimeSpan(int days, int hours, int minutes, int seconds) { throw null; }

        public TimeSpan(int days, int hours, int minutes, int seconds, int milliseconds) { throw null; }

        public long Ticks => throw null;

        public int Days => throw null;

        public int Hours => throw null;

        public int Milliseconds => throw null;

        public int Minutes => throw null;

        public int Seconds => throw null;

        public double TotalDays => throw null;

        public double TotalHours => throw null;

        public double TotalMilliseconds => throw null;

        public double TotalMinutes => throw null;

        public double TotalSeconds => throw null;

        public TimeSpan Add(TimeSpan ts) { throw null; }

        public static int Compare(TimeSpan t1, TimeSpan t2) { throw null; }

        public int CompareTo(object value) { throw null; }

        public TimeSpan Duration() { throw null; }

        public override bool Equals(object value) { throw null; }

        public static bool Equals(TimeSpan t1, TimeSpan t2) { throw null; }

        public override int GetHashCode() { throw null; }

        public TimeSpan Negate() { throw null; }

        public TimeSpan Subtract(TimeSpan ts) { throw null; }

        public static TimeSpan FromTicks(long value) { throw null; }

        public static TimeSpan FromMilliseconds(long value) { throw null; }

        public static TimeSpan FromSeconds(long value) { throw null; }

        public static TimeSpan FromMinutes(long value) { throw null; }

        public static TimeSpan FromHours(long value) { throw null; }

        public static TimeSpan FromDays(long value) { throw null; }

        public override string ToString() { throw null; }

        public static TimeSpan operator -(TimeSpan t) { throw null; }

        public static TimeSpan operator -(TimeSpan t1, TimeSpan t2) { throw null; }

        public static TimeSpan operator +(TimeSpan t) { throw null; }

        public static TimeSpan operator +(TimeSpan t1, TimeSpan t2) { throw null; }

        public static bool operator ==(TimeSpan t1, TimeSpan t2) { throw null; }

        public static bool operator !=(TimeSpan t1, TimeSpan t2) { throw null; }

        public static bool operator <(TimeSpan t1, TimeSpan t2) { throw null; }

        public static bool operator <=(TimeSpan t1, TimeSpan t2) { throw null; }

        public static bool operator >(TimeSpan t1, TimeSpan t2) { throw null; }

        public static bool operator >=(TimeSpan t1, TimeSpan t2) { throw null; }
    }
}
