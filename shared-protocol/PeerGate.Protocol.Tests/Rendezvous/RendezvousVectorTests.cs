using System.Net;
using System.Text.Json;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Rendezvous;

namespace PeerGate.Protocol.Tests.Rendezvous;

/// <summary>
/// shared-protocol/vectors/rendezvous.json: the UDP datagrams byte for byte (computed independently of
/// this code, with Python's hmac). Writing reproduces each; reading gives back each field and the tag
/// verifies; any change to any byte makes the tag fail or the structure refuse.
/// </summary>
[TestClass]
public sealed class RendezvousVectorTests
{
    private static readonly string VectorPath = Path.Combine(AppContext.BaseDirectory, "vectors", "rendezvous.json");
    private static readonly HostPeerCrypto Crypto = new();

    [TestMethod]
    public void WritersReproduceEveryVectorByteForByte()
    {
        using var vector = JsonDocument.Parse(File.ReadAllText(VectorPath));
        var (key, terminal, serial) = Common(vector);
        var buffer = new byte[RendezvousDatagram.MaxLength];
        var work = new byte[RendezvousDatagram.WorkLength];
        var checkedCount = 0;

        foreach (var datagram in vector.RootElement.GetProperty("datagrams").EnumerateArray())
        {
            var counter = datagram.GetProperty("counter").GetInt64();
            var length = datagram.GetProperty("type").GetInt32() switch
            {
                RendezvousDatagram.TypeRegister => RendezvousDatagram.WriteRegister(
                    buffer, terminal, serial, counter, AddressOrNull(datagram, "localAddress"), datagram.GetProperty("localPort").GetInt32(), key, Crypto, work),
                RendezvousDatagram.TypeAck => RendezvousDatagram.WriteAck(
                    buffer, terminal, serial, counter, AddressOrNull(datagram, "observedAddress"), datagram.GetProperty("observedPort").GetInt32(),
                    datagram.GetProperty("intervalSeconds").GetInt32(), key, Crypto, work),
                RendezvousDatagram.TypeProbe => RendezvousDatagram.WriteProbe(
                    buffer, terminal, serial, counter, datagram.GetProperty("delaySeconds").GetInt32(), key, Crypto, work),
                RendezvousDatagram.TypeProbeAnswer => RendezvousDatagram.WriteProbeAnswer(
                    buffer, terminal, serial, counter, datagram.GetProperty("delaySeconds").GetInt32(), key, Crypto, work),
                _ => RendezvousDatagram.WriteWake(buffer, terminal, serial, counter, key, Crypto, work),
            };

            Assert.AreEqual(datagram.GetProperty("hex").GetString(), Convert.ToHexString(buffer, 0, length), datagram.GetProperty("name").GetString());
            checkedCount++;
        }

        Assert.AreEqual(8, checkedCount);
    }

    [TestMethod]
    public void ReaderGivesBackEveryFieldAndTheTagVerifies()
    {
        using var vector = JsonDocument.Parse(File.ReadAllText(VectorPath));
        var (key, terminal, serial) = Common(vector);
        var work = new byte[RendezvousDatagram.WorkLength];
        var reader = new RendezvousDatagram();

        foreach (var datagram in vector.RootElement.GetProperty("datagrams").EnumerateArray())
        {
            var name = datagram.GetProperty("name").GetString();
            var bytes = Convert.FromHexString(datagram.GetProperty("hex").GetString()!);
            Assert.AreEqual(datagram.GetProperty("length").GetInt32(), bytes.Length, name);
            Assert.IsTrue(reader.Read(bytes, bytes.Length), name);
            Assert.AreEqual(datagram.GetProperty("type").GetInt32(), reader.Type, name);
            Assert.IsTrue(reader.TerminalIdIs(terminal), name);
            Assert.IsTrue(reader.SerialIs(serial), name);
            Assert.AreEqual(terminal, reader.TerminalId(), name);
            Assert.AreEqual(datagram.GetProperty("counter").GetInt64(), reader.Counter, name);
            Assert.IsTrue(reader.Verify(key, Crypto, work), name);

            var address = reader.Type == RendezvousDatagram.TypeRegister ? "localAddress" : "observedAddress";
            if (reader.Type is RendezvousDatagram.TypeProbe or RendezvousDatagram.TypeProbeAnswer)
            {
                Assert.AreEqual(datagram.GetProperty("delaySeconds").GetInt32(), reader.DelaySeconds, name);
            }
            else if (reader.Type != RendezvousDatagram.TypeWake)
            {
                var expected = AddressOrNull(datagram, address);
                Assert.AreEqual(expected is null ? "" : Convert.ToHexString(expected), Convert.ToHexString(bytes, reader.AddressOffset, reader.AddressLength), name);
                Assert.AreEqual(datagram.GetProperty(reader.Type == RendezvousDatagram.TypeRegister ? "localPort" : "observedPort").GetInt32(), reader.Port, name);
            }

            if (reader.Type == RendezvousDatagram.TypeAck)
            {
                Assert.AreEqual(datagram.GetProperty("intervalSeconds").GetInt32(), reader.IntervalSeconds, name);
            }
        }
    }

    [TestMethod]
    public void AnyChangedByteIsRefusedByTheStructureOrTheTag()
    {
        using var vector = JsonDocument.Parse(File.ReadAllText(VectorPath));
        var (key, _, _) = Common(vector);
        var work = new byte[RendezvousDatagram.WorkLength];
        var reader = new RendezvousDatagram();
        var tried = 0;

        foreach (var datagram in vector.RootElement.GetProperty("datagrams").EnumerateArray())
        {
            var bytes = Convert.FromHexString(datagram.GetProperty("hex").GetString()!);
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] ^= 0x01;
                Assert.IsFalse(reader.Read(bytes, bytes.Length) && reader.Verify(key, Crypto, work), $"{datagram.GetProperty("name").GetString()} byte {i}");
                bytes[i] ^= 0x01;
                tried++;
            }

            var otherKey = (byte[])key.Clone();
            otherKey[0] ^= 0x80;
            Assert.IsTrue(reader.Read(bytes, bytes.Length));
            Assert.IsFalse(reader.Verify(otherKey, Crypto, work));
        }

        Assert.IsTrue(tried > 300);
    }

    [TestMethod]
    public void TruncatedExtendedAndOversizedDatagramsAreRefusedUnread()
    {
        using var vector = JsonDocument.Parse(File.ReadAllText(VectorPath));
        var reader = new RendezvousDatagram();
        var register = Convert.FromHexString(vector.RootElement.GetProperty("datagrams")[0].GetProperty("hex").GetString()!);

        for (var length = 0; length < register.Length; length++)
        {
            Assert.IsFalse(reader.Read(register, length), $"truncated to {length}");
        }

        var longer = new byte[RendezvousDatagram.MaxLength + 1];
        register.CopyTo(longer, 0);
        Assert.IsFalse(reader.Read(longer, register.Length + 1), "one byte extra");
        Assert.IsFalse(reader.Read(longer, longer.Length), "longer than MaxLength");
        Assert.IsFalse(reader.Read(register, register.Length + 1), "length beyond the buffer");
        Assert.IsFalse(reader.Read(null!, 10));

        // A zero counter, a declared length past the end and an unknown type are each malformed.
        var zeroCounter = (byte[])register.Clone();
        var counterAt = 5 + 1 + 17 + 1 + 24;
        Array.Clear(zeroCounter, counterAt, 8);
        Assert.IsFalse(reader.Read(zeroCounter, zeroCounter.Length));
        var longId = (byte[])register.Clone();
        longId[5] = 33;
        Assert.IsFalse(reader.Read(longId, longId.Length));
        var unknownType = (byte[])register.Clone();
        unknownType[4] = 9;
        Assert.IsFalse(reader.Read(unknownType, unknownType.Length));
        Assert.IsTrue(reader.Read(register, register.Length));
    }

    [TestMethod]
    public void AProbeAsksForADelayOfOneSecondUpToTheBoundAndItsAnswerMayBeTheReceipt()
    {
        using var vector = JsonDocument.Parse(File.ReadAllText(VectorPath));
        var (key, terminal, serial) = Common(vector);
        var reader = new RendezvousDatagram();
        var buffer = new byte[RendezvousDatagram.MaxLength];
        var work = new byte[RendezvousDatagram.WorkLength];

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RendezvousDatagram.WriteProbe(buffer, terminal, serial, 1, 0, key, Crypto, work));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RendezvousDatagram.WriteProbe(buffer, terminal, serial, 1, RendezvousDatagram.MaxProbeDelaySeconds + 1, key, Crypto, work));
        var length = RendezvousDatagram.WriteProbe(buffer, terminal, serial, 1, RendezvousDatagram.MaxProbeDelaySeconds, key, Crypto, work);
        Assert.IsTrue(reader.Read(buffer, length));
        Assert.AreEqual(RendezvousDatagram.MaxProbeDelaySeconds, reader.DelaySeconds);

        // A probe asking for no delay, or for more than the bound, is malformed (the tag does not matter).
        var delayAt = length - RendezvousDatagram.TagLength - 2;
        buffer[delayAt] = 0;
        buffer[delayAt + 1] = 0;
        Assert.IsFalse(reader.Read(buffer, length), "a probe with delay 0");
        buffer[delayAt] = 0xFF;
        Assert.IsFalse(reader.Read(buffer, length), "a probe beyond the bound");
        buffer[4] = RendezvousDatagram.TypeProbeAnswer;
        Assert.IsFalse(reader.Read(buffer, length), "an answer beyond the bound");
        buffer[delayAt] = 0;
        buffer[delayAt + 1] = 0;
        Assert.IsTrue(reader.Read(buffer, length), "the receipt");
        Assert.AreEqual(0, reader.DelaySeconds);
    }

    private static (byte[] Key, string Terminal, string Serial) Common(JsonDocument vector) =>
        (Convert.FromHexString(vector.RootElement.GetProperty("udpKey").GetString()!),
         vector.RootElement.GetProperty("terminalId").GetString()!,
         vector.RootElement.GetProperty("serial").GetString()!);

    private static byte[]? AddressOrNull(JsonElement datagram, string name) =>
        datagram.GetProperty(name).ValueKind == JsonValueKind.Null ? null : IPAddress.Parse(datagram.GetProperty(name).GetString()!).GetAddressBytes();
}
