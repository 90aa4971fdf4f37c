using Microsoft.Extensions.Time.Testing;
using PeerGate.Server.Triggers;

namespace PeerGate.Server.Tests.Triggers;

/// <summary>
/// Held polls time out in batches at the tick at or after their deadline: never early, at most one tick
/// late, every poll due in a tick together, and a poll that ended is forgotten at once.
/// </summary>
[TestClass]
public sealed class PollTimeoutsTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    [TestMethod]
    public void APollOnATickTimesOutExactlyAtItsDeadlineAndNotBefore()
    {
        var time = new FakeTimeProvider(Start);
        using var timeouts = new PollTimeouts(time);
        var poller = new TerminalLine.Poller();
        using var deadline = timeouts.Add(poller, TimeSpan.FromSeconds(25));

        time.Advance(TimeSpan.FromSeconds(25) - PollTimeouts.Tick);
        Assert.AreEqual(0, poller.Take(), "one tick before the deadline");
        time.Advance(PollTimeouts.Tick);
        Assert.AreEqual(TerminalLine.Poller.TimedOut, poller.Take());
        Assert.AreEqual(0, timeouts.Count, "a poll that timed out holds no place");
    }

    [TestMethod]
    public void APollBetweenTicksTimesOutAtTheNextTick()
    {
        var time = new FakeTimeProvider(Start);
        using var timeouts = new PollTimeouts(time);
        time.Advance(TimeSpan.FromMilliseconds(30));
        var poller = new TerminalLine.Poller();
        using var deadline = timeouts.Add(poller, TimeSpan.FromSeconds(1));

        time.Advance(TimeSpan.FromMilliseconds(1000));
        Assert.AreEqual(0, poller.Take(), "at the deadline, which falls between ticks");
        time.Advance(TimeSpan.FromMilliseconds(69));
        Assert.AreEqual(0, poller.Take(), "a millisecond before the next tick");
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.AreEqual(TerminalLine.Poller.TimedOut, poller.Take(), "at the tick after the deadline");
    }

    [TestMethod]
    public void EveryPollDueInOneTickTimesOutAndEndedPollsDoNot()
    {
        var time = new FakeTimeProvider(Start);
        using var timeouts = new PollTimeouts(time);
        var pollers = Enumerable.Range(0, 100).Select(_ => new TerminalLine.Poller()).ToArray();
        var deadlines = pollers.Select((poller, i) => timeouts.Add(poller, TimeSpan.FromMilliseconds(5000 + i))).ToArray();
        Assert.AreEqual(100, timeouts.Count);

        // Half the polls end (answered, aborted) before their deadline: they leave at once.
        for (var i = 0; i < 100; i += 2)
        {
            deadlines[i].Dispose();
        }

        Assert.AreEqual(50, timeouts.Count);
        time.Advance(TimeSpan.FromMilliseconds(5100));
        for (var i = 0; i < 100; i++)
        {
            Assert.AreEqual(i % 2 == 0 ? 0 : TerminalLine.Poller.TimedOut, pollers[i].Take(), $"poll {i}");
        }

        Assert.AreEqual(0, timeouts.Count);
        foreach (var deadline in deadlines)
        {
            deadline.Dispose();
        }
    }

    [TestMethod]
    public void AClockThatJumpsFarTimesOutEveryPollDue()
    {
        var time = new FakeTimeProvider(Start);
        using var timeouts = new PollTimeouts(time);
        var soon = new TerminalLine.Poller();
        var later = new TerminalLine.Poller();
        using var first = timeouts.Add(soon, TimeSpan.FromSeconds(25));
        using var second = timeouts.Add(later, TimeSpan.FromDays(400));

        // As after a suspended machine: one sweep sees the clock far past the last one.
        time.SetUtcNow(Start + TimeSpan.FromDays(30));
        time.Advance(PollTimeouts.Tick);
        Assert.AreEqual(TerminalLine.Poller.TimedOut, soon.Take());
        Assert.AreEqual(0, later.Take(), "not due yet");
        Assert.AreEqual(1, timeouts.Count);
    }

    [TestMethod]
    public void AZeroWaitTimesOutAtOnce()
    {
        var time = new FakeTimeProvider(Start);
        using var timeouts = new PollTimeouts(time);
        var poller = new TerminalLine.Poller();
        using var deadline = timeouts.Add(poller, TimeSpan.Zero);
        Assert.AreEqual(TerminalLine.Poller.TimedOut, poller.Take());
        Assert.AreEqual(0, timeouts.Count);
    }
}
