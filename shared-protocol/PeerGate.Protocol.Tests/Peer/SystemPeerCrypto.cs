using System.Security.Cryptography;
using PeerGate.Protocol.Peer;

namespace PeerGate.Protocol.Tests.Peer;

/// <summary>
/// IPeerCrypto over System.Security.Cryptography, restated here so the protocol tests need no device
/// adapters; the virtual device's HostPeerCrypto is checked against the same vectors in its own tests.
/// </summary>
public class SystemPeerCrypto : IPeerCrypto
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

/// <summary>Hands out the given IVs in order, so sealing reproduces fixed vectors.</summary>
public sealed class FixedIvCrypto(params byte[][] ivs) : SystemPeerCrypto
{
    private readonly Queue<byte[]> _ivs = new(ivs);

    public override void RandomBytes(byte[] buffer, int offset, int count)
    {
        var iv = _ivs.Dequeue();
        Assert.AreEqual(count, iv.Length);
        iv.CopyTo(buffer, offset);
    }
}
