// Mirrors nanoframework/nanoFramework.Runtime.Native nanoFramework.Runtime.Native/{GC,System/Environment}.cs
// (NuGet nanoFramework.Runtime.Native 1.7.11). Environment has TickCount64 only: no TickCount.

namespace nanoFramework.Runtime.Native
{
    public static class GC
    {
        public static uint Run(bool compactHeap) { throw null; }

        public static void EnableGCMessages(bool enable) { }
    }
}

namespace System
{
    public static partial class Environment
    {
        public static long TickCount64 => throw null;
    }
}
