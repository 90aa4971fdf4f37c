namespace PeerGate.Benchmarks.Tests;

/// <summary>The plots are real PNG files with something drawn, and nothing is written when there is nothing to draw.</summary>
[TestClass]
public sealed class PlotsTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private string _folder = null!;

    [TestInitialize]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("peergate-plots-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void LatencyDistributionIsAPngWithTheSeriesDrawn()
    {
        var path = Path.Combine(_folder, "latency.png");
        var ours = Enumerable.Range(1, 1000).Select(i => 2 + i / 100.0).ToArray();
        var theirs = Enumerable.Range(1, 1000).Select(i => 0.05 + i / 10_000.0).ToArray();
        Assert.IsTrue(Plots.LatencyDistribution(path, "Trigger to delivery", [("PeerGate", ours), ("Mosquitto", theirs), ("not measured", [])], goalMs: 1));
        AssertPng(path);
    }

    [TestMethod]
    public void MemoryGrowthIsAPngWithTheSeriesDrawn()
    {
        var path = Path.Combine(_folder, "memory.png");
        IReadOnlyList<(int, double)> longPoll = [(1_000, 9_000), (3_000, 7_000), (10_000, 6_000)];
        IReadOnlyList<(int, double)> broker = [(1_000, 1_100), (3_000, 1_000), (10_000, 990)];
        Assert.IsTrue(Plots.MemoryGrowth(path, [("PeerGate, long-poll", longPoll), ("Mosquitto", broker), ("PeerGate, UDP", null)]));
        AssertPng(path);
    }

    [TestMethod]
    public void NothingMeasuredWritesNoFile()
    {
        var latency = Path.Combine(_folder, "none.png");
        var memory = Path.Combine(_folder, "none-memory.png");
        Assert.IsFalse(Plots.LatencyDistribution(latency, "t", [("PeerGate", [])]));
        Assert.IsFalse(Plots.MemoryGrowth(memory, [("PeerGate", null), ("Mosquitto", [])]));
        Assert.IsFalse(File.Exists(latency));
        Assert.IsFalse(File.Exists(memory));
    }

    private static void AssertPng(string path)
    {
        var bytes = File.ReadAllBytes(path);
        CollectionAssert.AreEqual(PngSignature, bytes[..8], "not a PNG");

        // The IHDR chunk follows the signature: width and height big-endian, as asked for.
        Assert.AreEqual("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.AreEqual(900, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.AreEqual(520, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));

        // An empty white canvas of this size compresses to about 2 KB; axes, labels and lines take far more.
        Assert.IsTrue(bytes.Length > 15_000, $"only {bytes.Length} bytes: nothing drawn");
    }
}
