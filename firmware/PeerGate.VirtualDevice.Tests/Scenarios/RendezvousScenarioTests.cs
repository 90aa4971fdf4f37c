using System.Net;
using PeerGate.Protocol;
using PeerGate.Server.Testing;
using PeerGate.VirtualDevice.Commands;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Scenarios;

/// <summary>
/// Every pair connects (F37), between two real virtual devices through a real server on loopback over
/// TLS with the pinned CA: the callee declares an address the server never sees it at (behind a NAT,
/// no port-forward) and the caller listens on no port, so neither direct nor reverse is possible; the
/// server names the punched path with a ticket each, the devices meet at the rendezvous endpoint
/// (punched, or relayed when the punch gets nowhere) and the bytes go both ways intact.
/// </summary>
[TestClass]
public sealed class RendezvousScenarioTests
{
    private const string DeclaredBehindNat = "10.255.0.7";

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Cancel => TestContext.CancellationToken;

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task TwoUnreachableDevicesConnectThroughTheRendezvousEndpointAndDataFlowsBothWays()
    {
        using var ca = new TestCertificateAuthority();
        await using var lab = await StartLabAsync(ca);
        var (callee, caller, calleeAgent) = await UnreachablePairAsync(lab);

        var exit = Cli.Run(["connect", calleeAgent.TerminalId!, "--message", "hello, rendezvous", "--device-password", "door-4711", .. caller.CliOptions], out var message);

        Assert.AreEqual(Cli.Ok, exit, message + callee.Log);
        Assert.Contains("path: punched", message);
        Assert.Contains("rendezvous: 127.0.0.1:", message);
        Assert.Contains("sent 17 bytes", message);
        Assert.Contains("received 17 bytes", message);
        Assert.Contains("bytes match", message);
        var used = message.Contains("handshake: accepted on the punched path", StringComparison.Ordinal) ? ConnectionPaths.Punched : ConnectionPaths.Relayed;
        Assert.Contains($"handshake: accepted on the {used} path", message);
        Assert.Contains($"peer.rendezvous-connected session", callee.Log);
        Assert.DoesNotContain("door-4711", callee.Log + message.Replace("--device-password", string.Empty, StringComparison.Ordinal));
        Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => calleeAgent.Load.ActiveSessions == 0, Cancel), "the session ends when the caller closes");
        if (used == ConnectionPaths.Relayed)
        {
            var attempt = (await lab.Server.Admin.ListConnectionAttemptsAsync(1)).Single();
            Assert.AreEqual(ConnectionPaths.Relayed, attempt.Path, "the attempt log names the path taken");
        }
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task AWrongConnectionPasswordKeepsTheCalleeAwayFromTheRendezvousEndpoint()
    {
        using var ca = new TestCertificateAuthority();
        await using var lab = await StartLabAsync(ca);
        var (callee, caller, calleeAgent) = await UnreachablePairAsync(lab);

        var exit = Cli.Run(["connect", calleeAgent.TerminalId!, "--message", "hello", "--device-password", "wrong", .. caller.CliOptions], out var message);

        Assert.AreEqual(Cli.Failure, exit, message);
        Assert.Contains("path: punched", message);
        Assert.Contains("connection-password-refused", callee.Log);
        Assert.DoesNotContain("peer.rendezvous", callee.Log, "the refused offer never reached the endpoint");
    }

    private Task<ConnectionLab> StartLabAsync(TestCertificateAuthority ca) =>
        ConnectionLab.StartAsync(
            Cancel,
            tls: ca.IssueServer(ipAddresses: [IPAddress.Loopback]),
            configure: options =>
            {
                options.RendezvousAddress = "127.0.0.1";
                options.RendezvousPort = 0;
            });

    /// <summary>A callee that declares an address the server does not see (behind NAT) and permits a caller that does not listen.</summary>
    private async Task<(LabDevice Callee, LabDevice Caller, PeerGate.Device.DeviceAgent CalleeAgent)> UnreachablePairAsync(ConnectionLab lab)
    {
        var callee = await lab.AddDeviceAsync(listens: true, Cancel, extraConfig: "ConnectionPassword=door-4711\n");
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);
        var calleeAgent = await callee.StartAsync(Cancel, network: new MovableNetwork(DeclaredBehindNat, callee.Config.ListenPort));
        var callerId = await caller.TerminalIdAsync();
        Assert.AreEqual(0, Cli.Run(["permit", "add", "terminal:" + callerId, .. callee.CliOptions], out var permitted), permitted);
        return (callee, caller, calleeAgent);
    }
}
