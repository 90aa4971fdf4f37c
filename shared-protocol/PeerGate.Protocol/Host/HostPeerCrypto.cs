using System;
using System.Security.Cryptography;
using PeerGate.Protocol.Peer;

namespace PeerGate.Protocol.Host;

/// <summary>
/// The peer frame primitives from System.Security.Cryptography: AES-256-CBC without padding (the codec
/// pads, as it must on the board), HMAC-SHA256 and the operating system's random generator.
/// Stateless, so one instance serves every channel and thread. Host-only: the virtual device uses it,
/// and so do the tests of the codec and the device core.
/// </summary>
public class HostPeerCrypto : IPeerCrypto
{
    public void EncryptCbc(byte[] key, byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        aes.EncryptCbc(input.AsSpan(offset, count), iv, output.AsSpan(outputOffset, count), PaddingMode.None);
    }

    public void DecryptCbc(byte[] key, byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        aes.DecryptCbc(input.AsSpan(offset, count), iv, output.AsSpan(outputOffset, count), PaddingMode.None);
    }

    public byte[] HmacSha256(byte[] key, byte[] data, int offset, int count) =>
        HMACSHA256.HashData(key, data.AsSpan(offset, count));

    public virtual void RandomBytes(byte[] buffer, int offset, int count) =>
        RandomNumberGenerator.Fill(buffer.AsSpan(offset, count));
}
