using System;
using System.Threading;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32.Platform
{
    /// <summary>
    /// Wall-clock time from the RTC, which SNTP sets once Wi-Fi is up (Program connects with
    /// requiresDateTime), and monotonic uptime from the CPU tick counter.
    /// </summary>
    public class NanoClock : IClock
    {
        // DateTime ticks at 1970-01-01T00:00:00Z; every DateTime on nanoFramework is UTC.
        private const long UnixEpochTicks = 621355968000000000L;

        public long UtcNowSeconds
        {
            get { return (DateTime.UtcNow.Ticks - UnixEpochTicks) / TimeSpan.TicksPerSecond; }
        }

        public long UptimeMillis
        {
            // Environment.TickCount64 comes from nanoFramework.Runtime.Native and, unlike the RTC,
            // never jumps when SNTP corrects the clock.
            get { return Environment.TickCount64; }
        }

        public bool Sleep(int millis, WaitHandle cancel)
        {
            if (cancel == null)
            {
                throw new ArgumentNullException(nameof(cancel));
            }

            return cancel.WaitOne(millis < 0 ? 0 : millis, false);
        }
    }
}
