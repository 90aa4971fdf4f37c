using System.Text;
using System.Text.RegularExpressions;
using PeerGate.Fuzz.Engine;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.Fuzz.Targets;

/// <summary>The clear preamble a callee reads first from anyone who connects.</summary>
public sealed class PreambleTarget : FuzzTarget
{
    public override string Name => "preamble";

    public override string Description => "PeerPreamble.SessionIdLength and Read on the first bytes of a peer connection";

    public override int MaxInputLength => 256;

    public override IEnumerable<byte[]> Seeds() => [Vectors.Hex(Vectors.Read("peer/handshake.json"), "preamble"), "PG\u0001\u0001A"u8.ToArray()];

    public override string Run(byte[] input)
    {
        try
        {
            var length = PeerPreamble.SessionIdLength(input, 0);
            Keys.Expect(length is >= 1 and <= PeerPreamble.MaxSessionIdLength, "session ID length out of bounds: " + length);
        }
        catch (FrameException e)
        {
            _ = Keys.Code(e);
        }
        catch (ArgumentOutOfRangeException) when (input.Length < PeerPreamble.HeaderLength)
        {
            // The caller reads the header in full first; a shorter buffer is the caller's bug, refused as such.
        }

        try
        {
            var sessionId = PeerPreamble.Read(input, 0, input.Length);
            var written = new byte[PeerPreamble.MaxLength];
            var length = PeerPreamble.Write(sessionId, written, 0);
            Keys.Expect(written.AsSpan(0, length).SequenceEqual(input), "an accepted preamble does not write back to the same bytes");
            return "ok";
        }
        catch (FrameException e)
        {
            return Keys.Code(e);
        }
    }
}

/// <summary>The reverse preamble a caller's listener reads first from a callee that connects back (F30).</summary>
public sealed class ReversePreambleTarget : FuzzTarget
{
    public override string Name => "reverse-preamble";

    public override string Description => "ReversePreamble.RemainingLength and Read on the first bytes of a reverse connection";

    public override int MaxInputLength => 256;

    public override IEnumerable<byte[]> Seeds() => [Vectors.Hex(Vectors.Read("peer/handshake.json"), "reversePreamble")];

    public override string Run(byte[] input)
    {
        if (input.Length >= ReversePreamble.HeaderLength)
        {
            try
            {
                var rest = ReversePreamble.RemainingLength(input, 0);
                Keys.Expect(rest is > ReversePreamble.TagLength and <= PeerPreamble.MaxSessionIdLength + ReversePreamble.TagLength, "remaining length out of bounds: " + rest);
                Keys.Expect(ReversePreamble.IsReverse(input, 0), "a reverse length from bytes that are not a reverse preamble");
            }
            catch (FrameException e)
            {
                _ = Keys.Code(e);
            }
        }

        try
        {
            var tag = new byte[ReversePreamble.TagLength];
            var sessionId = ReversePreamble.Read(input, 0, input.Length, tag);
            var written = new byte[ReversePreamble.MaxLength];
            var length = ReversePreamble.Write(sessionId, tag, written, 0);
            Keys.Expect(written.AsSpan(0, length).SequenceEqual(input), "an accepted reverse preamble does not write back to the same bytes");
            return "ok";
        }
        catch (FrameException e)
        {
            return Keys.Code(e);
        }
    }
}

/// <summary>The Request payload, as the callee reads it after the frame opened.</summary>
public sealed class RequestTarget : FuzzTarget
{
    public override string Name => "request";

    public override string Description => "PeerRequest.Read on the Request frame's payload";

    public override int MaxInputLength => 512;

    public override IEnumerable<byte[]> Seeds() => [Vectors.Hex(Vectors.Read("peer/handshake.json"), "requestPayload")];

    public override string Run(byte[] input)
    {
        try
        {
            var request = PeerRequest.Read(input, 0, input.Length);
            Keys.Expect(FrameBytes.IsShortAscii(request.CallerTerminalId, PeerRequest.MaxTerminalIdLength) && FrameBytes.IsShortAscii(request.SessionId, PeerPreamble.MaxSessionIdLength), "accepted IDs that are not short ASCII");
            var written = new byte[PeerRequest.MaxLength];
            var length = request.Write(written, 0);
            Keys.Expect(written.AsSpan(0, length).SequenceEqual(input), "an accepted request does not write back to the same bytes");
            return "ok";
        }
        catch (FrameException e)
        {
            return Keys.Code(e);
        }
    }
}

/// <summary>The bounds-checked reader itself, driven by a script of reads over the input.</summary>
public sealed class FrameReaderTarget : FuzzTarget
{
    public override string Name => "frame-reader";

    public override string Description => "FrameReader: byte, uint32, bytes, short ASCII, skip and end checks in any order and range";

    public override int MaxInputLength => 1024;

    public override IEnumerable<byte[]> Seeds() =>
    [
        [0, 1, 2, 3, 4, 0x10, 0x20, 0x30, 0x40, 5, 0x41, 0x42, 0x43, 0x44, 0x45],
        Vectors.Hex(Vectors.Read("peer/handshake.json"), "requestPayload"),
    ];

    public override string Run(byte[] input)
    {
        // The first byte picks the range (offset, count may be anything); then each op byte is one read.
        var offset = input.Length > 0 ? input[0] % 8 : 0;
        var count = input.Length - offset;
        FrameReader reader;
        try
        {
            reader = new FrameReader(input, offset, count);
        }
        catch (ArgumentOutOfRangeException)
        {
            return "range";
        }

        var ops = 0;
        var outcome = "end";
        try
        {
            while (reader.Remaining > 0 && ops++ < 64)
            {
                var before = reader.Position;
                var op = input[reader.Position] % 6;
                reader.ReadByte();
                switch (op)
                {
                    case 0:
                        reader.ReadByte();
                        break;
                    case 1:
                        var value = reader.ReadUInt32();
                        Keys.Expect(value is >= 0 and <= 0xFFFFFFFFL, "ReadUInt32 out of range");
                        break;
                    case 2:
                        var n = reader.Remaining > 0 ? input[reader.Position] % 40 - 4 : 3;
                        var into = new byte[Math.Max(n, 0) + 2];
                        reader.ReadBytes(into, 1, n);
                        break;
                    case 3:
                        var text = reader.ReadShortAscii(1 + (ops % 64), "field");
                        Keys.Expect(FrameBytes.IsShortAscii(text, 64), "ReadShortAscii returned a non-ASCII string");
                        break;
                    case 4:
                        reader.Skip(reader.Remaining > 0 ? input[reader.Position] % 20 - 2 : 1);
                        break;
                    default:
                        reader.EnsureEnd("script");
                        break;
                }

                Keys.Expect(reader.Position > before && reader.Position <= offset + count && reader.Remaining >= 0, "the reader moved outside its range");
            }
        }
        catch (FrameException e)
        {
            outcome = Keys.Code(e);
        }

        Keys.Expect(reader.Position <= offset + count && reader.Remaining >= 0, "the reader ended outside its range");
        return outcome;
    }
}

/// <summary>Limits payloads, and what the session makes of them.</summary>
public sealed class LimitsTarget : FuzzTarget
{
    public override string Name => "limits";

    public override string Description => "LimitsPayload read/write and PeerSession.ApplyFromPeer on any 48 bytes, tagged by the server or not";

    public override int MaxInputLength => 96;

    public override IEnumerable<byte[]> Seeds() => [Vectors.Hex(Vectors.Read("peer/limits.json"), "payload")];

    private static readonly byte[] LimitsKey = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();

    public override string Run(byte[] input)
    {
        var payload = new byte[LimitsPayload.Length];
        input.AsSpan(0, Math.Min(input.Length, payload.Length)).CopyTo(payload);
        var endsAt = LimitsPayload.ReadEndsAt(payload, 0);
        var byteLimit = LimitsPayload.ReadByteLimit(payload, 0);
        var tag = payload.AsSpan(LimitsPayload.TagOffset, LimitsTag.Length).ToArray();
        var written = new byte[LimitsPayload.Length];
        LimitsPayload.Write(endsAt, byteLimit, tag, written, 0);
        Keys.Expect(written.AsSpan().SequenceEqual(payload), "limits do not round-trip");

        // The input's own tag is a peer's forgery; an odd last input byte asks for the server's real one.
        var serverTagged = input.Length > payload.Length && (input[^1] & 1) == 1;
        if (serverTagged && endsAt >= 0 && byteLimit >= 0)
        {
            tag = LimitsTag.Compute(Keys.Crypto, LimitsKey, "S1", endsAt, byteLimit);
        }

        var clock = new FakeClock();
        var session = new PeerGate.Device.Sessions.PeerSession("S1", clock.UtcNowSeconds + 60, 1000, clock, (byte[])LimitsKey.Clone());
        var outcome = session.ApplyFromPeer(Keys.Crypto, endsAt, byteLimit, tag, 0);
        var genuine = LimitsTag.Verify(Keys.Crypto, LimitsKey, "S1", endsAt, byteLimit, tag, 0);
        Keys.Expect(outcome != PeerGate.Device.Sessions.PeerSession.PeerLimitsApplied || genuine, "limits without the server's tag were applied");
        Keys.Expect(outcome != PeerGate.Device.Sessions.PeerSession.PeerLimitsApplied || (endsAt >= 0 && byteLimit >= 0), "negative limits were applied");
        Keys.Expect(session.EndsAt >= clock.UtcNowSeconds + 60 && session.ByteLimit >= 1000, "new limits shortened the session");
        Keys.Expect(genuine || (session.EndsAt == clock.UtcNowSeconds + 60 && session.ByteLimit == 1000), "a forged tag moved a limit");
        return outcome switch
        {
            PeerGate.Device.Sessions.PeerSession.PeerLimitsApplied => "applied",
            PeerGate.Device.Sessions.PeerSession.PeerLimitsUnchanged => "unchanged",
            _ => "refused",
        };
    }
}

/// <summary>Hex and Device ID parsing against a regular-expression oracle.</summary>
public sealed partial class HexTarget : FuzzTarget
{
    public override string Name => "hex";

    public override string Description => "Hex.Decode/Encode and DeviceIds.IsValid on any text";

    public override int MaxInputLength => 256;

    public override IEnumerable<byte[]> Seeds() => ["24A160C3D4E5"u8.ToArray(), "00ff7Fa0"u8.ToArray(), "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"u8.ToArray(), "g0"u8.ToArray()];

    public override string Run(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        string outcome;
        try
        {
            var bytes = Hex.Decode(text);
            Keys.Expect(HexText().IsMatch(text), "Hex.Decode accepted " + Printable(text));
            Keys.Expect(Hex.Encode(bytes, 0, bytes.Length) == text.ToUpperInvariant(), "hex does not round-trip");
            outcome = "decoded";
        }
        catch (ArgumentException)
        {
            Keys.Expect(!HexText().IsMatch(text), "Hex.Decode refused " + Printable(text));
            outcome = "refused";
        }

        var valid = DeviceIds.IsValid(text);
        Keys.Expect(valid == DeviceIdText().IsMatch(text), "DeviceIds.IsValid is " + valid + " for " + Printable(text));
        if (valid)
        {
            Keys.Expect(DeviceIds.FromBytes(Hex.Decode(text)) == text, "a valid Device ID is not canonical");
            Keys.Expect(Encoding.ASCII.GetString(DeviceIds.ToAscii(text)) == text, "ToAscii changed the ID");
        }

        return outcome + (valid ? "+id" : string.Empty);
    }

    internal static string Printable(string text) => "\"" + string.Concat(text.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:x4}")) + "\"";

    [GeneratedRegex("^(?:[0-9A-Fa-f]{2})*\\z")]
    private static partial Regex HexText();

    [GeneratedRegex("^(?:[0-9A-F]{2}){6,32}\\z")]
    private static partial Regex DeviceIdText();
}

/// <summary>Device names (F22) against a regular-expression oracle.</summary>
public sealed partial class DeviceNamesTarget : FuzzTarget
{
    public override string Name => "device-names";

    public override string Description => "DeviceNames.IsValid, Key and Same on any text";

    public override int MaxInputLength => 256;

    public override IEnumerable<byte[]> Seeds() => ["TERM1"u8.ToArray(), "maintenance@example.com"u8.ToArray(), "a.b-c_d+e"u8.ToArray(), "-x"u8.ToArray(), "Ｔerm"u8.ToArray()];

    public override string Run(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        var valid = DeviceNames.IsValid(text);
        Keys.Expect(valid == NameText().IsMatch(text), "DeviceNames.IsValid is " + valid + " for " + HexTarget.Printable(text));
        if (!valid)
        {
            Keys.Expect(!DeviceNames.Same(text, text), "an invalid name is the same as itself");
            return "invalid";
        }

        var key = DeviceNames.Key(text);
        Keys.Expect(key == text.ToLowerInvariant() && DeviceNames.IsValid(key) && DeviceNames.Key(key) == key, "Key is not the ASCII lower case");
        Keys.Expect(DeviceNames.Same(text, text.ToUpperInvariant()), "names differing in case are not the same");
        return "valid";
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}\\z")]
    private static partial Regex NameText();
}
