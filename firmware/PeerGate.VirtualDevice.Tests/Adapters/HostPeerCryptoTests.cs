using PeerGate.Protocol.Host;
using System.Text.Json;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;
using PeerGate.VirtualDevice.Adapters;

namespace PeerGate.VirtualDevice.Tests.Adapters;

/// <summary>The virtual device's crypto reproduces the shared peer frame vectors byte for byte.</summary>
[TestClass]
public sealed class HostPeerCryptoTests
{
    [TestMethod]
    public void SealsEveryVectorFrameByteForByte()
    {
        using var vector = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "shared-protocol", "vectors", "peer", "frames.json")));
        var key = Hex.Decode(vector.RootElement.GetProperty("sessionKey").GetString()!);
        var frames = vector.RootElement.GetProperty("frames").EnumerateArray().ToArray();

        foreach (var isCaller in new[] { true, false })
        {
            var direction = isCaller ? FrameKeys.CallerToCallee : FrameKeys.CalleeToCaller;
            var mine = frames.Where(f => f.GetProperty("direction").GetString() == direction).ToArray();
            var codec = new FrameCodec(new FixedIv(mine.Select(f => Hex.Decode(f.GetProperty("iv").GetString()!))), key, isCaller);
            var output = new byte[FrameFormat.MaxFrameLength];

            foreach (var frame in mine)
            {
                var payload = Hex.Decode(frame.GetProperty("payload").GetString()!);
                var length = codec.Seal(frame.GetProperty("type").GetInt32(), payload, 0, payload.Length, output, 0);

                Assert.AreEqual(frame.GetProperty("frame").GetString(), Hex.Encode(output, 0, length));
            }
        }
    }

    [TestMethod]
    public void RandomBytesFillOnlyTheRange()
    {
        var buffer = new byte[64];

        new HostPeerCrypto().RandomBytes(buffer, 16, 32);

        Assert.IsTrue(buffer.AsSpan(0, 16).IndexOfAnyExcept((byte)0) < 0);
        Assert.IsTrue(buffer.AsSpan(48).IndexOfAnyExcept((byte)0) < 0);
        Assert.IsTrue(buffer.AsSpan(16, 32).IndexOfAnyExcept((byte)0) >= 0);
    }

    private sealed class FixedIv(IEnumerable<byte[]> ivs) : IPeerCrypto
    {
        private readonly HostPeerCrypto _host = new();
        private readonly Queue<byte[]> _ivs = new(ivs);

        public IFrameCipher CreateCipher(byte[] key) => _host.CreateCipher(key);

        public byte[] HmacSha256(byte[] key, byte[] data, int offset, int count) => _host.HmacSha256(key, data, offset, count);

        public void HmacSha256(byte[] key, byte[] data, int offset, int count, byte[] tag, int tagOffset) =>
            _host.HmacSha256(key, data, offset, count, tag, tagOffset);

        public void RandomBytes(byte[] buffer, int offset, int count) => _ivs.Dequeue().CopyTo(buffer, offset);
    }

    private static string RepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PeerGate.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PeerGate.slnx not found above " + AppContext.BaseDirectory);
    }
}
