using System.Net;
using System.Text.Json;
using PeerGate.Protocol.Rendezvous;

namespace PeerGate.Protocol.Tests.Rendezvous;

/// <summary>
/// shared-protocol/vectors/rendezvous-hello.json: the rendezvous endpoint's hello and answers byte for
/// byte (computed independently of this code, with Python's struct and ipaddress). Writing reproduces
/// each, reading gives back each field, and every refused form, truncation and extension is refused.
/// </summary>
[TestClass]
public sealed class RendezvousHelloVectorTests
{
    private static readonly string VectorPath = Path.Combine(AppContext.BaseDirectory, "vectors", "rendezvous-hello.json");

    [TestMethod]
    public void WritersReproduceEveryVectorByteForByte()
    {
        using var vector = JsonDocument.Parse(File.ReadAllText(VectorPath));
        var ticket = Convert.FromHexString(vector.RootElement.GetProperty("ticket").GetString()!);
        var buffer = new byte[RendezvousHello.MaxLength];
        var checkedCount = 0;
        foreach (var message in vector.RootElement.GetProperty("messages").EnumerateArray())
        {
            var type = (byte)message.GetProperty("type").GetInt32();
            var length = type switch
            {
                RendezvousHello.TypeRelay or RendezvousHello.TypePunch or RendezvousHello.TypeProbe => RendezvousHello.WriteHello(buffer, type, ticket),
                RendezvousHello.TypeRelayReady => RendezvousHello.WriteRelayReady(buffer),
                RendezvousHello.TypeRelayNow => RendezvousHello.WriteRelayNow(buffer),
                RendezvousHello.TypeProbeAt => RendezvousHello.WriteProbeAt(buffer, message.GetProperty("port").GetInt32()),
                RendezvousHello.TypeProbeSeen => RendezvousHello.WriteProbeSeen(buffer, IPAddress.Parse(message.GetProperty("address").GetString()!).GetAddressBytes(),
                    message.GetProperty("port").GetInt32()),
                _ => RendezvousHello.WritePunchPeer(buffer, IPAddress.Parse(message.GetProperty("address").GetString()!).GetAddressBytes(),
                    message.GetProperty("port").GetInt32(), message.GetProperty("startDelayMillis").GetInt32()),
            };

            Assert.AreEqual(message.GetProperty("hex").GetString(), Convert.ToHexString(buffer, 0, length), message.GetProperty("name").GetString());
            Assert.AreEqual(message.GetProperty("length").GetInt32(), length);
            checkedCount++;
        }

        Assert.AreEqual(10, checkedCount);
    }

    [TestMethod]
    public void ReaderGivesBackEveryField()
    {
        using var vector = JsonDocument.Parse(File.ReadAllText(VectorPath));
        var ticket = Convert.FromHexString(vector.RootElement.GetProperty("ticket").GetString()!);
        var reader = new RendezvousHello();
        foreach (var message in vector.RootElement.GetProperty("messages").EnumerateArray())
        {
            var name = message.GetProperty("name").GetString();
            var bytes = Convert.FromHexString(message.GetProperty("hex").GetString()!);
            Assert.IsTrue(reader.Read(bytes, bytes.Length), name);
            Assert.AreEqual(message.GetProperty("type").GetInt32(), reader.Type, name);
            if (reader.Type is RendezvousHello.TypeRelay or RendezvousHello.TypePunch or RendezvousHello.TypeProbe)
            {
                Assert.IsTrue(reader.TicketIs(ticket), name);
                var other = (byte[])ticket.Clone();
                other[31] ^= 1;
                Assert.IsFalse(reader.TicketIs(other), name);
                continue;
            }

            Assert.IsFalse(reader.TicketIs(ticket), "an answer carries no ticket");
            Assert.AreEqual(bytes.Length, RendezvousHello.AnswerLength(bytes[RendezvousHello.HeaderLength]), name);
            Assert.AreEqual(message.GetProperty("port").GetInt32(), reader.Port, name);
            Assert.AreEqual(message.GetProperty("startDelayMillis").GetInt32(), reader.StartDelayMillis, name);
            if (reader.Type is RendezvousHello.TypePunchPeer or RendezvousHello.TypeProbeSeen)
            {
                var expected = IPAddress.Parse(message.GetProperty("address").GetString()!);
                Assert.AreEqual(expected, IPAddress.Parse(reader.AddressText()), name);
                Assert.AreEqual(Convert.ToHexString(expected.GetAddressBytes()), Convert.ToHexString(bytes, reader.AddressOffset, reader.AddressLength), name);
            }
            else
            {
                Assert.AreEqual(0, reader.AddressLength, name);
                Assert.IsNull(reader.AddressText(), name);
            }
        }
    }

    [TestMethod]
    public void EveryRefusedFormTruncationAndExtensionIsRefused()
    {
        using var vector = JsonDocument.Parse(File.ReadAllText(VectorPath));
        var reader = new RendezvousHello();
        foreach (var message in vector.RootElement.GetProperty("refused").EnumerateArray())
        {
            var bytes = Convert.FromHexString(message.GetProperty("hex").GetString()!);
            Assert.IsFalse(reader.Read(bytes, bytes.Length), message.GetProperty("name").GetString());
        }

        foreach (var message in vector.RootElement.GetProperty("messages").EnumerateArray())
        {
            var bytes = Convert.FromHexString(message.GetProperty("hex").GetString()!);
            for (var length = 0; length < bytes.Length; length++)
            {
                Assert.IsFalse(reader.Read(bytes, length), $"{message.GetProperty("name").GetString()} cut to {length}");
            }

            var longer = bytes.Concat(new byte[] { 0 }).ToArray();
            Assert.IsFalse(reader.Read(longer, longer.Length), "one byte more");
            Assert.IsFalse(reader.Read(bytes, bytes.Length + 1), "a length past the buffer");
        }

        Assert.IsFalse(reader.Read(null!, 5));
        Assert.AreEqual(-1, RendezvousHello.AnswerLength(5));
    }

    [TestMethod]
    public void WritersRefuseWhatNoReaderWouldTake()
    {
        var buffer = new byte[RendezvousHello.MaxLength];
        Assert.ThrowsExactly<ArgumentException>(() => RendezvousHello.WriteHello(buffer, RendezvousHello.TypeRelay, new byte[31]));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RendezvousHello.WriteHello(buffer, RendezvousHello.TypeRelayReady, new byte[32]));
        Assert.ThrowsExactly<ArgumentException>(() => RendezvousHello.WritePunchPeer(buffer, new byte[5], 1, 0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RendezvousHello.WritePunchPeer(buffer, new byte[4], 0, 0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RendezvousHello.WritePunchPeer(buffer, new byte[4], 1, 65536));
        Assert.ThrowsExactly<ArgumentException>(() => RendezvousHello.WriteHello(new byte[36], RendezvousHello.TypeRelay, new byte[32]));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RendezvousHello.WriteHello(buffer, RendezvousHello.TypeProbeAt, new byte[32]));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RendezvousHello.WriteProbeAt(buffer, 0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RendezvousHello.WriteProbeAt(buffer, 65536));
        Assert.ThrowsExactly<ArgumentException>(() => RendezvousHello.WriteProbeSeen(buffer, new byte[0], 1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RendezvousHello.WriteProbeSeen(buffer, new byte[4], 0));
    }
}
