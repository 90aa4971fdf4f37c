using PeerGate.Protocol.Host;

namespace PeerGate.Protocol.Tests.Peer;

/// <summary>Hands out the given IVs in order, so sealing reproduces fixed vectors.</summary>
public sealed class FixedIvCrypto(params byte[][] ivs) : HostPeerCrypto
{
    private readonly Queue<byte[]> _ivs = new(ivs);

    public override void RandomBytes(byte[] buffer, int offset, int count)
    {
        var iv = _ivs.Dequeue();
        Assert.AreEqual(count, iv.Length);
        iv.CopyTo(buffer, offset);
    }
}
