using PeerGate.Device.Platform;

namespace PeerGate.VirtualDevice.Adapters;

/// <summary>The host's wall clock and monotonic tick count.</summary>
public sealed class SystemClock : IClock
{
    public long UtcNowSeconds => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public long UptimeMillis => Environment.TickCount64;

    public bool Sleep(int millis, WaitHandle cancel)
    {
        if (cancel is null)
        {
            Thread.Sleep(millis);
            return false;
        }

        return cancel.WaitOne(millis);
    }
}
