using System.Collections.Concurrent;
using PeerGate.Device.Connections;
using PeerGate.Device.Load;
using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Tests.Peer;

/// <summary>
/// Reverse connect (F30) in the device core: the callee connects out and plays the acceptor, the
/// caller's listener hands the verified connection to the waiting dial, which plays the dialer; a
/// forged or unawaited reverse preamble is refused; a wrong connection password means the callee never
/// connects out and never accepts.
/// </summary>
[TestClass]
public sealed class ReverseConnectTests
{
    private const string SessionId = "S-REV-1";
    private const string CallerId = "T-CALLER";
    private const string CalleeId = "T-CALLEE";
    private const string CallerIp = "203.0.113.9";
    private const int CallerPort = 7501;
    private const int WaitMillis = 5000;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    private readonly HostPeerCrypto _crypto = new();
    private readonly byte[] _password = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
    private readonly byte[] _key = Enumerable.Range(40, 32).Select(i => (byte)i).ToArray();

    [TestMethod]
    public async Task TheCalleeConnectsOutAndAcceptsAndTheCallerDialsOnTheHandedOverConnection()
    {
        var clock = new TickClock();
        var log = new ConcurrentLog();
        var (callerEnd, calleeEnd) = Pair();
        var network = new OneConnectionNetwork(calleeEnd);
        var (sink, _) = Callee(clock, log, network, password: null);
        var (listener, dialer, book) = Caller(clock, log);

        var dial = Task.Run(() => dialer.Dial(Grant(ConnectionPaths.Reverse), CallerId));
        Assert.IsTrue(SpinWait.SpinUntil(() => book.Waiting == 1, Limit), "the dial waits for its callee");
        sink.Offer(Offer(ConnectionPaths.Reverse, devicePassword: null));

        Assert.IsNull(listener.Accept(callerEnd), "the caller's listener hands the reverse connection to the dial");
        var channel = await dial.WaitAsync(Limit);

        Assert.AreEqual((CallerIp, CallerPort), network.Dialled.Single(), "the callee dials the caller's address from the offer");
        var message = "reverse hello"u8.ToArray();
        Assert.AreEqual(message.Length, channel.Send(message, 0, message.Length));
        var echo = new byte[message.Length];
        var received = 0;
        while (received < echo.Length)
        {
            var n = channel.Receive(echo, received, echo.Length - received, WaitMillis);
            Assert.IsGreaterThan(0, n, "the callee's echo arrives");
            received += n;
        }

        CollectionAssert.AreEqual(message, echo, "data flows both ways on the reverse connection");
        channel.Close(CloseReasons.Finished);
        Assert.IsTrue(SpinWait.SpinUntil(() => log.Has("peer.session-ended"), Limit), "the callee served the session as acceptor");
        Assert.IsTrue(log.Has("peer.reverse-accepted"));
        Assert.IsTrue(log.Has("peer.accepted"));
    }

    [TestMethod]
    public void AReversePreambleUnderAnotherKeyIsRefusedAndTheDialTimesOut()
    {
        var clock = new FakeClock();
        var log = new ConcurrentLog();
        var (listener, dialer, book) = Caller(clock, log);
        var (callerEnd, strangerEnd) = Pair();
        var wait = book.Await(SessionId, _key);

        // A stranger knows the session ID (it travels in clear) but not the key.
        WriteReversePreamble(strangerEnd, Enumerable.Repeat((byte)0x5A, 32).ToArray());
        var refused = Assert.Throws<PeerException>(() => listener.Accept(callerEnd));

        Assert.AreEqual(ErrorCodes.PeerRequestInvalid, refused.Code);
        Assert.IsTrue(callerEnd.Closed, "the forged connection is closed");
        Assert.IsTrue(log.Has("peer.reverse-refused"));
        Assert.IsNull(wait.Take(1000), "the dial was handed nothing");

        var timedOut = Assert.Throws<PeerException>(() => dialer.Dial(Grant(ConnectionPaths.Reverse), CallerId));
        Assert.AreEqual(ErrorCodes.ReverseConnectTimeout, timedOut.Code);
        Assert.AreEqual(0, book.Waiting, "a dial that gave up leaves the book");
    }

    [TestMethod]
    public void AReversePreambleNoDialAwaitsIsRefusedAtOnce()
    {
        var clock = new FakeClock();
        var log = new ConcurrentLog();
        var (listener, _, _) = Caller(clock, log);
        var (callerEnd, calleeEnd) = Pair();
        WriteReversePreamble(calleeEnd, ReversePreamble.Tag(_crypto, _key, SessionId));
        var before = clock.UptimeMillis;

        var refused = Assert.Throws<PeerException>(() => listener.Accept(callerEnd));

        Assert.AreEqual(ErrorCodes.PeerRequestInvalid, refused.Code);
        Assert.AreEqual(before, clock.UptimeMillis, "no query in flight: no wait");
        Assert.IsTrue(callerEnd.Closed);
    }

    [TestMethod]
    public void AListenerWithoutReverseDialsRefusesAReversePreambleAsMalformed()
    {
        var clock = new FakeClock();
        var log = new ConcurrentLog();
        var acceptor = new PeerAcceptor(new OfferBook(clock, 4), _crypto, clock, log, WaitMillis);
        var (callerEnd, calleeEnd) = Pair();
        WriteReversePreamble(calleeEnd, ReversePreamble.Tag(_crypto, _key, SessionId));

        Assert.AreEqual(ErrorCodes.FrameMalformed, Assert.Throws<PeerException>(() => acceptor.Accept(callerEnd)).Code);
    }

    [TestMethod]
    [DataRow(null, DisplayName = "no password given")]
    [DataRow("wrong", DisplayName = "a wrong password")]
    [DataRow("door-4711x", DisplayName = "the right password and more")]
    public void AWrongDevicePasswordMeansTheCalleeNeverConnectsOutNorAccepts(string? given)
    {
        var clock = new FakeClock();
        var log = new ConcurrentLog();
        var network = new OneConnectionNetwork(null);
        var (sink, acceptor) = Callee(clock, log, network, password: "door-4711");
        sink.Expect(SessionId);

        sink.Offer(Offer(ConnectionPaths.Reverse, given));

        Assert.IsEmpty(network.Dialled, "never connects out");
        Assert.IsTrue(log.Has("connection-password-refused"));
        Assert.IsFalse(log.Lines.Any(line => line.Contains("door-4711", StringComparison.Ordinal)), "the password reaches no log");

        // A direct caller naming the session is refused at once: no offer, and no longer expected.
        var (calleeEnd, callerEnd) = Pair();
        var preamble = new byte[PeerPreamble.MaxLength];
        callerEnd.Write(preamble, 0, PeerPreamble.Write(SessionId, preamble, 0));
        var before = clock.UptimeMillis;
        Assert.AreEqual(ErrorCodes.PeerRequestInvalid, Assert.Throws<PeerException>(() => acceptor.Accept(calleeEnd)).Code);
        Assert.AreEqual(before, clock.UptimeMillis, "no wait for an offer that will never come");
    }

    [TestMethod]
    public void TheRightDevicePasswordLetsTheCalleeConnectOutAndOneWithoutAPasswordIgnoresTheField()
    {
        foreach (var (configured, given) in new[] { ("door-4711", "door-4711"), ((string?)null, "anything") })
        {
            var log = new ConcurrentLog();
            var network = new OneConnectionNetwork(null);
            var (sink, _) = Callee(new FakeClock(), log, network, configured);

            sink.Offer(Offer(ConnectionPaths.Reverse, given));

            Assert.IsTrue(SpinWait.SpinUntil(() => network.Dialled.Count == 1, Limit), $"connects out ({configured ?? "no password"})");
            Assert.IsFalse(log.Has("connection-password-refused"));
        }
    }

    [TestMethod]
    public void ThePasswordCheckMatchesExactlyTheSamePassword()
    {
        Assert.IsTrue(ConnectionPasswords.Matches("door-4711", "door-4711"));
        Assert.IsTrue(ConnectionPasswords.Matches(null!, null!), "no password configured: anything goes");
        Assert.IsFalse(ConnectionPasswords.Matches("door-4711", "door-4712"));
        Assert.IsFalse(ConnectionPasswords.Matches("door-4711", "door-471"));
        Assert.IsFalse(ConnectionPasswords.Matches("door-4711", ""));
        Assert.IsFalse(ConnectionPasswords.Matches("door-4711", null!));
        Assert.IsFalse(ConnectionPasswords.Matches("a", "a" + new string('\0', 200)), "past the compared length");
    }

    private (OfferBookSink Sink, PeerAcceptor Acceptor) Callee(IClock clock, IDeviceLog log, IPeerNetwork network, string? password)
    {
        var offers = new OfferBook(clock, 4);
        var acceptor = new PeerAcceptor(offers, _crypto, clock, log, WaitMillis);
        var server = new PeerServer(network, acceptor, new LoadMonitor(new FakeLoadSource(), new DeviceConfig()), log, 2)
        {
            Application = new EchoApplication(log),
        };
        var sink = new OfferBookSink(offers, log)
        {
            ConnectionPassword = password!,
            Reverse = new ReverseConnector(network, _crypto, server, log),
        };
        return (sink, acceptor);
    }

    private (PeerAcceptor Listener, PeerDialer Dialer, ReverseBook Book) Caller(IClock clock, IDeviceLog log)
    {
        var book = new ReverseBook(_crypto, clock, log);
        var listener = new PeerAcceptor(new OfferBook(clock, 4), _crypto, clock, log, WaitMillis) { Reverse = book };
        var dialer = new PeerDialer(new OneConnectionNetwork(null), _crypto, clock, log, WaitMillis, WaitMillis) { Reverse = book };
        return (listener, dialer, book);
    }

    private static (PipeConnection A, PipeConnection B) Pair()
    {
        var toA = new BytePipe();
        var toB = new BytePipe();
        return (new PipeConnection(toA, toB, "198.51.100.7"), new PipeConnection(toB, toA, CallerIp));
    }

    private static void WriteReversePreamble(IPeerConnection connection, byte[] tag)
    {
        var buffer = new byte[ReversePreamble.MaxLength];
        connection.Write(buffer, 0, ReversePreamble.Write(SessionId, tag, buffer, 0));
    }

    private ConnectionGrant Grant(string path) => new()
    {
        SessionId = SessionId,
        CalleeTerminalId = CalleeId,
        CalleeLocalIp = "192.168.7.2",
        CalleeLocalPort = 7001,
        CalleeObservedIp = "198.51.100.7",
        CalleeObservedPort = 40000,
        Password = Convert.ToBase64String(_password),
        Key = Convert.ToBase64String(_key),
        ExpiresAt = FakeClock.Epoch + 3600,
        Path = path,
    };

    private Trigger Offer(string path, string? devicePassword) => new()
    {
        Kind = TriggerKinds.SessionOffer,
        SessionId = SessionId,
        PeerTerminalId = CallerId,
        PeerObservedIp = CallerIp,
        PeerObservedPort = CallerPort,
        Password = Convert.ToBase64String(_password),
        Key = Convert.ToBase64String(_key),
        ExpiresAt = FakeClock.Epoch + 3600,
        Path = path,
        DevicePassword = devicePassword!,
    };

    /// <summary>Real milliseconds, waits really end when the handle is set: for two roles on two threads (no expiry is waited out).</summary>
    private sealed class TickClock : IClock
    {
        public long UtcNowSeconds => FakeClock.Epoch;

        public long UptimeMillis => Environment.TickCount64;

        public bool Sleep(int millis, WaitHandle cancel) => cancel.WaitOne(Math.Max(0, millis));
    }

    /// <summary>Records every Connect; hands out one prepared connection (or none).</summary>
    private sealed class OneConnectionNetwork(IPeerConnection? connection) : IPeerNetwork
    {
        public ConcurrentQueue<(string, int)> Dialled { get; } = new();

        public IPeerConnection Connect(string ip, int port, int timeoutMillis)
        {
            Dialled.Enqueue((ip, port));
            return connection!;
        }

        public IPeerListener Listen(int port) => throw new NotSupportedException();
    }

    private sealed class ConcurrentLog : IDeviceLog
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IEnumerable<string> Lines => _lines;

        public void Event(string name, string detail) => _lines.Enqueue(name + " " + detail);

        public bool Has(string name) => _lines.Any(line => line.StartsWith(name + " ", StringComparison.Ordinal));
    }
}
