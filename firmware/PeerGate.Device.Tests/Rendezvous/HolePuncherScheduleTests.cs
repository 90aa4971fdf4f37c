using PeerGate.Device.Platform;
using PeerGate.Device.Rendezvous;
using PeerGate.Device.Tests.Fakes;

namespace PeerGate.Device.Tests.Rendezvous;

/// <summary>
/// The punch's timing (docs/rendezvous.md): where the peer's router refuses an early SYN at once, an
/// attempt lives one round trip, so the two sides meet only while both dial at the same moment. A side
/// that dials without a pause for the whole window is a busy loop a loaded machine runs in slices of a
/// few milliseconds, and two such loops can miss each other for all of it. So attempts start only in a
/// burst at the start of every round, counted from the end of the shared start delay, and the device
/// sleeps in between: both sides' bursts fall on the same instants.
/// </summary>
[TestClass]
public sealed class HolePuncherScheduleTests
{
    [TestMethod]
    public void RefusedAttemptsStartOnlyInTheBurstOfEachRoundAndTheDeviceSleepsBetween()
    {
        var clock = new FakeClock();
        clock.Advance(12_345);
        var network = new RefusingNetwork(clock, refusalMillis: 1);
        var puncher = new HolePuncher(network, clock, new RecordingLog());

        Assert.IsNull(puncher.PunchTo(40001, "198.18.0.14", 40002));

        var offsets = network.Starts.Select(start => start - 12_345).ToArray();
        Assert.IsTrue(offsets.All(offset => offset % HolePuncher.DefaultRoundMillis < HolePuncher.DefaultBurstMillis), "an attempt outside a burst: " + string.Join(",", offsets.Where(offset => offset % 100 >= 30)));
        var rounds = HolePuncher.DefaultPunchWindowMillis / HolePuncher.DefaultRoundMillis;
        CollectionAssert.AreEquivalent(Enumerable.Range(0, rounds).ToArray(), offsets.Select(offset => (int)(offset / HolePuncher.DefaultRoundMillis)).Distinct().ToArray(), "every round of the window has its burst");
        Assert.AreEqual(rounds * HolePuncher.DefaultBurstMillis, network.Starts.Count, "within a burst the next attempt follows a refusal at once");
        Assert.AreEqual(network.Starts.Count, puncher.Attempts);
        Assert.IsTrue(clock.Sleeps.All(sleep => sleep == HolePuncher.DefaultRoundMillis - HolePuncher.DefaultBurstMillis), "it sleeps from each burst's end to the next round: " + string.Join(",", clock.Sleeps.Distinct()));
        Assert.AreEqual(12_345 + HolePuncher.DefaultPunchWindowMillis, clock.UptimeMillis, "the window is the bound");
    }

    [TestMethod]
    public void AnAttemptInFlightRunsToItsTimeoutAcrossRoundsAndTheNextStartsOnlyInABurst()
    {
        var clock = new FakeClock();
        var network = new RefusingNetwork(clock, refusalMillis: 1) { SilentFrom = 10, SilentMillis = 1_450 };
        var puncher = new HolePuncher(network, clock, new RecordingLog());

        Assert.IsNull(puncher.PunchTo(40001, "198.18.0.14", 40002));

        // Ten refusals, then a SYN dropped without answer stays in flight (TCP resends it meanwhile) past many rounds.
        Assert.AreEqual(10, network.Starts[10]);
        Assert.AreEqual(1_500, network.Starts[11], "it ended 60 ms into a round: the next attempt waits for the next round's burst");
        Assert.IsTrue(network.Starts.All(start => start % 100 < 30));
        Assert.AreEqual(5_000, clock.UptimeMillis);
    }

    [TestMethod]
    public void TheFirstAttemptThatStandsEndsThePunchAndTheCapBoundsTheSockets()
    {
        var clock = new FakeClock();
        var network = new RefusingNetwork(clock, refusalMillis: 0) { StandsAt = 7 };
        var puncher = new HolePuncher(network, clock, new RecordingLog());
        Assert.IsNotNull(puncher.PunchTo(40001, "198.18.0.14", 40002));
        Assert.AreEqual(8, puncher.Attempts);

        var capped = new HolePuncher(new RefusingNetwork(clock, refusalMillis: 0), clock, new RecordingLog()) { MaxAttempts = 500 };
        Assert.IsNull(capped.PunchTo(40001, "198.18.0.14", 40002), "refusals that take no time at all end at the cap, not in a spin");
        Assert.AreEqual(500, capped.Attempts);
    }

    /// <summary>A peer whose router refuses every SYN after <c>refusalMillis</c>; from attempt <see cref="SilentFrom"/> on, one SYN goes unanswered for <see cref="SilentMillis"/>.</summary>
    private sealed class RefusingNetwork(FakeClock clock, int refusalMillis) : IRendezvousNetwork
    {
        public List<long> Starts { get; } = [];

        public int SilentFrom { get; init; } = -1;

        public int SilentMillis { get; init; }

        public int StandsAt { get; init; } = -1;

        public IRendezvousConnection? ConnectServer(string host, int port, int localPort, int timeoutMillis) => null;

        public IPeerConnection? ConnectFrom(int localPort, string ip, int port, int timeoutMillis)
        {
            Starts.Add(clock.UptimeMillis);
            if (Starts.Count - 1 == StandsAt)
            {
                return new ScriptedConnection(localPort);
            }

            clock.Advance(Starts.Count - 1 == SilentFrom ? Math.Min(SilentMillis, timeoutMillis) : refusalMillis);
            return null;
        }
    }
}
