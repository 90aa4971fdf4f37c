using System.Security.Cryptography;
using PeerGate.Device.Peer;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Tests.Sessions;

/// <summary>
/// A peer cannot lift its own session limits (F24): the callee (the real acceptor and channel) applies
/// limits from a Limits frame only with the server's tag under its own limits key. The caller here is
/// hand-made from the protocol's codec, so it can send any frame an attacker would.
/// </summary>
[TestClass]
public sealed class PeerLimitsTests
{
    private const string SessionId = "S-PEER-LIMITS";
    private const string CallerId = "T-0001";
    private const long ByteLimit = 10_000;
    private static readonly long EndsAt = FakeClock.Epoch + 60;

    [TestMethod]
    public void AnUntaggedLimitsFrameIsMalformedAndGrowsNothing()
    {
        var rig = new Rig();
        var payload = new byte[16];
        WriteLimits(EndsAt + 3600, 1_000_000_000, payload);

        rig.Caller.Send(FrameTypes.Limits, payload);
        rig.Caller.Send(FrameTypes.Data, [1, 2, 3]);
        PeerException? refused = null;
        try
        {
            rig.Callee.Receive(new byte[16], 0, 16, Rig.WaitMillis);
        }
        catch (PeerException e)
        {
            refused = e;
        }

        Assert.AreEqual(ByteLimit, rig.Callee.Session.ByteLimit, "the peer's own limits are never applied");
        Assert.AreEqual(EndsAt, rig.Callee.Session.EndsAt);
        Assert.AreEqual(ErrorCodes.FrameMalformed, refused?.Code, "a Limits frame of the old length is malformed");
    }

    [TestMethod]
    public void GrownLimitsWithoutTheServersTagAreIgnoredAndTheChannelStaysOpen()
    {
        var rig = new Rig();
        long grownEnd = EndsAt + 3600;
        long grownBytes = 1_000_000_000;
        var granted = Tag(rig.CalleeLimitsKey, SessionId, EndsAt + 60, 20_000);
        var forged = new[]
        {
            new byte[32],                                                // no tag at all
            Tag(rig.CallerLimitsKey, SessionId, grownEnd, grownBytes),   // under the key the peer holds
            Tag(rig.CalleeLimitsKey, "S-OTHER", grownEnd, grownBytes),   // the server's, for another session
            granted,                                                     // the server's, for smaller limits
        };

        foreach (var tag in forged)
        {
            rig.Caller.Send(FrameTypes.Limits, Payload(grownEnd, grownBytes, tag));
        }

        rig.Caller.Send(FrameTypes.Data, [1, 2, 3]);
        var buffer = new byte[16];
        var n = rig.Callee.Receive(buffer, 0, buffer.Length, Rig.WaitMillis);

        Assert.AreEqual(3, n, "the channel stays open and delivers what follows");
        Assert.IsFalse(rig.Callee.IsClosed);
        Assert.AreEqual(ByteLimit, rig.Callee.Session.ByteLimit);
        Assert.AreEqual(EndsAt, rig.Callee.Session.EndsAt);
        Assert.AreEqual(forged.Length, Count(rig.Log, "peer.limits-refused"));
        Assert.IsFalse(rig.Log.Has("peer.limits"), "nothing was applied");
        foreach (var tag in forged)
        {
            Assert.IsFalse(rig.Log.Lines.Any(line => line.Contains(Convert.ToHexString(tag), StringComparison.OrdinalIgnoreCase) || line.Contains(Convert.ToBase64String(tag), StringComparison.Ordinal)), "no tag in the log");
        }
    }

    [TestMethod]
    public void LimitsTheServerTaggedForThisSideAreApplied()
    {
        var rig = new Rig();
        long endsAt = EndsAt + 60;
        long byteLimit = 20_000;

        rig.Caller.Send(FrameTypes.Limits, Payload(endsAt, byteLimit, Tag(rig.CalleeLimitsKey, SessionId, endsAt, byteLimit)));
        rig.Caller.Send(FrameTypes.Data, [7]);
        var n = rig.Callee.Receive(new byte[16], 0, 16, Rig.WaitMillis);

        Assert.AreEqual(1, n);
        Assert.AreEqual(byteLimit, rig.Callee.Session.ByteLimit);
        Assert.AreEqual(endsAt, rig.Callee.Session.EndsAt);
        Assert.IsTrue(rig.Log.Has("peer.limits"));
    }

    [TestMethod]
    public void ACalleeWithoutALimitsKeyAppliesNoLimitsFromThePeer()
    {
        // An offer without a limits key (a server from before them): only the server's trigger can extend.
        var rig = new Rig(withLimitsKey: false);

        rig.Caller.Send(FrameTypes.Limits, Payload(EndsAt + 60, 20_000, Tag(rig.CalleeLimitsKey, SessionId, EndsAt + 60, 20_000)));
        rig.Caller.Send(FrameTypes.Data, [7]);
        Assert.AreEqual(1, rig.Callee.Receive(new byte[16], 0, 16, Rig.WaitMillis));

        Assert.AreEqual(ByteLimit, rig.Callee.Session.ByteLimit);
        Assert.AreEqual(1, Count(rig.Log, "peer.limits-refused"));
    }

    private static int Count(RecordingLog log, string name) => log.Lines.Count(line => line.StartsWith(name + " ", StringComparison.Ordinal));

    private static byte[] Tag(byte[] key, string sessionId, long endsAt, long byteLimit)
    {
        // Computed here from the format, not with LimitsTag, so the test pins the bytes.
        var message = new List<byte>();
        message.AddRange("PeerGate-limits-v1"u8.ToArray());
        message.Add(0);
        message.AddRange(System.Text.Encoding.ASCII.GetBytes(sessionId));
        var numbers = new byte[16];
        WriteLimits(endsAt, byteLimit, numbers);
        message.AddRange(numbers);
        return HMACSHA256.HashData(key, message.ToArray());
    }

    private static byte[] Payload(long endsAt, long byteLimit, byte[] tag)
    {
        var payload = new byte[48];
        WriteLimits(endsAt, byteLimit, payload);
        tag.CopyTo(payload, 16);
        return payload;
    }

    private static void WriteLimits(long endsAt, long byteLimit, byte[] buffer)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(0, 8), endsAt);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(8, 8), byteLimit);
    }

    /// <summary>The real acceptor as callee; the caller side is a raw codec over the same pipe.</summary>
    private sealed class Rig
    {
        public const int WaitMillis = 5000;

        public Rig(bool withLimitsKey = true)
        {
            var password = RandomNumberGenerator.GetBytes(16);
            var key = RandomNumberGenerator.GetBytes(32);
            var crypto = new HostPeerCrypto();
            var network = new MemoryPeerNetwork();
            var offers = new OfferBook(Clock, 4);
            offers.Add(new PeerOffer(SessionId, CallerId, (byte[])password.Clone(), (byte[])key.Clone(), Clock.UtcNowSeconds + 60, EndsAt, ByteLimit, withLimitsKey ? (byte[])CalleeLimitsKey.Clone() : null));
            var acceptor = new PeerAcceptor(offers, crypto, Clock, Log, WaitMillis);

            var connection = network.Connect("10.0.0.2", network.Port, WaitMillis);
            var accepted = Task.Run(() => acceptor.Accept(network.Accept(WaitMillis)));
            Caller = new RawCaller(connection, new FrameCodec(crypto, key, true));
            Caller.Handshake(password);
            Assert.IsTrue(accepted.Wait(WaitMillis), "the callee finished its handshake");
            Callee = accepted.Result;
        }

        public FakeClock Clock { get; } = new();

        public RecordingLog Log { get; } = new();

        public byte[] CallerLimitsKey { get; } = RandomNumberGenerator.GetBytes(32);

        public byte[] CalleeLimitsKey { get; } = RandomNumberGenerator.GetBytes(32);

        public RawCaller Caller { get; }

        public PeerChannel Callee { get; }
    }

    /// <summary>A caller that speaks the frame format itself and sends whatever frames it is told to.</summary>
    private sealed class RawCaller(PeerGate.Device.Platform.IPeerConnection connection, FrameCodec codec)
    {
        private readonly byte[] _frame = new byte[FrameFormat.MaxFrameLength];

        public void Handshake(byte[] password)
        {
            var preamble = new byte[PeerPreamble.MaxLength];
            Assert.IsTrue(connection.Write(preamble, 0, PeerPreamble.Write(SessionId, preamble, 0)));
            var request = new byte[PeerRequest.MaxLength];
            var length = new PeerRequest(CallerId, password, SessionId).Write(request, 0);
            Send(FrameTypes.Request, request.AsSpan(0, length).ToArray());

            ReadExactly(FrameFormat.HeaderLength);
            var body = codec.BodyLength(_frame, 0);
            ReadExactly(body, FrameFormat.HeaderLength);
            codec.Open(_frame, 0, FrameFormat.HeaderLength + body, out var type, new byte[FrameFormat.MaxPayload], 0);
            Assert.AreEqual(FrameTypes.Accept, type);
        }

        public void Send(int type, byte[] payload)
        {
            var length = codec.Seal(type, payload, 0, payload.Length, _frame, 0);
            Assert.IsTrue(connection.Write(_frame, 0, length));
        }

        private void ReadExactly(int count, int offset = 0)
        {
            var read = 0;
            while (read < count)
            {
                var n = connection.Read(_frame, offset + read, count - read, WaitMillisForRead);
                Assert.IsGreaterThan(0, n, "the callee answered within the wait");
                read += n;
            }
        }

        private const int WaitMillisForRead = 5000;
    }
}
