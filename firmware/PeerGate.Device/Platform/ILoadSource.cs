namespace PeerGate.Device.Platform
{
    /// <summary>
    /// Raw load readings for the Accept/Busy answer (F17). On the board: an idle-loop CPU estimate,
    /// nanoFramework.Runtime.Native.GC.Run(false) for the managed heap and
    /// nanoFramework.Hardware.Esp32.NativeMemory.GetMemoryInfo for the largest native block; on the
    /// virtual device: the process, with a switch that forces Busy for tests.
    /// </summary>
    public interface ILoadSource
    {
        /// <summary>Estimated CPU load, 0-100.</summary>
        int CpuLoadPercent { get; }

        /// <summary>Free managed heap in bytes.</summary>
        int FreeHeapBytes { get; }

        /// <summary>Largest free native block in bytes (a TLS session needs about 33 KB).</summary>
        int LargestFreeBlockBytes { get; }

        /// <summary>Set by the platform to answer Busy whatever the readings (tests, maintenance).</summary>
        bool ForcedBusy { get; }
    }
}
