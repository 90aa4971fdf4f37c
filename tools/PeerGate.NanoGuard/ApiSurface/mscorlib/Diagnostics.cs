// Mirrors nanoframework/CoreLibrary nanoFramework.CoreLibrary/System/Diagnostics/{Debug,Debugger}.cs and System/GC.cs
// (CoreLibrary 1.17.11). There is no Stopwatch and no Trace; System.GC has no Collect or GetTotalMemory
// (use nanoFramework.Runtime.Native.GC.Run).

namespace System.Diagnostics
{
    public static class Debug
    {
        [Conditional("DEBUG")]
        public static void Assert(bool condition) { }

        [Conditional("DEBUG")]
        public static void Assert(bool condition, string message) { }

        [Conditional("DEBUG")]
        public static void Assert(bool condition, string message, string detailedMessage) { }

        [Conditional("DEBUG")]
        public static void Write(string message) { }

        [Conditional("DEBUG")]
        public static void WriteLine(string message) { }
    }

    public static class Debugger
    {
        public static bool IsAttached => throw null;

        public static void Break() { }
    }
}

namespace System
{
    public static class GC
    {
        public static void SuppressFinalize(object obj) { }

        public static void ReRegisterForFinalize(object obj) { }

        public static void WaitForPendingFinalizers() { }
    }
}
