using PeerGate.Device.Platform;

namespace PeerGate.Fuzz.Targets;

/// <summary>A clock that only moves when told or slept on: no input waits for real time.</summary>
public sealed class FakeClock : IClock
{
    private long _uptimeMillis;

    public long UtcNowSeconds => 1_800_000_000 + (_uptimeMillis / 1000);

    public long UptimeMillis => Interlocked.Read(ref _uptimeMillis);

    public void Advance(long millis) => Interlocked.Add(ref _uptimeMillis, millis);

    public bool Sleep(int millis, WaitHandle cancel)
    {
        if (cancel is not null && cancel.WaitOne(0))
        {
            return true;
        }

        Advance(Math.Max(millis, 1));
        return false;
    }
}

/// <summary>Keeps nothing: logging is not under test.</summary>
public sealed class NullLog : IDeviceLog
{
    public void Event(string name, string detail)
    {
    }
}
