using System;
using System.Threading;
using nanoFramework.Runtime.Native;
using PeerGate.Device.Esp32.Networking;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32
{
    /// <summary>
    /// Runs the device agent on its own thread and reboots the board as the last resort: when the
    /// agent has crashed too often, or when it has not been registered for a long time (native heap
    /// fragmentation and per-request TLS leaks on some firmware only clear with a restart). UDP
    /// registration, when configured, runs on a thread of its own with the agent's stop signal; it
    /// is restarted when it dies but never counts towards a reboot (HTTPS registration is what matters).
    /// </summary>
    public class AgentSupervisor
    {
        public const int MaxCrashes = 3;
        public const int CheckIntervalMillis = 10000;
        public const long UnregisteredRebootMillis = 30 * 60 * 1000;

        private readonly DeviceAgent _agent;
        private readonly IClock _clock;
        private readonly IDeviceLog _log;
        private readonly UdpRendezvous _udp;
        private readonly ManualResetEvent _stop = new ManualResetEvent(false);

        private int _crashes;
        private long _lastHealthyMillis;

        /// <param name="udp">The UDP registration loop; null when UdpServer is not configured.</param>
        public AgentSupervisor(DeviceAgent agent, IClock clock, IDeviceLog log, UdpRendezvous udp)
        {
            _udp = udp;
            _agent = agent ?? throw new ArgumentNullException(nameof(agent));
            _clock = clock ?? throw new ArgumentNullException(nameof(clock));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        /// <summary>Never returns: supervises until it decides to reboot.</summary>
        public void Run()
        {
            _lastHealthyMillis = _clock.UptimeMillis;
            Thread worker = StartWorker();
            Thread udpWorker = StartUdpWorker();
            while (true)
            {
                Thread.Sleep(CheckIntervalMillis);
                long now = _clock.UptimeMillis;
                if (_agent.State == DeviceState.Registered)
                {
                    _lastHealthyMillis = now;
                }

                if (!worker.IsAlive)
                {
                    if (_crashes >= MaxCrashes)
                    {
                        Reboot("agent crashed " + _crashes.ToString() + " times");
                    }

                    worker = StartWorker();
                }

                if (udpWorker != null && !udpWorker.IsAlive)
                {
                    udpWorker = StartUdpWorker();
                }

                if (now - _lastHealthyMillis > UnregisteredRebootMillis)
                {
                    Reboot("not registered for " + ((now - _lastHealthyMillis) / 1000).ToString() + " s");
                }
            }
        }

        private Thread StartWorker()
        {
            Thread worker = new Thread(RunAgent);
            worker.Start();
            return worker;
        }

        private Thread StartUdpWorker()
        {
            if (_udp == null)
            {
                return null;
            }

            Thread worker = new Thread(RunUdp);
            worker.Start();
            return worker;
        }

        private void RunUdp()
        {
            try
            {
                _udp.Run(_stop);
            }
            catch (Exception ex)
            {
                // Its acks stop, so the poller goes back to the long-poll within a few periods (F31).
                _log.Event("udp.crashed", ex.Message);
            }
        }

        private void RunAgent()
        {
            try
            {
                _agent.Run(_stop);
            }
            catch (Exception ex)
            {
                // Run handles every expected failure itself; this is out-of-memory and the like.
                Interlocked.Increment(ref _crashes);
                _log.Event("agent.crashed", ex.Message);
            }
        }

        private void Reboot(string reason)
        {
            _log.Event("reboot", reason);
            _stop.Set();
            Power.RebootDevice();
        }
    }
}
