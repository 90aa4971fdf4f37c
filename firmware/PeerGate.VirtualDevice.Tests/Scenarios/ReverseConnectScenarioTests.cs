using PeerGate.Protocol;
using PeerGate.VirtualDevice.Commands;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Scenarios;

/// <summary>
/// Reverse connect between two real virtual devices through a real server on loopback (F30): the callee
/// declares an address other than the one the server sees, as behind a NAT, so the server picks the
/// reverse path; the callee connects to the caller's listener and the bytes come back intact.
/// </summary>
[TestClass]
public sealed class ReverseConnectScenarioTests
{
    // An address the server never sees the callee at: it reads as a device behind a NAT.
    private const string DeclaredBehindNat = "10.255.0.7";

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Cancel => TestContext.CancellationToken;

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task ACalleeBehindANatConnectsBackToTheListeningCallerAndDataFlowsBothWays()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var callee = await lab.AddDeviceAsync(listens: true, Cancel, extraConfig: "ConnectionPassword=door-4711\n");
        var caller = await lab.AddDeviceAsync(listens: true, Cancel);
        var calleeAgent = await callee.StartAsync(Cancel, network: new MovableNetwork(DeclaredBehindNat, callee.Config.ListenPort));
        var callerId = await caller.TerminalIdAsync();
        Assert.AreEqual(0, Cli.Run(["permit", "add", "terminal:" + callerId, .. callee.CliOptions], out var permitted), permitted);

        var exit = Cli.Run(["connect", calleeAgent.TerminalId!, "--message", "hello, reverse", "--device-password", "door-4711", .. caller.CliOptions], out var message);

        Assert.AreEqual(Cli.Ok, exit, message + callee.Log);
        Assert.Contains($"listen: port {caller.Config.ListenPort}", message);
        Assert.Contains("path: reverse", message);
        Assert.Contains("handshake: accepted on the reverse path", message);
        Assert.Contains("sent 14 bytes", message);
        Assert.Contains("received 14 bytes", message);
        Assert.Contains("bytes match", message);
        Assert.Contains($"peer.reverse-dial session", callee.Log);
        Assert.Contains($"127.0.0.1:{caller.Config.ListenPort}", callee.Log, "the callee dialled the caller as the server saw it");
        Assert.DoesNotContain("door-4711", callee.Log + message.Replace("--device-password", string.Empty, StringComparison.Ordinal));
        var attempt = (await lab.Server.Admin.ListConnectionAttemptsAsync(1)).Single();
        Assert.AreEqual(ConnectionPaths.Reverse, attempt.Path);
        Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => calleeAgent.Load.ActiveSessions == 0, Cancel), "the session ends when the caller closes");
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task ACallerThatDoesNotListenGetsCalleeUnreachableFromACalleeBehindANat()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var callee = await lab.AddDeviceAsync(listens: true, Cancel);
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);
        var calleeAgent = await callee.StartAsync(Cancel, network: new MovableNetwork(DeclaredBehindNat, callee.Config.ListenPort));
        var callerId = await caller.TerminalIdAsync();
        Assert.AreEqual(0, Cli.Run(["permit", "add", "terminal:" + callerId, .. callee.CliOptions], out var permitted), permitted);

        var exit = Cli.Run(["connect", calleeAgent.TerminalId!, "--message", "hello", .. caller.CliOptions], out var message);

        Assert.AreEqual(Cli.Failure, exit, message);
        Assert.Contains($"denied: {ErrorCodes.CalleeUnreachable}", message);
        var attempt = (await lab.Server.Admin.ListConnectionAttemptsAsync(1)).Single();
        Assert.IsNull(attempt.Path);
        Assert.AreEqual("callee_behind_nat_caller_not_listening", attempt.NoPath);
    }
}
