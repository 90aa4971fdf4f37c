// Mirrors nanoframework/CoreLibrary nanoFramework.CoreLibrary/System/{Convert,BitConverter,Guid,Random}.cs (CoreLibrary 1.17.11).
// Convert has no ToHexString and no FromHexString on 1.x; Guid has no == or != (use Equals).

namespace System
{
    [Flags]
    public enum Base64FormattingOptions
    {
        None = 0,
        InsertLineBreaks = 1,
    }

    public static class Convert
    {
        public static bool ToBoolean(byte value) { throw null; }

        public static char ToChar(ushort value) { throw null; }

        public static sbyte ToSByte(string value, int fromBase = 10) { throw null; }

        public static byte ToByte(string value, int fromBase = 10) { throw null; }

        public static byte ToByte(bool value) { throw null; }

        public static short ToInt16(string value, int fromBase = 10) { throw null; }

        public static ushort ToUInt16(string value, int fromBase = 10) { throw null; }

        public static int ToInt32(string value, int fromBase = 10) { throw null; }

        public static uint ToUInt32(string value, int fromBase = 10) { throw null; }

        public static long ToInt64(string value, int fromBase = 10) { throw null; }

        public static ulong ToUInt64(string value, int fromBase = 10) { throw null; }

        public static double ToDouble(string value) { throw null; }

        public static float ToSingle(string value) { throw null; }

        public static string ToBase64String(byte[] inArray) { throw null; }

        public static string ToBase64String(byte[] inArray, Base64FormattingOptions options) { throw null; }

        public static string ToBase64String(byte[] inArray, int offset, int length) { throw null; }

        public static string ToBase64String(byte[] inArray, int offset, int length, Base64FormattingOptions options) { throw null; }

        public static byte[] FromBase64String(string inString) { throw null; }

        public static byte[] FromBase64CharArray(char[] inArray, int offset, int length) { throw null; }
    }

    public static class BitConverter
    {
        public static bool IsLittleEndian => throw null;

        public static long DoubleToInt64Bits(double value) { throw null; }

        public static byte[] GetBytes(bool value) { throw null; }

        public static byte[] GetBytes(char value) { throw null; }

        public static byte[] GetBytes(double value) { throw null; }

        public static byte[] GetBytes(float value) { throw null; }

        public static byte[] GetBytes(int value) { throw null; }

        public static byte[] GetBytes(long value) { throw null; }

        public static byte[] GetBytes(short value) { throw null; }

        public static byte[] GetBytes(uint value) { throw null; }

        public static byte[] GetBytes(ulong value) { throw null; }

        public static byte[] GetBytes(ushort value) { throw null; }

        public static double Int64BitsToDouble(long value) { throw null; }

        public static bool ToBoolean(byte[] value, int startIndex) { throw null; }

        public static char ToChar(byte[] value, int startIndex) { throw null; }

        public static double ToDouble(byte[] value, int startIndex) { throw null; }

        public static short ToInt16(byte[] value, int startIndex) { throw null; }

        public static int ToInt32(byte[] value, int startIndex) { throw null; }

        public static long ToInt64(byte[] value, int startIndex) { throw null; }

        public static float ToSingle(byte[] value, int startIndex) { throw null; }

        public static string ToString(byte[] value) { throw null; }

        public static string ToString(byte[] value, int startIndex) { throw null; }

        public static string ToString(byte[] value, int startIndex, int length) { throw null; }

        public static ushort ToUInt16(byte[] value, int startIndex) { throw null; }

        public static uint ToUInt32(byte[] value, int startIndex) { throw null; }

        public static ulong ToUInt64(byte[] value, int startIndex) { throw null; }
    }

    public struct Guid
    {
        public static readonly Guid Empty;

        public Guid(byte[] b) { throw null; }

        public Guid(string g) { throw null; }

        public static Guid NewGuid() { throw null; }

        public byte[] ToByteArray() { throw null; }

        public override string ToString() { throw null; }

        public override bool Equals(object o) { throw null; }

        public override int GetHashCode() { throw null; }
    }

    public class Random
    {
        public Random() { }

        public Random(int seed) { }

        public virtual int Next() { throw null; }

        public virtual int Next(int maxValue) { throw null; }

        public virtual double NextDouble() { throw null; }

        public virtual void NextBytes(byte[] buffer) { }
    }
}
