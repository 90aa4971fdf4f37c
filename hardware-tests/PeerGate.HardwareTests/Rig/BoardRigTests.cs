using System.Text;
using PeerGate.HardwareTests.Rig;

namespace PeerGate.HardwareTests;

/// <summary>The rig plumbing itself, without a board: configuration and serial line extraction.</summary>
[TestClass]
public sealed class BoardRigTests
{
    [TestMethod]
    public void NoConfigurationMeansNoBoards()
    {
        string missing = Path.Combine(Path.GetTempPath(), "peergate-no-such-boards-" + Guid.NewGuid().ToString("N") + ".json");

        Assert.AreEqual(0, BoardRig.Configured(null, missing).Count);
    }

    [TestMethod]
    public void EnvironmentJsonListsBoards()
    {
        const string json = """{"Boards":[{"Name":"c3","Port":"/dev/ttyACM7","Target":"ESP32_C3","DeviceId":"24A160C3D4E5"}]}""";

        IReadOnlyList<BoardSpec> boards = BoardRig.Configured(json, null);

        Assert.AreEqual(1, boards.Count);
        Assert.AreEqual("/dev/ttyACM7", boards[0].Port);
        Assert.AreEqual(921600, boards[0].Baud);
    }

    [TestMethod]
    public void BoardWithoutPortIsRefused()
    {
        const string json = """{"Boards":[{"Name":"x","DeviceId":"24A160C3D4E5"}]}""";

        Assert.ThrowsExactly<InvalidDataException>(() => BoardRig.Configured(json, null));
    }

    [TestMethod]
    public void ScannerFindsLinesInsideWireProtocolNoise()
    {
        var scanner = new SerialLineScanner();
        byte[] noise = [0x4D, 0x53, 0x70, 0x6C, 0x00, 0x01, 0xFF];
        byte[] stream = [.. noise, .. Encoding.ASCII.GetBytes("PG boot PeerGate"), 0x00, .. noise, .. Encoding.ASCII.GetBytes("xPG net.up 10.0.0.7\r\n")];

        // Fed in two arbitrary pieces, as a serial read would deliver them.
        var lines = new List<string>();
        lines.AddRange(scanner.Feed(stream.AsSpan(0, 13)));
        lines.AddRange(scanner.Feed(stream.AsSpan(13)));

        CollectionAssert.AreEqual(new[] { "boot PeerGate", "net.up 10.0.0.7" }, lines);
    }

    [TestMethod]
    public void ScannerKeepsAnUnfinishedLineForTheNextRead()
    {
        var scanner = new SerialLineScanner();

        IReadOnlyList<string> first = scanner.Feed(Encoding.ASCII.GetBytes("PG register.o"));
        IReadOnlyList<string> second = scanner.Feed(Encoding.ASCII.GetBytes("k local 10.0.0.7\n"));

        Assert.AreEqual(0, first.Count);
        CollectionAssert.AreEqual(new[] { "register.ok local 10.0.0.7" }, second.ToArray());
    }
}
