using System;
using System.IO;
using System.Threading;
using nanoFramework.Hardware.Esp32;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32.Platform
{
    /// <summary>
    /// The board's load for the Accept/Busy answer (F17). nanoFramework has no CPU-load API, so a
    /// lowest-priority thread counts loop iterations: the fewer it manages per second compared with a
    /// calibration at boot, the busier the CPU. Free managed heap comes from GC.Run(false) and the
    /// largest free block of internal native RAM (where TLS and lwIP allocate) from NativeMemory.GetMemoryInfo.
    /// </summary>
    /// <remarks>
    /// GC.Run forces a collection, so its figure is cached for <see cref="HeapRefreshMillis"/>. Create
    /// the source early, before Wi-Fi and the agent start, so the calibration sees an idle CPU.
    /// </remarks>
    public class Esp32LoadSource : ILoadSource
    {
        /// <summary>How long the boot calibration counts.</summary>
        public const int CalibrationMillis = 2000;

        /// <summary>A CPU figure over a shorter window is mostly scheduling noise.</summary>
        public const int MinCpuWindowMillis = 1000;

        public const int HeapRefreshMillis = 5000;

        /// <summary>Iterations between yields, so the counter never holds the CPU for long.</summary>
        private const int Batch = 100;

        /// <summary>A file that makes the board answer Busy (maintenance), as the virtual device's force-busy file does.</summary>
        public const string ForceBusyPath = "I:\\force-busy";

        private readonly object _gate = new object();
        private readonly long _idleIterationsPerSecond;

        private int _iterations;
        private long _windowStartMillis;
        private int _windowStartIterations;
        private int _cpuPercent;
        private long _heapReadAtMillis = -HeapRefreshMillis;
        private int _freeHeapBytes;

        /// <summary>Starts the idle counter and calibrates it; blocks for <see cref="CalibrationMillis"/>.</summary>
        public Esp32LoadSource()
        {
            Thread counter = new Thread(Count);
            counter.Priority = ThreadPriority.Lowest;
            counter.Start();

            int start = _iterations;
            Thread.Sleep(CalibrationMillis);
            long counted = _iterations - start;
            _idleIterationsPerSecond = counted * 1000 / CalibrationMillis;
            if (_idleIterationsPerSecond <= 0)
            {
                // The counter never ran: report no load rather than divide by zero.
                _idleIterationsPerSecond = 1;
            }

            _windowStartMillis = Environment.TickCount64;
            _windowStartIterations = _iterations;
        }

        public int CpuLoadPercent
        {
            get
            {
                lock (_gate)
                {
                    long now = Environment.TickCount64;
                    long elapsed = now - _windowStartMillis;
                    if (elapsed >= MinCpuWindowMillis)
                    {
                        long perSecond = (long)(_iterations - _windowStartIterations) * 1000 / elapsed;
                        long idlePercent = perSecond * 100 / _idleIterationsPerSecond;
                        _cpuPercent = idlePercent >= 100 ? 0 : (int)(100 - idlePercent);
                        _windowStartMillis = now;
                        _windowStartIterations = _iterations;
                    }

                    return _cpuPercent;
                }
            }
        }

        public int FreeHeapBytes
        {
            get
            {
                lock (_gate)
                {
                    long now = Environment.TickCount64;
                    if (now - _heapReadAtMillis >= HeapRefreshMillis)
                    {
                        _freeHeapBytes = ClampToInt(nanoFramework.Runtime.Native.GC.Run(false));
                        _heapReadAtMillis = now;
                    }

                    return _freeHeapBytes;
                }
            }
        }

        public int LargestFreeBlockBytes
        {
            get
            {
                uint total;
                uint free;
                uint largest;

                // Internal RAM only: mbedTLS and lwIP take their buffers there. All would add PSRAM, whose
                // large free blocks would hide an internal heap too fragmented for a TLS handshake.
                NativeMemory.GetMemoryInfo(NativeMemory.MemoryType.Internal, out total, out free, out largest);
                return ClampToInt(largest);
            }
        }

        public bool ForcedBusy
        {
            get { return File.Exists(ForceBusyPath); }
        }

        private void Count()
        {
            while (true)
            {
                for (int i = 0; i < Batch; i++)
                {
                    // Wraps after about 2^31 iterations; the window arithmetic subtracts, so that is harmless.
                    _iterations++;
                }

                Thread.Sleep(0);
            }
        }

        private static int ClampToInt(uint value)
        {
            return value > int.MaxValue ? int.MaxValue : (int)value;
        }
    }
}
