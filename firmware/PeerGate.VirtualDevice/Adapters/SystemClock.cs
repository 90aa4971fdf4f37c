using PeerGate.Device.Platform;

namespace PeerGate.VirtualDevice.Adapters;

/// <summary>
/// The host's wall clock and monotonic tick count. The wall clock comes from a
/// <see cref="TimeProvider"/>, so scenarios can share one with the server and step it forward.
/// </summary>
public sealed class SystemClock(TimeProvider? wallClock = null) : IClock
{
    private readonly TimeProvider _wallClock = wallClock ?? TimeProvider.System;

    public long UtcNowSeconds => _wallClock.GetUtcNow().ToUnixTimeSeconds();

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
