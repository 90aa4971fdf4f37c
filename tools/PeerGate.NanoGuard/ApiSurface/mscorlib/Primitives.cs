// Mirrors nanoframework/CoreLibrary nanoFramework.CoreLibrary/System/{Boolean,Char,SByte,Byte,Int16,UInt16,Int32,
// UInt32,Int64,UInt64,Single,Double}.cs (CoreLibrary 1.17.11). Note: the primitives implement no interfaces on 1.x
// (no IComparable, no IFormattable), and only standard numeric format strings work.

namespace System
{
    public struct Boolean
    {
        public override string ToString() { throw null; }
    }

    public struct Char
    {
        public const char MaxValue = (char)0xFFFF;
        public const char MinValue = (char)0x00;

        public override string ToString() { throw null; }
    }

    public struct SByte
    {
        public const sbyte MaxValue = (sbyte)0x7F;
        public const sbyte MinValue = unchecked((sbyte)0x80);

        public override string ToString() { throw null; }

        public string ToString(string format) { throw null; }

        public static sbyte Parse(string s) { throw null; }
    }

    public struct Byte
    {
        public const byte MaxValue = (byte)0xFF;
        public const byte MinValue = 0;

        public override string ToString() { throw null; }

        public string ToString(string format) { throw null; }

        public static byte Parse(string s) { throw null; }
    }

    public struct Int16
    {
        public const short MaxValue = (short)0x7FFF;
        public const short MinValue = unchecked((short)0x8000);

        public override string ToString() { throw null; }

        public string ToString(string format) { throw null; }

        public static short Parse(string s) { throw null; }
    }

    public struct UInt16
    {
        public const ushort MaxValue = (ushort)0xFFFF;
        public const ushort MinValue = 0;

        public override string ToString() { throw null; }

        public string ToString(string format) { throw null; }

        public static ushort Parse(string s) { throw null; }
    }

    public struct Int32
    {
        public const int MaxValue = 0x7fffffff;
        public const int MinValue = unchecked((int)0x80000000);

        public override string ToString() { throw null; }

        public string ToString(string format) { throw null; }

        public static int Parse(string s) { throw null; }

        public static bool TryParse(string s, out int result) { throw null; }
    }

    public struct UInt32
    {
        public const uint MaxValue = 0xffffffff;
        public const uint MinValue = 0U;

        public override string ToString() { throw null; }

        public string ToString(string format) { throw null; }

        public static uint Parse(string s) { throw null; }
    }

    public struct Int64
    {
        public const long MaxValue = 0x7fffffffffffffffL;
        public const long MinValue = unchecked((long)0x8000000000000000L);

        public override string ToString() { throw null; }

        public string ToString(string format) { throw null; }

        public static long Parse(string s) { throw null; }
    }

    public struct UInt64
    {
        public const ulong MaxValue = 0xffffffffffffffffL;
        public const ulong MinValue = 0x0;

        public override string ToString() { throw null; }

        public string ToString(string format) { throw null; }

        public static ulong Parse(string s) { throw null; }
    }

    public struct Single
    {
        public const float MinValue = (float)-3.40282346638528859e+38;
        public const float MaxValue = (float)3.40282346638528859e+38;

        public override string ToString() { throw null; }

        public string ToString(string format) { throw null; }
    }

    public struct Double
    {
        public const double MinValue = -1.7976931348623157E+308;
        public const double MaxValue = 1.7976931348623157E+308;

        public override string ToString() { throw null; }

        public string ToString(string format) { throw null; }

        public static double Parse(string s) { throw null; }
    }
}
