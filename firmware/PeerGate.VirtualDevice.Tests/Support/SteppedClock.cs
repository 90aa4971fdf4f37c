namespace PeerGate.VirtualDevice.Tests.Support;

/// <summary>
/// Real time whose wall clock a test can step forward. The server and the virtual devices share
/// one, so a session's expiry comes at once for all of them, while timers, timeouts and the
/// devices' monotonic clocks keep running in real time (long polls still end, nothing hangs).
/// </summary>
public sealed class SteppedClock : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>Moves the wall clock forward by <paramref name="step"/> for everyone sharing this clock.</summary>
    public void Step(TimeSpan step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, TimeSpan.Zero);
        Interlocked.Add(ref _offsetTicks, step.Ticks);
    }
}
