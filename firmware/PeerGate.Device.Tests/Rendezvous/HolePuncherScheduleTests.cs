using PeerGate.Device.Platform;
using PeerGate.Device.Rendezvous;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol.Rendezvous;

namespace PeerGate.Device.Tests.Rendezvous;

/// <summary>
/// The punch's timing (docs/rendezvous.md): where the peer's router refuses an early SYN at once, an
/// attempt lives one round trip, so the two sides meet only while both dial at the same moment. The
/// start therefore counts from the answer's arrival (the server sends both answers together), whatever
/// this side spends on it afterwards, and refused attempts follow each other at once for the window.
/// </summary>
[TestClass]
public sealed class HolePuncherScheduleTests
{
    private static readonly byte[] Ticket = Enumerable.Range(0x40, 32).Select(value => (byte)value).ToArray();

    [TestMethod]
    public void TheFirstAttemptLeavesTheStartDelayAfterTheAnswerArrivedNotAfterThisSidesOwnWork()
    {
        var clock = new FakeClock();
        var answer = new byte[RendezvousHello.MaxLength];
        var length = RendezvousHello.WritePunchPeer(answer, [198, 18, 0, 14], 40002, 250);
        var network = new RefusingNetwork(clock, refusalMillis: 1) { Server = new SlowClosingConnection(clock, 40001, answer[..length], closeMillis: 40) };
        var puncher = new HolePuncher(network, clock, new RecordingLog());

        Assert.IsNull(puncher.Punch("198.18.0.2", 7443, Ticket));

        Assert.AreEqual(250, network.Starts[0], "a 40 ms close of the rendezvous connection does not push the start back");
        CollectionAssert.AreEqual(new[] { 210 }, clock.Sleeps.ToArray(), "it sleeps what is left of the delay");
    }

    [TestMethod]
    public void RefusedAttemptsFollowEachOtherAtOnceForTheWholeWindow()
    {
        var clock = new FakeClock();
        var network = new RefusingNetwork(clock, refusalMillis: 1);
        var puncher = new HolePuncher(network, clock, new RecordingLog());

        Assert.IsNull(puncher.PunchTo(40001, "198.18.0.14", 40002));

        Assert.AreEqual(HolePuncher.DefaultPunchWindowMillis, network.Starts.Count, "one attempt per millisecond of refusal, no pause");
        Assert.AreEqual(network.Starts.Count, puncher.Attempts);
        Assert.AreEqual(HolePuncher.DefaultPunchWindowMillis, clock.UptimeMillis, "the window is the bound");
        Assert.IsEmpty(clock.Sleeps);
    }

    [TestMethod]
    public void TheFirstAttemptThatStandsEndsThePunchAndTheCapBoundsTheSockets()
    {
        var clock = new FakeClock();
        var network = new RefusingNetwork(clock, refusalMillis: 0) { StandsAt = 7 };
        var puncher = new HolePuncher(network, clock, new RecordingLog());
        Assert.IsNotNull(puncher.PunchTo(40001, "198.18.0.14", 40002));
        Assert.AreEqual(8, puncher.Attempts);

        var capped = new HolePuncher(new RefusingNetwork(clock, refusalMillis: 0), clock, new RecordingLog());
        Assert.IsNull(capped.PunchTo(40001, "198.18.0.14", 40002), "refusals that take no time at all end at the cap, not in a spin");
        Assert.AreEqual(HolePuncher.DefaultMaxAttempts, capped.Attempts);
    }

    /// <summary>A peer whose router refuses every SYN after <c>refusalMillis</c> (one stands at <see cref="StandsAt"/>); the rendezvous connection is <see cref="Server"/>.</summary>
    private sealed class RefusingNetwork(FakeClock clock, int refusalMillis) : IRendezvousNetwork
    {
        public List<long> Starts { get; } = [];

        public int StandsAt { get; init; } = -1;

        public IRendezvousConnection? Server { get; init; }

        public IRendezvousConnection? ConnectServer(string host, int port, int localPort, int timeoutMillis) => Server;

        public IPeerConnection? ConnectFrom(int localPort, string ip, int port, int timeoutMillis)
        {
            Starts.Add(clock.UptimeMillis);
            if (Starts.Count - 1 == StandsAt)
            {
                return new ScriptedConnection(localPort);
            }

            clock.Advance(refusalMillis);
            return null;
        }
    }

    /// <summary>The rendezvous connection: yields the answer at once; closing it takes <c>closeMillis</c> (a TLS close on a loaded machine).</summary>
    private sealed class SlowClosingConnection(FakeClock clock, int localPort, byte[] answer, int closeMillis) : IRendezvousConnection
    {
        private readonly ScriptedConnection _inner = new(localPort, answer);

        public string RemoteIp => _inner.RemoteIp;

        public int LocalPort => _inner.LocalPort;

        public int Read(byte[] buffer, int offset, int count, int timeoutMillis) => _inner.Read(buffer, offset, count, timeoutMillis);

        public bool Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

        public void Close()
        {
            clock.Advance(closeMillis);
            _inner.Close();
        }
    }
}
