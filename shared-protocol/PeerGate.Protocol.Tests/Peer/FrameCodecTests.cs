using PeerGate.Protocol.Host;
using PeerGate.Protocol.Peer;

namespace PeerGate.Protocol.Tests.Peer;

[TestClass]
public sealed class FrameCodecTests
{
    private static readonly byte[] SessionKey = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();

    private readonly HostPeerCrypto _crypto = new();
    private readonly byte[] _payload = new byte[FrameFormat.MaxPayload];

    [TestMethod]
    public void RandomPayloadsOfEverySizeRoundTrip()
    {
        var seed = Random.Shared.Next();
        Console.WriteLine($"random seed: {seed}");
        var random = new Random(seed);
        var caller = new FrameCodec(_crypto, SessionKey, isCaller: true);
        var callee = new FrameCodec(_crypto, SessionKey, isCaller: false);
        var frame = new byte[FrameFormat.MaxFrameLength];
        var sent = new byte[FrameFormat.MaxPayload];
        var received = new byte[FrameFormat.MaxPayload + 1];

        for (var size = 0; size <= FrameFormat.MaxPayload; size++)
        {
            random.NextBytes(sent.AsSpan(0, size));
            var offset = random.Next(2);
            var length = caller.Seal(FrameTypes.Data, sent, 0, size, frame, 0);
            Assert.AreEqual(FrameFormat.FrameLength(size), length);

            var opened = callee.Open(frame, 0, length, out var type, received, offset);

            Assert.AreEqual(FrameTypes.Data, type);
            Assert.AreEqual(size, opened, $"size {size}, seed {seed}");
            Assert.IsTrue(sent.AsSpan(0, size).SequenceEqual(received.AsSpan(offset, size)), $"size {size}, seed {seed}");
        }
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(8)]
    [DataRow(15)]
    public void FullCiphertextWithShortPaddingIsMalformedAndNothingIsWritten(int pad)
    {
        // A sender that pads 4097..4111 bytes short: valid tag and sequence, so it reaches decryption.
        var plain = new byte[FrameFormat.MaxCiphertext];
        Random.Shared.NextBytes(plain);
        for (var i = 1; i <= pad; i++)
        {
            plain[^i] = (byte)pad;
        }

        var encKey = FrameKeys.EncryptionKey(_crypto, SessionKey, FrameKeys.CallerToCallee);
        var macKey = FrameKeys.MacKey(_crypto, SessionKey, FrameKeys.CallerToCallee);
        var frame = new byte[FrameFormat.MaxFrameLength];
        frame[0] = FrameFormat.Version;
        frame[1] = FrameTypes.Data;
        FrameBytes.WriteUInt32(FrameFormat.MaxCiphertext, frame, 6);
        var iv = new byte[FrameFormat.IvLength];
        Array.Copy(iv, 0, frame, FrameFormat.HeaderLength, iv.Length);
        _crypto.CreateCipher(encKey).Encrypt(iv, plain, 0, plain.Length, frame, FrameFormat.HeaderLength + FrameFormat.IvLength);
        var macLength = FrameFormat.HeaderLength + FrameFormat.IvLength + FrameFormat.MaxCiphertext;
        _crypto.HmacSha256(macKey, frame, 0, macLength).CopyTo(frame, macLength);

        var callee = new FrameCodec(_crypto, SessionKey, isCaller: false);
        var payload = new byte[FrameFormat.MaxPayload];
        var refused = Assert.Throws<FrameException>(() => callee.Open(frame, 0, frame.Length, out _, payload, 0));

        Assert.AreEqual(ErrorCodes.FrameMalformed, refused.Code);
        Assert.IsTrue(payload.All(b => b == 0), "nothing written");
        Assert.AreEqual(0, callee.NextReceiveSeq);
    }

    [TestMethod]
    public void EachFrameGetsAFreshIv()
    {
        var caller = new FrameCodec(_crypto, SessionKey, isCaller: true);
        var first = Seal(caller, "same");
        var second = Seal(caller, "same");

        Assert.IsFalse(first.AsSpan(FrameFormat.HeaderLength, FrameFormat.IvLength).SequenceEqual(second.AsSpan(FrameFormat.HeaderLength, FrameFormat.IvLength)));
    }

    [TestMethod]
    [DataRow(1, DisplayName = "type")]
    [DataRow(2, DisplayName = "seq, high byte")]
    [DataRow(5, DisplayName = "seq, low byte")]
    public void TamperedHeaderIsRefused(int index)
    {
        var frame = Seal(new FrameCodec(_crypto, SessionKey, isCaller: true), "pay me");
        frame[index] ^= 0x01;

        AssertRefused(ErrorCodes.FrameTampered, frame);
    }

    [TestMethod]
    public void UnknownVersionIsMalformed()
    {
        var frame = Seal(new FrameCodec(_crypto, SessionKey, isCaller: true), "hello");
        frame[0] = 2;

        AssertRefused(ErrorCodes.FrameMalformed, frame);
    }

    [TestMethod]
    public void TamperedIvIsRefused() => AssertFlipRefused(FrameFormat.HeaderLength + 3);

    [TestMethod]
    public void TamperedCiphertextIsRefused() => AssertFlipRefused(FrameFormat.HeaderLength + FrameFormat.IvLength + 5);

    [TestMethod]
    public void TamperedTagIsRefused() => AssertFlipRefused(-1);

    [TestMethod]
    public void ReplayedFrameIsRefused()
    {
        var caller = new FrameCodec(_crypto, SessionKey, isCaller: true);
        var callee = new FrameCodec(_crypto, SessionKey, isCaller: false);
        var frame = Seal(caller, "once");
        callee.Open(frame, 0, frame.Length, out _, _payload, 0);

        var refused = Assert.Throws<FrameException>(() => callee.Open(frame, 0, frame.Length, out _, _payload, 0));

        Assert.AreEqual(ErrorCodes.FrameOutOfOrder, refused.Code);
    }

    [TestMethod]
    public void ReorderedFrameIsRefusedAndTheRightOneStillOpens()
    {
        var caller = new FrameCodec(_crypto, SessionKey, isCaller: true);
        var callee = new FrameCodec(_crypto, SessionKey, isCaller: false);
        var first = Seal(caller, "first");
        var second = Seal(caller, "second");

        var refused = Assert.Throws<FrameException>(() => callee.Open(second, 0, second.Length, out _, _payload, 0));
        var opened = callee.Open(first, 0, first.Length, out _, _payload, 0);

        Assert.AreEqual(ErrorCodes.FrameOutOfOrder, refused.Code);
        Assert.AreEqual("first", Ascii(opened));
        Assert.AreEqual(1, callee.NextReceiveSeq);
    }

    [TestMethod]
    public void FrameReflectedBackToItsSenderIsRefused()
    {
        var caller = new FrameCodec(_crypto, SessionKey, isCaller: true);
        var frame = Seal(caller, "to the callee");

        var refused = Assert.Throws<FrameException>(() => caller.Open(frame, 0, frame.Length, out _, _payload, 0));

        Assert.AreEqual(ErrorCodes.FrameTampered, refused.Code);
    }

    [TestMethod]
    public void FrameUnderAnotherSessionKeyIsRefused()
    {
        var frame = Seal(new FrameCodec(_crypto, SessionKey, isCaller: true), "hello");
        var otherKey = SessionKey.Select(b => (byte)(b ^ 0x55)).ToArray();
        var callee = new FrameCodec(_crypto, otherKey, isCaller: false);

        var refused = Assert.Throws<FrameException>(() => callee.Open(frame, 0, frame.Length, out _, _payload, 0));

        Assert.AreEqual(ErrorCodes.FrameTampered, refused.Code);
    }

    [TestMethod]
    [DataRow(0xFFFFFFF0L)]
    [DataRow((long)FrameFormat.MaxCiphertext + FrameFormat.BlockSize)]
    [DataRow(0L)]
    [DataRow(17L)]
    public void OutOfBoundsLengthIsRefusedFromTheHeaderAlone(long length)
    {
        // Only the header exists: the bound must hold before anything reads or allocates the body.
        var header = new byte[FrameFormat.HeaderLength];
        header[0] = FrameFormat.Version;
        header[1] = FrameTypes.Data;
        FrameBytes.WriteUInt32(length, header, 6);
        var callee = new FrameCodec(_crypto, SessionKey, isCaller: false);

        var refused = Assert.Throws<FrameException>(() => callee.BodyLength(header, 0));

        Assert.AreEqual(ErrorCodes.FrameMalformed, refused.Code);
    }

    [TestMethod]
    public void UnknownFrameTypeIsMalformed()
    {
        var header = new byte[FrameFormat.HeaderLength];
        header[0] = FrameFormat.Version;
        header[1] = 9;
        FrameBytes.WriteUInt32(16, header, 6);

        var refused = Assert.Throws<FrameException>(() => new FrameCodec(_crypto, SessionKey, isCaller: false).BodyLength(header, 0));

        Assert.AreEqual(ErrorCodes.FrameMalformed, refused.Code);
    }

    [TestMethod]
    public void EveryTruncationIsRefusedAndChangesNothing()
    {
        var frame = Seal(new FrameCodec(_crypto, SessionKey, isCaller: true), "a message longer than one block");
        var callee = new FrameCodec(_crypto, SessionKey, isCaller: false);

        for (var count = 0; count < frame.Length; count++)
        {
            var refused = Assert.Throws<FrameException>(() => callee.Open(frame, 0, count, out _, _payload, 0), $"count {count}");
            Assert.AreEqual(ErrorCodes.FrameMalformed, refused.Code, $"count {count}");
        }

        var padded = frame.Concat(new byte[] { 0 }).ToArray();
        Assert.AreEqual(ErrorCodes.FrameMalformed, Assert.Throws<FrameException>(() => callee.Open(padded, 0, padded.Length, out _, _payload, 0)).Code);
        Assert.AreEqual("a message longer than one block", Ascii(callee.Open(frame, 0, frame.Length, out _, _payload, 0)));
    }

    [TestMethod]
    [DataRow((byte)0)]
    [DataRow((byte)17)]
    [DataRow((byte)255)]
    public void BadPaddingUnderAValidTagIsMalformed(byte lastByte)
    {
        var frame = ForgeWithRightKeys(Enumerable.Repeat((byte)3, 15).Append(lastByte).ToArray());
        var callee = new FrameCodec(_crypto, SessionKey, isCaller: false);

        var refused = Assert.Throws<FrameException>(() => callee.Open(frame, 0, frame.Length, out _, _payload, 0));

        Assert.AreEqual(ErrorCodes.FrameMalformed, refused.Code);
        Assert.AreEqual(0, callee.NextReceiveSeq);
    }

    [TestMethod]
    public void InconsistentPaddingUnderAValidTagIsMalformed()
    {
        // Says 4 bytes of padding, but one of them differs.
        var plain = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 4, 9, 4, 4 };
        var frame = ForgeWithRightKeys(plain);

        var refused = Assert.Throws<FrameException>(() => new FrameCodec(_crypto, SessionKey, isCaller: false).Open(frame, 0, frame.Length, out _, _payload, 0));

        Assert.AreEqual(ErrorCodes.FrameMalformed, refused.Code);
    }

    [TestMethod]
    public void ForgedFrameWithGoodPaddingOpens()
    {
        // The forging helper itself is right: the same construction with valid padding opens.
        var plain = new byte[] { (byte)'o', (byte)'k', 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14 };
        var frame = ForgeWithRightKeys(plain);

        var length = new FrameCodec(_crypto, SessionKey, isCaller: false).Open(frame, 0, frame.Length, out _, _payload, 0);

        Assert.AreEqual("ok", Ascii(length));
    }

    [TestMethod]
    public void PayloadOverTheMaximumIsRejectedBySeal()
    {
        var caller = new FrameCodec(_crypto, SessionKey, isCaller: true);
        var big = new byte[FrameFormat.MaxPayload + 1];

        Assert.Throws<ArgumentOutOfRangeException>(() => caller.Seal(FrameTypes.Data, big, 0, big.Length, new byte[FrameFormat.MaxFrameLength + 16], 0));
        Assert.AreEqual(0, caller.NextSendSeq);
    }

    [TestMethod]
    public void MalformedPreambleIsRefused()
    {
        var buffer = new byte[PeerPreamble.MaxLength];
        var length = PeerPreamble.Write("S1", buffer, 0);

        Assert.AreEqual(ErrorCodes.FrameMalformed, Assert.Throws<FrameException>(() => PeerPreamble.Read(buffer, 0, length - 1)).Code);
        buffer[3] = PeerPreamble.MaxSessionIdLength + 1;
        Assert.AreEqual(ErrorCodes.FrameMalformed, Assert.Throws<FrameException>(() => PeerPreamble.SessionIdLength(buffer, 0)).Code);
        buffer[0] = (byte)'G';
        Assert.AreEqual(ErrorCodes.FrameMalformed, Assert.Throws<FrameException>(() => PeerPreamble.SessionIdLength(buffer, 0)).Code);
    }

    [TestMethod]
    public void TruncatedOrPaddedRequestIsRefused()
    {
        var buffer = new byte[PeerRequest.MaxLength + 1];
        var length = new PeerRequest("T1", new byte[16], "S1").Write(buffer, 0);

        for (var count = 0; count < length; count++)
        {
            Assert.AreEqual(ErrorCodes.FrameMalformed, Assert.Throws<FrameException>(() => PeerRequest.Read(buffer, 0, count)).Code, $"count {count}");
        }

        Assert.AreEqual(ErrorCodes.FrameMalformed, Assert.Throws<FrameException>(() => PeerRequest.Read(buffer, 0, length + 1)).Code);
    }

    private void AssertFlipRefused(int index)
    {
        var frame = Seal(new FrameCodec(_crypto, SessionKey, isCaller: true), "a payload of some length");
        frame[index < 0 ? frame.Length + index : index] ^= 0x80;

        AssertRefused(ErrorCodes.FrameTampered, frame);
    }

    private void AssertRefused(string code, byte[] frame)
    {
        var callee = new FrameCodec(_crypto, SessionKey, isCaller: false);

        var refused = Assert.Throws<FrameException>(() => callee.Open(frame, 0, frame.Length, out _, _payload, 0));

        Assert.AreEqual(code, refused.Code);
        Assert.AreEqual(0, callee.NextReceiveSeq, "a refused frame must not advance the sequence");
    }

    /// <summary>A caller-to-callee Data frame at seq 0 with the given plaintext blocks, padding not checked, tag valid.</summary>
    private byte[] ForgeWithRightKeys(byte[] plaintext)
    {
        var encKey = FrameKeys.EncryptionKey(_crypto, SessionKey, FrameKeys.CallerToCallee);
        var macKey = FrameKeys.MacKey(_crypto, SessionKey, FrameKeys.CallerToCallee);
        var frame = new byte[FrameFormat.HeaderLength + FrameFormat.IvLength + plaintext.Length + FrameFormat.TagLength];
        frame[0] = FrameFormat.Version;
        frame[1] = FrameTypes.Data;
        FrameBytes.WriteUInt32(0, frame, 2);
        FrameBytes.WriteUInt32(plaintext.Length, frame, 6);
        var iv = new byte[FrameFormat.IvLength];
        _crypto.RandomBytes(iv, 0, iv.Length);
        iv.CopyTo(frame, FrameFormat.HeaderLength);
        _crypto.CreateCipher(encKey).Encrypt(iv, plaintext, 0, plaintext.Length, frame, FrameFormat.HeaderLength + FrameFormat.IvLength);
        var macLength = FrameFormat.HeaderLength + FrameFormat.IvLength + plaintext.Length;
        _crypto.HmacSha256(macKey, frame, 0, macLength).CopyTo(frame, macLength);
        return frame;
    }

    private static byte[] Seal(FrameCodec codec, string text)
    {
        var payload = System.Text.Encoding.ASCII.GetBytes(text);
        var frame = new byte[FrameFormat.FrameLength(payload.Length)];
        codec.Seal(FrameTypes.Data, payload, 0, payload.Length, frame, 0);
        return frame;
    }

    private string Ascii(int length) => System.Text.Encoding.ASCII.GetString(_payload, 0, length);
}
