using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Device.Registry;
using PeerGate.Device.Rendezvous;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Rendezvous;

namespace PeerGate.Device.Tests;

/// <summary>
/// The device core allocates nothing per frame and per keepalive once warm (issue 12): a Data frame
/// sealed and sent, one received and opened, and a UDP registration with its verified ack, each over
/// the host's real crypto. Allocation on one thread is counted exactly, so these are not timed tests:
/// a single byte per call fails them.
/// </summary>
[TestClass]
public sealed class SteadyStateAllocationTests
{
    private const int WarmUp = 50;
    private const int Rounds = 1000;
    private const int WaitMillis = 5000;
    private const string SessionId = "S-ALLOC-1";
    private const string CallerId = "T-0001";
    private const string TerminalId = "T00A1B2C3D4E5F607";
    private const string Serial = "S1";

    private readonly FakeClock _clock = new();
    private readonly HostPeerCrypto _crypto = new();
    private readonly byte[] _password = Secrets.Filled(16);
    private readonly byte[] _key = Secrets.Filled(32);

    [TestMethod]
    [DataRow(1, DisplayName = "1-byte frames")]
    [DataRow(512, DisplayName = "512-byte frames")]
    [DataRow(4096, DisplayName = "full frames")]
    public void AFrameSealedAndOneOpenedAllocateNothing(int payloadBytes)
    {
        var (caller, callee) = OpenChannel();
        var payload = Secrets.Filled(payloadBytes);
        var received = new byte[payloadBytes];

        long sealedBytes = 0;
        long openedBytes = 0;
        for (var i = 0; i < WarmUp + Rounds; i++)
        {
            PeerChannel sender = i % 2 == 0 ? caller : callee;
            PeerChannel receiver = i % 2 == 0 ? callee : caller;
            var before = GC.GetAllocatedBytesForCurrentThread();
            var sent = sender.Send(payload, 0, payload.Length);
            var between = GC.GetAllocatedBytesForCurrentThread();
            var got = receiver.Receive(received, 0, received.Length, WaitMillis);
            var after = GC.GetAllocatedBytesForCurrentThread();

            Assert.AreEqual(payloadBytes, sent);
            Assert.AreEqual(payloadBytes, got);
            if (i >= WarmUp)
            {
                sealedBytes += between - before;
                openedBytes += after - between;
            }
        }

        CollectionAssert.AreEqual(payload, received, "the last frame carried its payload");
        Assert.AreEqual(0L, sealedBytes, $"bytes allocated in {Rounds} frames sealed and sent");
        Assert.AreEqual(0L, openedBytes, $"bytes allocated in {Rounds} frames received and opened");
    }

    [TestMethod]
    public void AKeepaliveAndItsAckAllocateNothing()
    {
        var socket = new AckingSocket(_key, System.Net.IPAddress.Parse("203.0.113.9").GetAddressBytes(), 40123);
        var holder = new Holder { Certificate = new CertificateResponse { TerminalId = TerminalId, Serial = Serial, UdpKey = Convert.ToBase64String(_key) } };
        var registration = new UdpRegistration(socket, holder, _crypto, _clock, new RecordingLog(), "127.0.0.1", 5081);
        var local = UdpRegistration.ParseIPv4("192.168.1.20");

        for (var i = 0; i < WarmUp; i++)
        {
            Assert.IsTrue(registration.RegisterOnce(local, 7400));
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Rounds; i++)
        {
            if (!registration.RegisterOnce(local, 7400))
            {
                Assert.Fail($"keepalive {i} was not acknowledged");
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.AreEqual("203.0.113.9", registration.ObservedIp);
        Assert.AreEqual((long)WarmUp + Rounds, registration.Counter);
        Assert.AreEqual(0L, allocated, $"bytes allocated in {Rounds} keepalives");
    }

    [TestMethod]
    public void AChangedMappingIsStillSeenWhenTheAckIsComparedAsBytes()
    {
        var socket = new AckingSocket(_key, System.Net.IPAddress.Parse("203.0.113.9").GetAddressBytes(), 40123);
        var holder = new Holder { Certificate = new CertificateResponse { TerminalId = TerminalId, Serial = Serial, UdpKey = Convert.ToBase64String(_key) } };
        var log = new RecordingLog();
        var registration = new UdpRegistration(socket, holder, _crypto, _clock, log, "127.0.0.1", 5081);

        Assert.IsTrue(registration.RegisterOnce(null, 0));
        Assert.IsTrue(registration.RegisterOnce(null, 0));
        Assert.AreEqual(1, log.Lines.Count(l => l.StartsWith("udp-mapping ", StringComparison.Ordinal)), "the same mapping is logged once");

        socket.Observed = System.Net.IPAddress.Parse("203.0.113.10").GetAddressBytes();
        Assert.IsTrue(registration.RegisterOnce(null, 0));
        Assert.AreEqual("203.0.113.10", registration.ObservedIp);

        socket.Port = 40124;
        Assert.IsTrue(registration.RegisterOnce(null, 0));
        Assert.AreEqual(40124, registration.ObservedPort);

        socket.Observed = System.Net.IPAddress.Parse("2001:db8::1").GetAddressBytes();
        Assert.IsTrue(registration.RegisterOnce(null, 0));
        Assert.AreEqual("2001:db8:0:0:0:0:0:1", registration.ObservedIp);
        Assert.AreEqual(4, log.Lines.Count(l => l.StartsWith("udp-mapping ", StringComparison.Ordinal)), "each change is logged");
    }

    private (PeerChannel Caller, PeerChannel Callee) OpenChannel()
    {
        var network = new MemoryPeerNetwork();
        var book = new OfferBook(_clock, 4);
        book.Add(new PeerOffer(SessionId, CallerId, (byte[])_password.Clone(), (byte[])_key.Clone(), _clock.UtcNowSeconds + 600));
        var acceptor = new PeerAcceptor(book, _crypto, _clock, new RecordingLog(), WaitMillis);
        var dialer = new PeerDialer(network, _crypto, _clock, new RecordingLog(), WaitMillis, WaitMillis);

        var accepted = Task.Run(() => acceptor.Accept(network.Accept(WaitMillis)));
        var caller = dialer.Dial(Grant(), CallerId);
        Assert.IsTrue(accepted.Wait(WaitMillis), "the callee finished its handshake");
        return (caller, accepted.Result);
    }

    private ConnectionGrant Grant() => new()
    {
        SessionId = SessionId,
        CalleeTerminalId = "T-0002",
        CalleeLocalIp = "192.168.1.50",
        CalleeLocalPort = 7001,
        CalleeObservedIp = "203.0.113.7",
        CalleeObservedPort = 40000,
        Password = Convert.ToBase64String(_password),
        Key = Convert.ToBase64String(_key),
        ExpiresAt = _clock.UtcNowSeconds + 600,
    };

    private sealed class Holder : ICertificateHolder
    {
        public CertificateResponse Certificate { get; set; } = null!;

        public void CertificateRefused(CertificateResponse certificate)
        {
        }
    }

    /// <summary>
    /// The server's side of a keepalive without allocating: each registration sent is answered with the
    /// ack of its counter, written into one reused buffer with the shared writer.
    /// </summary>
    private sealed class AckingSocket(byte[] key, byte[] observed, int port) : IDatagramSocket
    {
        private readonly HostPeerCrypto _crypto = new();
        private readonly RendezvousDatagram _reader = new();
        private readonly byte[] _reply = new byte[RendezvousDatagram.MaxLength];
        private readonly byte[] _work = new byte[RendezvousDatagram.WorkLength];
        private int _replyLength;

        public byte[] Observed { get; set; } = observed;

        public int Port { get; set; } = port;

        public int LocalPort => 50000;

        public bool SendTo(byte[] buffer, int offset, int count, string ip, int port)
        {
            Assert.IsTrue(_reader.Read(buffer, count), "a registration the shared reader reads");
            _replyLength = RendezvousDatagram.WriteAck(_reply, TerminalId, Serial, _reader.Counter, Observed, Port, 25, key, _crypto, _work);
            return true;
        }

        public int Receive(byte[] buffer, int offset, int count, int timeoutMillis)
        {
            if (_replyLength == 0)
            {
                return -1;
            }

            Array.Copy(_reply, 0, buffer, offset, _replyLength);
            var length = _replyLength;
            _replyLength = 0;
            return length;
        }

        public void Close()
        {
        }
    }
}
