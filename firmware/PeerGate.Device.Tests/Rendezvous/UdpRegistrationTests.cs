using PeerGate.Device.Platform;
using PeerGate.Device.Registry;
using PeerGate.Device.Rendezvous;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Rendezvous;

namespace PeerGate.Device.Tests.Rendezvous;

/// <summary>
/// The device side of UDP registration (F27) against a scripted socket: the datagram it sends is the
/// shared writer's, only the verified acknowledgement of the datagram just sent teaches it its mapping,
/// and the counter rises per certificate.
/// </summary>
[TestClass]
public sealed class UdpRegistrationTests
{
    private static readonly HostPeerCrypto Crypto = new();
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)(0x40 + i)).ToArray();

    [TestMethod]
    public void AVerifiedAckTeachesTheMappingAndTheCounterRises()
    {
        var holder = new Holder { Certificate = Certificate("S1", Key) };
        var socket = new ScriptedSocket(sent => Ack(sent, Key, "203.0.113.9", 40123));
        var log = new RecordingLog();
        var registration = new UdpRegistration(socket, holder, Crypto, new FakeClock(), log, "127.0.0.1", 5081);

        Assert.IsTrue(registration.RegisterOnce(UdpRegistration.ParseIPv4("192.168.1.20"), 7400));
        Assert.AreEqual("203.0.113.9", registration.ObservedIp);
        Assert.AreEqual(40123, registration.ObservedPort);
        Assert.AreEqual(25, registration.ServerIntervalSeconds);
        Assert.IsTrue(log.Has("udp-mapping"));

        Assert.IsTrue(registration.RegisterOnce(null, 0));
        var reader = new RendezvousDatagram();
        Assert.AreEqual(2, socket.Sent.Count);
        Assert.IsTrue(reader.Read(socket.Sent[1], socket.Sent[1].Length));
        Assert.IsTrue(reader.Verify(Key, Crypto, new byte[RendezvousDatagram.WorkLength]));
        Assert.AreEqual(2L, reader.Counter);
        Assert.AreEqual(("127.0.0.1", 5081), socket.Destination);

        // A new certificate: its own key, and the counter starts again.
        var otherKey = Key.Select(b => (byte)(b ^ 0xFF)).ToArray();
        holder.Certificate = Certificate("S2", otherKey);
        socket.Answer = sent => Ack(sent, otherKey, "203.0.113.9", 40124);
        Assert.IsTrue(registration.RegisterOnce(null, 0));
        Assert.AreEqual(1L, registration.Counter);
        Assert.AreEqual(40124, registration.ObservedPort);
    }

    [TestMethod]
    public void AForgedStaleOrForeignAckTeachesNothing()
    {
        var holder = new Holder { Certificate = Certificate("S1", Key) };
        var wrongKey = Key.Select(b => (byte)(b ^ 0x01)).ToArray();
        var clock = new FakeClock();
        var socket = new ScriptedSocket(sent => Ack(sent, wrongKey, "198.51.100.1", 1));
        var registration = new UdpRegistration(socket, holder, Crypto, clock, new RecordingLog(), "127.0.0.1", 5081);
        socket.Clock = clock;

        Assert.IsFalse(registration.RegisterOnce(null, 0), "an ack under another key");
        Assert.IsNull(registration.ObservedIp);

        socket.Answer = sent => Ack(sent, Key, "198.51.100.1", 1, counterDelta: -1);
        Assert.IsFalse(registration.RegisterOnce(null, 0), "the ack of an earlier registration");
        Assert.IsNull(registration.ObservedIp);

        socket.Answer = sent => sent;
        Assert.IsFalse(registration.RegisterOnce(null, 0), "its own registration reflected back");
        Assert.IsNull(registration.ObservedIp);

        holder.Certificate = new CertificateResponse { TerminalId = "T1", Serial = "S1" };
        Assert.IsFalse(registration.RegisterOnce(null, 0), "no UDP key: nothing is sent");
        Assert.AreEqual(3, socket.Sent.Count);
    }

    [TestMethod]
    public void DottedAddressesParseAndPrint()
    {
        CollectionAssert.AreEqual(new byte[] { 10, 0, 255, 1 }, UdpRegistration.ParseIPv4("10.0.255.1"));
        Assert.IsNull(UdpRegistration.ParseIPv4("10.0.256.1"));
        Assert.IsNull(UdpRegistration.ParseIPv4("10.0.1"));
        Assert.IsNull(UdpRegistration.ParseIPv4("10..0.1"));
        Assert.IsNull(UdpRegistration.ParseIPv4("::1"));
        Assert.AreEqual("10.0.255.1", UdpRegistration.AddressText([10, 0, 255, 1], 0, 4));
        Assert.AreEqual("2001:db8:0:0:0:0:0:1", UdpRegistration.AddressText(Convert.FromHexString("20010DB8000000000000000000000001"), 0, 16));
    }

    private static CertificateResponse Certificate(string serial, byte[] key) =>
        new() { TerminalId = "T00A1B2C3D4E5F607", Serial = serial, UdpKey = Convert.ToBase64String(key) };

    private static byte[] Ack(byte[] sent, byte[] key, string ip, int port, int counterDelta = 0)
    {
        var reader = new RendezvousDatagram();
        Assert.IsTrue(reader.Read(sent, sent.Length));
        var buffer = new byte[RendezvousDatagram.MaxLength];
        var length = RendezvousDatagram.WriteAck(
            buffer, reader.TerminalId(), reader.Serial(), Math.Max(1, reader.Counter + counterDelta), System.Net.IPAddress.Parse(ip).GetAddressBytes(), port, 25, key, Crypto, new byte[RendezvousDatagram.WorkLength]);
        return buffer[..length];
    }

    private sealed class Holder : ICertificateHolder
    {
        public CertificateResponse Certificate { get; set; } = null!;

        public void CertificateRefused(CertificateResponse certificate)
        {
        }
    }

    /// <summary>Answers each datagram sent with one scripted reply, then times out (advancing the fake clock).</summary>
    private sealed class ScriptedSocket(Func<byte[], byte[]> answer) : IDatagramSocket
    {
        private readonly Queue<byte[]> _inbox = new();

        public Func<byte[], byte[]> Answer { get; set; } = answer;

        public FakeClock? Clock { get; set; }

        public List<byte[]> Sent { get; } = [];

        public (string Ip, int Port) Destination { get; private set; }

        public int LocalPort => 50000;

        public bool SendTo(byte[] buffer, int offset, int count, string ip, int port)
        {
            var datagram = buffer.AsSpan(offset, count).ToArray();
            Sent.Add(datagram);
            Destination = (ip, port);
            _inbox.Enqueue(Answer(datagram));
            return true;
        }

        public int Receive(byte[] buffer, int offset, int count, int timeoutMillis)
        {
            if (_inbox.Count == 0)
            {
                Clock?.Advance(timeoutMillis);
                return -1;
            }

            var datagram = _inbox.Dequeue();
            datagram.CopyTo(buffer, offset);
            return datagram.Length;
        }

        public void Close()
        {
        }
    }
}
