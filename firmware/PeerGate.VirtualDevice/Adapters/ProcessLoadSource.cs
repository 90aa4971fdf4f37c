using System.Diagnostics;
using PeerGate.Device.Platform;

namespace PeerGate.VirtualDevice.Adapters;

/// <summary>
/// The virtual device's load (F17) from its own process: CPU time used since the last reading,
/// and the GC's view of the memory still available. Busy can be forced with <c>run --force-busy</c>
/// or, while the device runs, by creating the file <see cref="ForceBusyFileName"/> in its state folder.
/// </summary>
public sealed class ProcessLoadSource(string stateFolder, bool forceBusy = false) : ILoadSource
{
    public const string ForceBusyFileName = "force-busy";

    /// <summary>Readings closer together than this reuse the last CPU figure: a tiny window is all noise.</summary>
    private const long MinSampleMillis = 200;

    private readonly Lock _gate = new();
    private TimeSpan _lastCpu = Process.GetCurrentProcess().TotalProcessorTime;
    private long _lastSampleMillis = Environment.TickCount64;
    private int _lastPercent;

    public string ForceBusyPath { get; } = Path.Combine(stateFolder, ForceBusyFileName);

    public int CpuLoadPercent
    {
        get
        {
            lock (_gate)
            {
                var now = Environment.TickCount64;
                var elapsed = now - _lastSampleMillis;
                if (elapsed < MinSampleMillis)
                {
                    return _lastPercent;
                }

                using var process = Process.GetCurrentProcess();
                var cpu = process.TotalProcessorTime;
                var used = (cpu - _lastCpu).TotalMilliseconds / Environment.ProcessorCount;
                _lastCpu = cpu;
                _lastSampleMillis = now;
                _lastPercent = (int)Math.Clamp(used * 100 / elapsed, 0, 100);
                return _lastPercent;
            }
        }
    }

    public int FreeHeapBytes => ClampToInt(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes - GC.GetTotalMemory(false));

    /// <summary>A host has no fragmented native heap to speak of: the memory still available stands in for it.</summary>
    public int LargestFreeBlockBytes => ClampToInt(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes - Environment.WorkingSet);

    public bool ForcedBusy => forceBusy || File.Exists(ForceBusyPath);

    private static int ClampToInt(long value) => (int)Math.Clamp(value, 0, int.MaxValue);
}
