using System;
using System.Security.Cryptography;
using PeerGate.Protocol.Peer;

namespace PeerGate.Protocol.Host;

/// <summary>
/// The peer frame primitives from System.Security.Cryptography: AES-256-CBC without padding (the codec
/// pads, as it must on the board), HMAC-SHA256 and the operating system's random generator.
/// Stateless, so one instance serves every channel and thread; each cipher it makes belongs to one
/// direction of one channel. Host-only: the virtual device uses it, and so do the tests of the codec
/// and the device core.
/// </summary>
/// <remarks>
/// Nothing on the per-frame path allocates: the cipher is made once per key, the span HMAC writes into
/// the caller's buffer, and the random generator fills the caller's range.
/// </remarks>
public class HostPeerCrypto : IPeerCrypto
{
    public IFrameCipher CreateCipher(byte[] key) => new HostFrameCipher(key);

    public byte[] HmacSha256(byte[] key, byte[] data, int offset, int count) =>
        HMACSHA256.HashData(key, data.AsSpan(offset, count));

    public void HmacSha256(byte[] key, byte[] data, int offset, int count, byte[] tag, int tagOffset) =>
        HMACSHA256.HashData(key, data.AsSpan(offset, count), tag.AsSpan(tagOffset, FrameFormat.TagLength));

    public virtual void RandomBytes(byte[] buffer, int offset, int count) =>
        RandomNumberGenerator.Fill(buffer.AsSpan(offset, count));
}
