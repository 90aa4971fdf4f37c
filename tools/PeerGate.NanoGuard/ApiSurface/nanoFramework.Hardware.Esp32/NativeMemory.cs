// Mirrors nanoframework/nanoFramework.Hardware.Esp32 nanoFramework.Hardware.Esp32/NativeMemory.cs
// (NuGet nanoFramework.Hardware.Esp32 1.6.40). MemoryType is nested in NativeMemory there too.

namespace nanoFramework.Hardware.Esp32
{
    public class NativeMemory
    {
        public enum MemoryType
        {
            All,
            Internal,
            SpiRam,
        }

        public static void GetMemoryInfo(MemoryType memType, out uint totalSize, out uint totalFreeSize, out uint largestFreeBlock)
        {
            totalSize = 0;
            totalFreeSize = 0;
            largestFreeBlock = 0;
        }
    }
}
