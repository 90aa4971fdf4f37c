using PeerGate.Protocol.Host;
using System.Text.Json;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Tests.Sessions;

/// <summary>The in-band Limits frame (F24) against shared-protocol/vectors/peer/limits.json, computed independently.</summary>
[TestClass]
public sealed class LimitsFrameTests
{
    [TestMethod]
    public void LimitsPayloadAndFrameMatchTheVector()
    {
        using var vector = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "vectors", "peer", "limits.json")));
        var root = vector.RootElement;
        var key = Hex.Decode(root.GetProperty("sessionKey").GetString()!);
        var endsAt = root.GetProperty("endsAt").GetInt64();
        var byteLimit = root.GetProperty("byteLimit").GetInt64();
        var tag = Hex.Decode(root.GetProperty("tag").GetString()!);
        var payload = new byte[LimitsPayload.Length];

        LimitsPayload.Write(endsAt, byteLimit, tag, payload, 0);

        Assert.AreEqual(root.GetProperty("payload").GetString(), Hex.Encode(payload, 0, payload.Length));
        var frame = Hex.Decode(root.GetProperty("frame").GetString()!);
        var codec = new FrameCodec(new HostPeerCrypto(), key, isCaller: false);
        var opened = new byte[FrameFormat.MaxPayload];
        var length = codec.Open(frame, 0, frame.Length, out var type, opened, 0);
        Assert.AreEqual(FrameTypes.Limits, type);
        Assert.AreEqual(LimitsPayload.Length, length);
        Assert.AreEqual(endsAt, LimitsPayload.ReadEndsAt(opened, 0));
        Assert.AreEqual(byteLimit, LimitsPayload.ReadByteLimit(opened, 0));
        Assert.IsTrue(LimitsTag.Verify(new HostPeerCrypto(), Hex.Decode(root.GetProperty("limitsKey").GetString()!), root.GetProperty("sessionId").GetString()!, endsAt, byteLimit, opened, LimitsPayload.TagOffset));
    }
}
