using PeerGate.Fuzz.Engine;
using PeerGate.Protocol.Peer;

namespace PeerGate.Fuzz.Targets;

/// <summary>Whole frames as they come off the wire, opened by a fresh callee codec.</summary>
public sealed class FrameOpenTarget : FuzzTarget
{
    private readonly byte[] _first = Vectors.Hex(Vectors.Read("peer/frames.json").GetProperty("frames")[0], "frame");

    public override string Name => "frame-open";

    public override string Description => "FrameCodec.BodyLength and Open on raw bytes; a refused frame must change nothing";

    public override IEnumerable<byte[]> Seeds() =>
        Vectors.Read("peer/frames.json").GetProperty("frames").EnumerateArray()
            .Select(f => Convert.FromHexString(f.GetProperty("frame").GetString()!))
            .Append(Vectors.Hex(Vectors.Read("peer/limits.json"), "frame"));

    public override string Run(byte[] input)
    {
        var codec = new FrameCodec(Keys.Crypto, Keys.SessionKey, false);
        var payload = new byte[FrameFormat.MaxPayload];
        string outcome;
        if (input.Length >= FrameFormat.HeaderLength)
        {
            try
            {
                var body = codec.BodyLength(input, 0);
                Keys.Expect(body is > FrameFormat.IvLength + FrameFormat.TagLength and <= FrameFormat.MaxFrameLength - FrameFormat.HeaderLength, "BodyLength outside the frame bound: " + body);
            }
            catch (FrameException e)
            {
                Keys.Expect(Keys.Code(e) == "frame_malformed", "a header refused with " + e.Code);
            }
        }

        try
        {
            var length = codec.Open(input, 0, input.Length, out var type, payload, 0);
            Keys.Expect(length is >= 0 and <= FrameFormat.MaxPayload && FrameTypes.IsKnown(type), "opened a frame out of bounds");
            Keys.Expect(codec.NextReceiveSeq == 1, "an opened frame did not advance the sequence");
            return "opened";
        }
        catch (FrameException e)
        {
            outcome = Keys.Code(e);
        }

        // A refused frame changes nothing: the real first frame still opens.
        Keys.Expect(codec.NextReceiveSeq == 0, "a refused frame moved the sequence");
        codec.Open(_first, 0, _first.Length, out _, payload, 0);
        return outcome;
    }
}

/// <summary>
/// Frames that carry a valid tag, so mutations reach decryption, padding and the payload bound. The input
/// is header(10) ‖ IV(16) ‖ the plaintext blocks, padding included; the target encrypts those blocks
/// without padding of its own, tags the frame with the real key and checks Open against an oracle.
/// </summary>
public sealed class FrameOpenTaggedTarget : FuzzTarget
{
    private const int Prefix = FrameFormat.HeaderLength + FrameFormat.IvLength;

    private readonly byte[] _encryptionKey = Keys.EncryptionKey(FrameKeys.CallerToCallee);
    private readonly byte[] _macKey = Keys.MacKey(FrameKeys.CallerToCallee);

    public override string Name => "frame-open-tagged";

    public override string Description => "FrameCodec.Open on re-tagged frames: any plaintext and padding under a valid MAC";

    public override int MaxInputLength => Prefix + FrameFormat.MaxCiphertext + 64;

    public override IEnumerable<byte[]> Seeds()
    {
        foreach (var frame in Vectors.Read("peer/frames.json").GetProperty("frames").EnumerateArray())
        {
            if (frame.GetProperty("direction").GetString() == FrameKeys.CallerToCallee)
            {
                yield return Plain(Convert.FromHexString(frame.GetProperty("frame").GetString()!), Convert.FromHexString(frame.GetProperty("payload").GetString()!));
            }
        }

        yield return Plain(0, new byte[FrameFormat.MaxPayload]);
        yield return Plain(0, new byte[FrameFormat.MaxPayload - 1]);
    }

    public override string Run(byte[] input)
    {
        if (input.Length < Prefix)
        {
            return "short";
        }

        var blocks = (input.Length - Prefix) / FrameFormat.BlockSize * FrameFormat.BlockSize;
        var plain = input.AsSpan(Prefix, blocks).ToArray();
        var frame = new byte[Prefix + blocks + FrameFormat.TagLength];
        input.AsSpan(0, Prefix).CopyTo(frame);
        if (blocks > 0)
        {
            using var cipher = Keys.Crypto.CreateCipher(_encryptionKey);
            cipher.Encrypt(input.AsSpan(FrameFormat.HeaderLength, FrameFormat.IvLength).ToArray(), plain, 0, blocks, frame, Prefix);
        }

        Keys.Crypto.HmacSha256(_macKey, frame, 0, Prefix + blocks).CopyTo(frame, Prefix + blocks);

        var expected = Oracle(input, plain);
        var codec = new FrameCodec(Keys.Crypto, Keys.SessionKey, false);
        var payload = new byte[FrameFormat.MaxPayload + 64];
        try
        {
            var length = codec.Open(frame, 0, frame.Length, out var type, payload, 0);
            Keys.Expect(expected == "opened", $"Open accepted a frame that must be refused ({expected}): payload {length} bytes");
            Keys.Expect(type == input[1] && plain.AsSpan(0, length).SequenceEqual(payload.AsSpan(0, length)), "Open returned other bytes than were sealed");
            return "opened";
        }
        catch (FrameException e)
        {
            Keys.Expect(Keys.Code(e) == expected, $"Open refused with {e.Code}, expected {expected}");
            return e.Code;
        }
    }

    /// <summary>What Open must answer, from the layout alone (docs/frame-format.md).</summary>
    private static string Oracle(byte[] input, byte[] plain)
    {
        var length = ((long)input[6] << 24) | ((long)input[7] << 16) | ((long)input[8] << 8) | input[9];
        if (input[0] != FrameFormat.Version || !FrameTypes.IsKnown(input[1]) || length < FrameFormat.BlockSize
            || length > FrameFormat.MaxCiphertext || length % FrameFormat.BlockSize != 0 || length != plain.Length)
        {
            return "frame_malformed";
        }

        if (input[2] != 0 || input[3] != 0 || input[4] != 0 || input[5] != 0)
        {
            return "frame_out_of_order";
        }

        int pad = plain[^1];
        if (pad is < 1 or > FrameFormat.BlockSize || plain.AsSpan(plain.Length - pad).ContainsAnyExcept((byte)pad))
        {
            return "frame_malformed";
        }

        return plain.Length - pad > FrameFormat.MaxPayload ? "frame_malformed" : "opened";
    }

    /// <summary>An input for a frame of type Data at sequence 0 whose plaintext blocks are <paramref name="padded"/>.</summary>
    public static byte[] Input(int type, byte[] padded)
    {
        var input = new byte[Prefix + padded.Length];
        input[0] = FrameFormat.Version;
        input[1] = (byte)type;
        FrameBytes.WriteUInt32(padded.Length, input, 6);
        for (var i = 0; i < FrameFormat.IvLength; i++)
        {
            input[FrameFormat.HeaderLength + i] = (byte)(0xA0 + i);
        }

        padded.CopyTo(input, Prefix);
        return input;
    }

    private static byte[] Plain(int seq, byte[] payload)
    {
        var padded = Pad(payload);
        var input = Input(FrameTypes.Data, padded);
        FrameBytes.WriteUInt32(seq, input, 2);
        return input;
    }

    private static byte[] Plain(byte[] frame, byte[] payload)
    {
        var input = Input(frame[1], Pad(payload));
        frame.AsSpan(0, Prefix).CopyTo(input);
        return input;
    }

    private static byte[] Pad(byte[] payload)
    {
        var padded = new byte[FrameFormat.PaddedLength(payload.Length)];
        payload.CopyTo(padded, 0);
        padded.AsSpan(payload.Length).Fill((byte)(padded.Length - payload.Length));
        return padded;
    }
}
