using PeerGate.Device.Platform;

namespace PeerGate.Device.Tests.Fakes;

/// <summary>A clock that jumps forward on Sleep, so waits and backoff cost no real time.</summary>
public sealed class FakeClock : IClock
{
    public const long Epoch = 1_800_000_000;

    private long _uptimeMillis;

    /// <summary>Sleeps the agent asked for, in order.</summary>
    public List<int> Sleeps { get; } = [];

    /// <summary>Once uptime reaches this, Sleep reports "stopped" (ends Agent.Run in tests).</summary>
    public long StopAtMillis { get; set; } = long.MaxValue;

    /// <summary>Called after each Sleep with the new uptime, to change the world mid-run.</summary>
    public Action<long>? AfterSleep { get; set; }

    public long UtcNowSeconds => Epoch + (_uptimeMillis / 1000);

    public long UptimeMillis => _uptimeMillis;

    public void Advance(long millis) => _uptimeMillis += millis;

    public bool Sleep(int millis, WaitHandle cancel)
    {
        if (cancel is not null && cancel.WaitOne(0))
        {
            return true;
        }

        if (millis > 0)
        {
            Sleeps.Add(millis);
            _uptimeMillis += millis;
            AfterSleep?.Invoke(_uptimeMillis);
        }

        return _uptimeMillis >= StopAtMillis;
    }
}
