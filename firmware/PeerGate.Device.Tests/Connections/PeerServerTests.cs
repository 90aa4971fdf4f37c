using System.Collections.Concurrent;
using PeerGate.Device.Connections;
using PeerGate.Device.Load;
using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Connections;

[TestClass]
public sealed class PeerServerTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    [TestMethod]
    public void ANewConnectionTakesTheOldestIdleOnesPlace()
    {
        var network = new QueuedNetwork();
        var log = new ConcurrentLog();
        var server = NewServer(network, log, maxWorkers: 2);
        server.Application = new EchoApplication(log);
        var stalled = new[] { new StalledConnection("10.0.0.1"), new StalledConnection("10.0.0.2") };
        var extra = new StalledConnection("10.0.0.3");

        server.Start(7001);
        try
        {
            network.Deliver(stalled[0]);
            network.Deliver(stalled[1]);
            Assert.IsTrue(SpinWait.SpinUntil(() => stalled.All(c => c.Reading), Limit), "both handshakes started");

            network.Deliver(extra);

            Assert.IsTrue(stalled[0].Closed.Wait(Limit), "the oldest idle connection is evicted");
            Assert.IsTrue(SpinWait.SpinUntil(() => extra.Reading, Limit), "the new one gets its handshake");
            Assert.IsTrue(log.Has("peer.evicted"));
            Assert.IsFalse(stalled[1].Closed.IsSet || extra.Closed.IsSet, "the others are still in their handshake");
        }
        finally
        {
            foreach (var connection in stalled.Append(extra))
            {
                connection.HangUp();
            }

            server.Stop();
        }

        Assert.IsTrue(extra.Closed.Wait(Limit), "a caller that hangs up mid-handshake is closed");
        Assert.IsFalse(server.IsRunning);
        Assert.AreEqual(7001, network.ListenedOn);
    }

    [TestMethod]
    public void ASourceAtItsCapLosesItsOwnOldestIdleConnection()
    {
        var network = new QueuedNetwork();
        var log = new ConcurrentLog();
        var server = NewServer(network, log, maxWorkers: 4);
        server.Application = new EchoApplication(log);
        var other = new StalledConnection("10.0.0.9");
        var first = new StalledConnection("10.0.0.1");
        var second = new StalledConnection("10.0.0.1");

        server.Start(7001);
        try
        {
            network.Deliver(other);
            network.Deliver(first);
            Assert.IsTrue(SpinWait.SpinUntil(() => other.Reading && first.Reading, Limit));

            network.Deliver(second);

            Assert.IsTrue(first.Closed.Wait(Limit), "the source's own idle connection makes room");
            Assert.IsTrue(SpinWait.SpinUntil(() => second.Reading, Limit));
            Assert.IsFalse(other.Closed.IsSet, "another source's connection is untouched");
        }
        finally
        {
            foreach (var connection in new[] { other, first, second })
            {
                connection.HangUp();
            }

            server.Stop();
        }
    }

    [TestMethod]
    public void AnAuthenticatedSessionIsNeverEvictedForANewConnection()
    {
        var network = new MemoryPeerNetwork();
        var log = new ConcurrentLog();
        var session = new AnnouncedSession("S-HOLD");
        var acceptor = new PeerAcceptor(session.Offers, session.Crypto, session.Clock, log, 10_000);
        var held = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        var server = new PeerServer(network, acceptor, new LoadMonitor(new FakeLoadSource(), new DeviceConfig()), log, 2)
        {
            Application = new HoldingApplication(held, release),
            MaxPendingPerSource = 10,
        };

        server.Start(7001);
        try
        {
            var channel = session.Dial(network);
            Assert.IsTrue(held.Wait(Limit), "the session runs");

            var idle1 = network.Connect("10.0.0.2", 7001, 1000);
            Assert.IsTrue(SpinWait.SpinUntil(() => server.Admitted == 2, Limit));
            var idle2 = network.Connect("10.0.0.2", 7001, 1000);

            Assert.AreEqual(0, idle1.Read(new byte[1], 0, 1, 5000), "the idle connection made room");
            Assert.IsTrue(SpinWait.SpinUntil(() => log.Has("peer.evicted"), Limit));
            Assert.IsFalse(release.IsSet);
            channel.Send([7], 0, 1);
            Assert.AreEqual(2, server.Admitted, "the session and the newest connection hold the slots");
            idle2.Close();
            channel.Close(PeerGate.Protocol.Peer.CloseReasons.Finished);
        }
        finally
        {
            release.Set();
            server.Stop();
        }
    }

    [TestMethod]
    public void AnEndedSessionFreesTheDeviceBeforeItsEndNoticeReachesTheServer()
    {
        var network = new MemoryPeerNetwork();
        var log = new ConcurrentLog();
        var session = new AnnouncedSession("S-END");
        var acceptor = new PeerAcceptor(session.Offers, session.Crypto, session.Clock, log, 10_000) { Sessions = new PeerGate.Device.Sessions.SessionTable(2) };
        var load = new LoadMonitor(new FakeLoadSource(), new DeviceConfig());
        var registry = new HeldEndNotices();
        var internet = new FakeInternet();
        internet.Add(FakeCertificateHolder.RegistryUrl, registry);
        var server = new PeerServer(network, acceptor, load, log, 1)
        {
            Application = new EchoApplication(log),
            Sessions = new PeerGate.Device.Sessions.SessionClient(new PeerGate.Device.Api.ApiClient(internet, new TestJsonCodec(), 10_000), new FakeCertificateHolder(), log),
        };

        server.Start(7001);
        try
        {
            var channel = session.Dial(network);
            Assert.IsTrue(SpinWait.SpinUntil(() => load.ActiveSessions == 1, Limit), "the session runs");
            Assert.AreEqual(AcceptStatus.Busy, load.Assess(1).Status, "one session is this device's limit");

            channel.Close(PeerGate.Protocol.Peer.CloseReasons.Finished);

            Assert.IsTrue(registry.Reached.Wait(Limit), "the callee reports the end");
            Assert.AreEqual(0, load.ActiveSessions, "the session no longer counts while its end notice is on the way");
            Assert.AreEqual(AcceptStatus.Acceptable, load.Assess(2).Status, "a caller dialing again now is accepted");
            Assert.AreEqual(0, server.Admitted, "the listener slot is free for that caller");
        }
        finally
        {
            registry.Release.Set();
            server.Stop();
        }
    }

    [TestMethod]
    public void AConnectionThatSendsNothingIsClosedAtThePreambleDeadline()
    {
        var clock = new FakeClock();
        var acceptor = new PeerAcceptor(new OfferBook(clock, 4), new UnusedPeerCrypto(), clock, new ConcurrentLog(), 10_000);
        var idle = new ClockedIdleConnection(clock);

        var refused = Assert.Throws<PeerException>(() => acceptor.Accept(idle));

        Assert.AreEqual(PeerGate.Protocol.ErrorCodes.PeerTimeout, refused.Code);
        Assert.AreEqual(PeerAcceptor.DefaultPreambleTimeoutMillis, clock.UptimeMillis, "closed at the preamble deadline, not the handshake timeout");
        Assert.IsTrue(idle.Closed);
    }

    [TestMethod]
    public void AConnectionWaitingForAnUnknownOfferStopsAsSoonAsItIsEvicted()
    {
        var clock = new FakeClock();
        var offers = new OfferBook(clock, 4);
        offers.Expect("S404");
        var acceptor = new PeerAcceptor(offers, new UnusedPeerCrypto(), clock, new ConcurrentLog(), 10_000);
        var preamble = new byte[PeerGate.Protocol.Peer.PeerPreamble.MaxLength];
        var length = PeerGate.Protocol.Peer.PeerPreamble.Write("S404", preamble, 0);
        var connection = new ClockedIdleConnection(clock, preamble.Take(length).ToArray());
        var admission = new PeerAdmission(connection.RemoteIp);
        clock.AfterSleep = _ => Assert.IsTrue(admission.TryEvict(), "still unauthenticated: evictable");

        var refused = Assert.Throws<PeerException>(() => acceptor.Accept(connection, admission));

        Assert.AreEqual(PeerGate.Protocol.ErrorCodes.PeerTimeout, refused.Code);
        Assert.IsLessThan(PeerAcceptor.OfferWaitMillis, clock.UptimeMillis, "the wait ended at the eviction, not at the offer wait");
        Assert.AreEqual(PeerAdmission.Connected, admission.Stage, "no live offer named: the lowest stage");
        Assert.IsTrue(connection.Closed);
    }

    [TestMethod]
    public void AConnectionNamingASessionTheServerNeverAnnouncedIsRefusedAtOnce()
    {
        var clock = new FakeClock();
        var offers = new OfferBook(clock, 4);
        offers.Expect("S-announced");
        var acceptor = new PeerAcceptor(offers, new UnusedPeerCrypto(), clock, new ConcurrentLog(), 10_000);
        var preamble = new byte[PeerGate.Protocol.Peer.PeerPreamble.MaxLength];
        var length = PeerGate.Protocol.Peer.PeerPreamble.Write("S404", preamble, 0);
        var connection = new ClockedIdleConnection(clock, preamble.Take(length).ToArray());

        var refused = Assert.Throws<PeerException>(() => acceptor.Accept(connection));

        Assert.AreEqual(PeerGate.Protocol.ErrorCodes.PeerRequestInvalid, refused.Code);
        Assert.AreEqual(0, clock.UptimeMillis, "no offer and no announcement: nothing to wait for");
        Assert.IsTrue(connection.Closed);
    }

    [TestMethod]
    public void AnAnnouncementRunsOutAndItsSessionNoLongerWaits()
    {
        var clock = new FakeClock();
        var offers = new OfferBook(clock, 2);
        offers.Expect("S1");
        Assert.IsTrue(offers.IsExpected("S1"));
        Assert.IsFalse(offers.IsExpected("S2"));

        // Bounded by the book's capacity: the announcement that runs out first makes room.
        clock.Advance(1);
        offers.Expect("S2");
        offers.Expect("S3");
        Assert.IsFalse(offers.IsExpected("S1"));
        Assert.IsTrue(offers.IsExpected("S2") && offers.IsExpected("S3"));

        clock.Advance(OfferBook.ExpectedMillis);
        Assert.IsFalse(offers.IsExpected("S2"));
    }

    [TestMethod]
    public void ServerDoesNotStartWithoutAnApplication()
    {
        var server = NewServer(new QueuedNetwork(), new ConcurrentLog(), maxWorkers: 1);

        Assert.Throws<InvalidOperationException>(() => server.Start(7001));
    }

    private static PeerServer NewServer(QueuedNetwork network, ConcurrentLog log, int maxWorkers)
    {
        var clock = new FakeClock();
        var acceptor = new PeerAcceptor(new OfferBook(clock, 4), new UnusedPeerCrypto(), clock, log, 10_000);
        return new PeerServer(network, acceptor, new LoadMonitor(new FakeLoadSource(), new DeviceConfig()), log, maxWorkers);
    }

    /// <summary>A listener that hands out the connections the test delivers.</summary>
    private sealed class QueuedNetwork : IPeerNetwork, IPeerListener
    {
        private readonly BlockingCollection<IPeerConnection> _incoming = [];

        public int ListenedOn { get; private set; }

        public int Port => ListenedOn;

        public void Deliver(IPeerConnection connection) => _incoming.Add(connection);

        public IPeerConnection? Connect(string ip, int port, int timeoutMillis) => null;

        public IPeerListener Listen(int port)
        {
            ListenedOn = port;
            return this;
        }

        public IPeerConnection? Accept(int timeoutMillis) => _incoming.TryTake(out var connection, timeoutMillis) ? connection : null;

        public void Close()
        {
        }
    }

    /// <summary>A caller that connects and says nothing until it hangs up.</summary>
    private sealed class StalledConnection(string remoteIp) : IPeerConnection
    {
        private readonly ManualResetEventSlim _hangUp = new();

        public ManualResetEventSlim Closed { get; } = new();

        public bool Reading { get; private set; }

        public string RemoteIp => remoteIp;

        public void HangUp() => _hangUp.Set();

        public int Read(byte[] buffer, int offset, int count, int timeoutMillis)
        {
            Reading = true;
            return _hangUp.Wait(timeoutMillis) ? 0 : -1;
        }

        public bool Write(byte[] buffer, int offset, int count) => !_hangUp.IsSet;

        public void Close()
        {
            Closed.Set();
            _hangUp.Set();
        }
    }

    /// <summary>Signals once a session reached it, then holds it until released.</summary>
    private sealed class HoldingApplication(ManualResetEventSlim held, ManualResetEventSlim release) : IPeerApplication
    {
        public void Serve(PeerChannel channel)
        {
            held.Set();
            release.Wait(Limit);
        }
    }

    /// <summary>Sends its bytes (if any), then nothing: each read waits out its timeout on the fake clock.</summary>
    private sealed class ClockedIdleConnection(FakeClock clock, byte[]? bytes = null) : IPeerConnection
    {
        private int _sent;

        public bool Closed { get; private set; }

        public string RemoteIp => "10.0.0.66";

        public int Read(byte[] buffer, int offset, int count, int timeoutMillis)
        {
            if (bytes is not null && _sent < bytes.Length)
            {
                var n = Math.Min(count, bytes.Length - _sent);
                Array.Copy(bytes, _sent, buffer, offset, n);
                _sent += n;
                return n;
            }

            clock.Advance(timeoutMillis);
            return -1;
        }

        public bool Write(byte[] buffer, int offset, int count) => true;

        public void Close() => Closed = true;
    }

    /// <summary>A registry whose end-notice route holds each request until released: a slow round trip.</summary>
    private sealed class HeldEndNotices : IFakeServer
    {
        public ManualResetEventSlim Reached { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public HttpReply Handle(SentRequest request)
        {
            Reached.Set();
            Release.Wait(Limit);
            return new HttpReply(204, "");
        }
    }

    /// <summary>A session the callee's offer book announces, and the caller's dial of it at the listener on port 7001.</summary>
    private sealed class AnnouncedSession
    {
        private readonly byte[] _password = Secrets.Filled(16);
        private readonly byte[] _key = Secrets.Filled(32);
        private readonly string _sessionId;

        public AnnouncedSession(string sessionId)
        {
            _sessionId = sessionId;
            Offers = new OfferBook(Clock, 4);
            Offers.Add(new PeerOffer(sessionId, "T-0001", (byte[])_password.Clone(), (byte[])_key.Clone(), Clock.UtcNowSeconds + 60));
        }

        public FakeClock Clock { get; } = new();

        public PeerGate.Protocol.Host.HostPeerCrypto Crypto { get; } = new();

        public OfferBook Offers { get; }

        public PeerChannel Dial(MemoryPeerNetwork network) =>
            new PeerDialer(network, Crypto, Clock, new ConcurrentLog(), 5000, 5000).Dial(new ConnectionGrant
            {
                SessionId = _sessionId,
                CalleeTerminalId = "T-0002",
                CalleeLocalIp = "10.0.0.2",
                CalleeLocalPort = 7001,
                Password = Convert.ToBase64String(_password),
                Key = Convert.ToBase64String(_key),
                ExpiresAt = Clock.UtcNowSeconds + 60,
            }, "T-0001");
    }

    private sealed class ConcurrentLog : IDeviceLog
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public void Event(string name, string detail) => _lines.Enqueue(name + " " + detail);

        public bool Has(string name) => _lines.Any(line => line.StartsWith(name + " ", StringComparison.Ordinal));
    }
}
