using PeerGate.Protocol.Host;
using System.Text.Json;
using PeerGate.Protocol.Peer;

namespace PeerGate.Protocol.Tests.Peer;

/// <summary>
/// shared-protocol/vectors/peer: the frame bytes and handshake messages every implementation must
/// produce (computed independently of this code). The board's NanoPeerCrypto and the virtual device's
/// HostPeerCrypto plug into the same codec, so matching here pins the format for both.
/// </summary>
[TestClass]
public sealed class FrameVectorTests
{
    private static readonly string VectorDir = Path.Combine(AppContext.BaseDirectory, "vectors", "peer");

    [TestMethod]
    public void DerivedKeysMatchTheVector()
    {
        using var vector = Load("frames.json");
        var sessionKey = Hex.Decode(vector.RootElement.GetProperty("sessionKey").GetString()!);
        var crypto = new HostPeerCrypto();

        foreach (var direction in new[] { FrameKeys.CallerToCallee, FrameKeys.CalleeToCaller })
        {
            var expected = vector.RootElement.GetProperty("derivedKeys").GetProperty(direction);
            Assert.AreEqual(expected.GetProperty("enc").GetString(), HexOf(FrameKeys.EncryptionKey(crypto, sessionKey, direction)), direction);
            Assert.AreEqual(expected.GetProperty("mac").GetString(), HexOf(FrameKeys.MacKey(crypto, sessionKey, direction)), direction);
        }
    }

    [TestMethod]
    public void SealingReproducesEveryVectorFrameByteForByte()
    {
        using var vector = Load("frames.json");
        var sessionKey = Hex.Decode(vector.RootElement.GetProperty("sessionKey").GetString()!);

        foreach (var isCaller in new[] { true, false })
        {
            var frames = FramesOf(vector, isCaller ? FrameKeys.CallerToCallee : FrameKeys.CalleeToCaller);
            var codec = new FrameCodec(new FixedIvCrypto(frames.Select(f => f.Iv).ToArray()), sessionKey, isCaller);
            var output = new byte[FrameFormat.MaxFrameLength];

            foreach (var frame in frames)
            {
                Assert.AreEqual(frame.Seq, codec.NextSendSeq);
                var length = codec.Seal(frame.Type, frame.Payload, 0, frame.Payload.Length, output, 0);

                Assert.AreEqual(HexOf(frame.Bytes), Hex.Encode(output, 0, length), $"seq {frame.Seq} {(isCaller ? "caller" : "callee")}");
            }
        }
    }

    [TestMethod]
    public void EveryVectorFrameOpensToItsTypeAndPayload()
    {
        using var vector = Load("frames.json");
        var sessionKey = Hex.Decode(vector.RootElement.GetProperty("sessionKey").GetString()!);

        foreach (var isCaller in new[] { true, false })
        {
            // The receiving side of caller-to-callee frames is the callee, and the other way round.
            var frames = FramesOf(vector, isCaller ? FrameKeys.CalleeToCaller : FrameKeys.CallerToCallee);
            var codec = new FrameCodec(new HostPeerCrypto(), sessionKey, isCaller);
            var payload = new byte[FrameFormat.MaxPayload];

            foreach (var frame in frames)
            {
                Assert.AreEqual(frame.Bytes.Length - FrameFormat.HeaderLength, codec.BodyLength(frame.Bytes, 0));
                var length = codec.Open(frame.Bytes, 0, frame.Bytes.Length, out var type, payload, 0);

                Assert.AreEqual(frame.Type, type);
                Assert.AreEqual(HexOf(frame.Payload), Hex.Encode(payload, 0, length));
            }
        }
    }

    [TestMethod]
    public void HandshakeMessagesMatchTheVector()
    {
        using var vector = Load("handshake.json");
        string Field(string name) => vector.RootElement.GetProperty(name).GetString()!;
        var password = Hex.Decode(Field("password"));
        var buffer = new byte[PeerRequest.MaxLength];

        var preambleLength = PeerPreamble.Write(Field("sessionId"), buffer, 0);
        Assert.AreEqual(Field("preamble"), Hex.Encode(buffer, 0, preambleLength));
        Assert.AreEqual(Field("sessionId"), PeerPreamble.Read(buffer, 0, preambleLength));

        var requestLength = new PeerRequest(Field("callerTerminalId"), password, Field("sessionId")).Write(buffer, 0);
        Assert.AreEqual(Field("requestPayload"), Hex.Encode(buffer, 0, requestLength));
        var read = PeerRequest.Read(buffer, 0, requestLength);
        Assert.AreEqual(Field("callerTerminalId"), read.CallerTerminalId);
        Assert.AreEqual(Field("sessionId"), read.SessionId);
        CollectionAssert.AreEqual(password, read.Password);

        Assert.AreEqual(Field("acceptProof"), HexOf(AcceptProof.Compute(new HostPeerCrypto(), password, Field("sessionId"))));
    }

    [TestMethod]
    public void ReversePreambleMatchesTheVectorAndReadsBack()
    {
        using var vector = Load("handshake.json");
        string Field(string name) => vector.RootElement.GetProperty(name).GetString()!;
        var tag = ReversePreamble.Tag(new HostPeerCrypto(), Hex.Decode(Field("sessionKey")), Field("sessionId"));
        Assert.AreEqual(Field("reverseTag"), HexOf(tag));

        var buffer = new byte[ReversePreamble.MaxLength];
        var length = ReversePreamble.Write(Field("sessionId"), tag, buffer, 0);
        Assert.AreEqual(Field("reversePreamble"), Hex.Encode(buffer, 0, length));
        Assert.IsTrue(ReversePreamble.IsReverse(buffer, 0));
        Assert.AreEqual(length - ReversePreamble.HeaderLength, ReversePreamble.RemainingLength(buffer, 0));
        var read = new byte[ReversePreamble.TagLength];
        Assert.AreEqual(Field("sessionId"), ReversePreamble.Read(buffer, 0, length, read));
        CollectionAssert.AreEqual(tag, read);

        // A caller's preamble is not a reverse one, and a cut tag is malformed.
        var dialer = new byte[PeerPreamble.MaxLength];
        PeerPreamble.Write(Field("sessionId"), dialer, 0);
        Assert.IsFalse(ReversePreamble.IsReverse(dialer, 0));
        Assert.AreEqual(ErrorCodes.FrameMalformed, Assert.Throws<FrameException>(() => ReversePreamble.RemainingLength(dialer, 0)).Code);
        Assert.AreEqual(ErrorCodes.FrameMalformed, Assert.Throws<FrameException>(() => ReversePreamble.Read(buffer, 0, length - 1, read)).Code);
    }

    [TestMethod]
    public void LimitsTagMatchesTheVectorAndVerifiesUnderItsKeyOnly()
    {
        using var vector = Load("limits.json");
        string Field(string name) => vector.RootElement.GetProperty(name).GetString()!;
        var crypto = new HostPeerCrypto();
        var key = Hex.Decode(Field("limitsKey"));
        var endsAt = vector.RootElement.GetProperty("endsAt").GetInt64();
        var byteLimit = vector.RootElement.GetProperty("byteLimit").GetInt64();
        var tag = LimitsTag.Compute(crypto, key, Field("sessionId"), endsAt, byteLimit);

        Assert.AreEqual(Field("tag"), HexOf(tag));
        Assert.IsTrue(LimitsTag.Verify(crypto, key, Field("sessionId"), endsAt, byteLimit, tag, 0));
        var otherKey = (byte[])key.Clone();
        otherKey[0] ^= 1;
        Assert.IsFalse(LimitsTag.Verify(crypto, otherKey, Field("sessionId"), endsAt, byteLimit, tag, 0), "another side's key");
        Assert.IsFalse(LimitsTag.Verify(crypto, key, Field("sessionId"), endsAt, byteLimit + 1, tag, 0), "other limits");
        Assert.IsFalse(LimitsTag.Verify(crypto, key, Field("sessionId"), endsAt + 1, byteLimit, tag, 0), "another end");
        Assert.IsFalse(LimitsTag.Verify(crypto, key, "S5F2C9B", endsAt, byteLimit, tag, 0), "another session");
        Assert.IsFalse(LimitsTag.Verify(crypto, null!, Field("sessionId"), endsAt, byteLimit, tag, 0), "no key");

        var payload = new byte[LimitsPayload.Length];
        LimitsPayload.Write(endsAt, byteLimit, tag, payload, 0);
        Assert.AreEqual(Field("payload"), HexOf(payload));
        Assert.AreEqual(48, LimitsPayload.Length);
        Assert.IsTrue(LimitsTag.Verify(crypto, key, Field("sessionId"), LimitsPayload.ReadEndsAt(payload, 0), LimitsPayload.ReadByteLimit(payload, 0), payload, LimitsPayload.TagOffset));
    }

    [TestMethod]
    public void LimitsFrameIsSealedByteForByte()
    {
        using var vector = Load("limits.json");
        string Field(string name) => vector.RootElement.GetProperty(name).GetString()!;
        var codec = new FrameCodec(new FixedIvCrypto([Hex.Decode(Field("iv"))]), Hex.Decode(Field("sessionKey")), isCaller: true);
        var payload = Hex.Decode(Field("payload"));
        var output = new byte[FrameFormat.MaxFrameLength];

        var length = codec.Seal(FrameTypes.Limits, payload, 0, payload.Length, output, 0);

        Assert.AreEqual(Field("frame"), Hex.Encode(output, 0, length));
    }

    [TestMethod]
    public void ExtensionAnswerVectorTagVerifiesUnderTheGrantKeyNotTheOfferKey()
    {
        // SessionLimits.json answers the callee's extension: its tag is for the caller, under the grant's key.
        var messages = Path.Combine(AppContext.BaseDirectory, "vectors", "messages");
        JsonElement Message(string name) => JsonDocument.Parse(File.ReadAllText(Path.Combine(messages, name))).RootElement;
        var limits = Message("SessionLimits.json");
        var grantKey = Convert.FromBase64String(Message("ConnectionGrant.json").GetProperty("LimitsKey").GetString()!);
        var offerKey = Convert.FromBase64String(Message("Trigger.json").GetProperty("LimitsKey").GetString()!);
        var tag = Convert.FromBase64String(limits.GetProperty("PeerLimitsTag").GetString()!);
        var sessionId = limits.GetProperty("SessionId").GetString()!;
        var endsAt = limits.GetProperty("EndsAt").GetInt64();
        var byteLimit = limits.GetProperty("ByteLimit").GetInt64();
        var crypto = new HostPeerCrypto();

        Assert.IsTrue(LimitsTag.Verify(crypto, grantKey, sessionId, endsAt, byteLimit, tag, 0));
        Assert.IsFalse(LimitsTag.Verify(crypto, offerKey, sessionId, endsAt, byteLimit, tag, 0));
    }

    [TestMethod]
    public void VectorsCoverEveryFrameTypeAndBothDirections()
    {
        using var vector = Load("frames.json");
        var all = FramesOf(vector, FrameKeys.CallerToCallee).Concat(FramesOf(vector, FrameKeys.CalleeToCaller)).ToArray();

        CollectionAssert.AreEquivalent(
            new[] { FrameTypes.Request, FrameTypes.Accept, FrameTypes.Data, FrameTypes.Close },
            all.Select(f => f.Type).Distinct().ToArray());
        Assert.IsTrue(all.Any(f => f.Payload.Length == 0), "an empty payload (one whole block of padding)");
        Assert.IsTrue(all.Any(f => f.Payload.Length % FrameFormat.BlockSize == 0 && f.Payload.Length > 0), "a block-aligned payload");
    }

    internal sealed record VectorFrame(long Seq, int Type, byte[] Iv, byte[] Payload, byte[] Bytes);

    internal static JsonDocument Load(string name) => JsonDocument.Parse(File.ReadAllText(Path.Combine(VectorDir, name)));

    internal static VectorFrame[] FramesOf(JsonDocument vector, string direction) =>
        vector.RootElement.GetProperty("frames").EnumerateArray()
            .Where(f => f.GetProperty("direction").GetString() == direction)
            .Select(f => new VectorFrame(
                f.GetProperty("seq").GetInt64(),
                f.GetProperty("type").GetInt32(),
                Hex.Decode(f.GetProperty("iv").GetString()!),
                Hex.Decode(f.GetProperty("payload").GetString()!),
                Hex.Decode(f.GetProperty("frame").GetString()!)))
            .ToArray();

    private static string HexOf(byte[] bytes) => Hex.Encode(bytes, 0, bytes.Length);
}
