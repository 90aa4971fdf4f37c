using System.Text.Json;
using PeerGate.HardwareTests.Rig;
using PeerGate.Protocol.Host.Admin;

namespace PeerGate.HardwareTests.Scenarios;

/// <summary>
/// The scenarios of the virtual-device tests, on a real board: it boots, proves its crypto and JSON
/// match the shared vectors, authenticates and registers with a server on the rig.
/// </summary>
[TestClass]
public sealed class BoardScenarioTests
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(60);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void BoardHmacMatchesTheAuthProofVector()
    {
        BoardSpec board = BoardRig.RequireBoard();
        using SerialConsole console = SerialConsole.Open(board);
        console.ResetBoard();

        string? line = console.WaitForLine(l => l.StartsWith("selftest.", StringComparison.Ordinal), BootTimeout);

        Assert.IsNotNull(line, $"{board} printed no self-test within {BootTimeout.TotalSeconds} s");
        Assert.IsFalse(line.StartsWith("selftest.failed", StringComparison.Ordinal), $"{board}: {line}");
        using JsonDocument vector = JsonDocument.Parse(File.ReadAllText(RepoPaths.Vector("auth-proof.json")));
        Assert.AreEqual("selftest.hmac " + vector.RootElement.GetProperty("proof").GetString(), line);
    }

    [TestMethod]
    public void BoardJsonMatchesTheProofRequestVector()
    {
        BoardSpec board = BoardRig.RequireBoard();
        using SerialConsole console = SerialConsole.Open(board);
        console.ResetBoard();

        string? line = console.WaitForLine(l => l.StartsWith("selftest.json ", StringComparison.Ordinal), BootTimeout);

        Assert.IsNotNull(line, $"{board} printed no JSON self-test within {BootTimeout.TotalSeconds} s");
        string expected = File.ReadAllText(RepoPaths.Vector("messages", "ProofRequest.json")).Trim();
        Assert.AreEqual("selftest.json " + expected, line);
    }

    [TestMethod]
    public void BoardAesAndHmacSealTheFirstPeerFrameVector()
    {
        BoardSpec board = BoardRig.RequireBoard();
        using SerialConsole console = SerialConsole.Open(board);
        console.ResetBoard();

        string? line = console.WaitForLine(l => l.StartsWith("selftest.frame ", StringComparison.Ordinal), BootTimeout);

        Assert.IsNotNull(line, $"{board} printed no frame self-test within {BootTimeout.TotalSeconds} s");
        using JsonDocument vector = JsonDocument.Parse(File.ReadAllText(RepoPaths.Vector("peer", "frames.json")));
        Assert.AreEqual("selftest.frame " + vector.RootElement.GetProperty("frames")[0].GetProperty("frame").GetString(), line);
    }

    [TestMethod]
    public async Task BoardBootsAuthenticatesAndRegisters()
    {
        await using RegisteredBoard rig = await RegisteredBoard.StartAsync(TestContext.CancellationToken);

        DeviceSummary device = await rig.SummaryAsync(TestContext.CancellationToken);

        Assert.IsNotNull(device.TerminalId, "no Terminal ID was issued");
        Assert.IsNotNull(device.LocalIp, "the declared address was not stored");
        Assert.IsNotNull(device.ObservedIp, "the observed address was not stored");
    }
}
