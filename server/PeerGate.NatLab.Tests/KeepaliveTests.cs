using System.Text.RegularExpressions;

namespace PeerGate.NatLab.Tests;

/// <summary>
/// The adaptive UDP keepalive, the fallback and the idle device off the long-poll (F31, F38) through
/// the lab's routers, with a real server (UDP on 5081, probes on 5082) and real virtual devices. The
/// callee runs with <c>--udp</c>; a caller on the public segment asks for a connection, whose status
/// query reaches the callee by wake and fetch, or by the long-poll after the fallback.
/// Bounds: the short-timeout NAT's measurement ends within 40 s (2 + 3 + 5 s of probes and their
/// grace); the fallback within 3 registrations of 2 s period + 2 s ack wait; a query within 30 s.
/// </summary>
[TestClass]
public sealed class KeepaliveTests
{
    private const int UdpPort = 5081;
    private const int ProbePort = 5082;
    private static readonly TimeSpan QueryBound = TimeSpan.FromSeconds(30);

    // One server and one caller for the class (starting them is most of a test's time); each test has its own callee.
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _dir;
    private static LabPeerGateServer? _server;
    private static (LabVirtualDevice Device, string Terminal)? _caller;

    [ClassCleanup]
    public static void StopServer()
    {
        _server?.Dispose();
        if (_dir is not null)
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    // The poller names its channel when its next request starts: a long-poll begun before the first ack runs
    // out first (its wait, 35 s), so the line can come that late.
    private static readonly TimeSpan ChannelBound = TimeSpan.FromSeconds(60);

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task BehindTheShortTimeoutNatTheMeasuredLifetimeIsBelowTheRoutersAndTheDeviceStaysReachableByWake()
    {
        var lab = await SharedLab.GetAsync();
        var server = await StartServerAsync(lab);
        var (callee, caller, calleeTerminal) = await PairAsync(server, lab);

        using var run = callee.Start(lab[NatKind.ShortTimeout].Host, "--udp", $"{lab.Server.Address}:{UdpPort}", "--udp-probe", ProbePort.ToString());
        var lifetime = await run.WaitForLineAsync(line => line.Contains("udp-lifetime ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.IsNotNull(lifetime, run.Output);
        var seconds = int.Parse(Regex.Match(lifetime, @"udp-lifetime (\d+) s").Groups[1].Value);
        Assert.IsLessThanOrEqualTo(NatLab.ShortMappingSeconds, seconds, lifetime);
        Assert.IsGreaterThanOrEqualTo(1, seconds, lifetime);

        // While measuring at the 25 s ceiling the router forgot the mapping and gave a new port: the
        // registration right after the measurement teaches the server the new one, and the wake below
        // reaches the device through it. It is the baseline the new period keeps, not a reason to measure again.
        Assert.IsNotNull(await run.WaitForLineAsync(line => line.Contains("udp-mapping ", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), run.Output);
        await Task.Delay(TimeSpan.FromSeconds(2 * NatLab.ShortMappingSeconds));
        Assert.DoesNotContain("udp-remeasure", run.Output);

        // No long-poll, and the status query still arrives: by wake and fetch.
        await Waits.Printed(run, "trigger.channel udp");
        await AssertGrantedAsync(lab, caller, calleeTerminal, run);
        await Waits.Printed(run, "udp-wake ");
        var row = await server.DeviceRowAsync(callee.DeviceId);
        Assert.AreEqual("udp", row?.Channel, await server.OperatorAsync("devices"));
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task BehindTheUdpBlockingNatTheDeviceFallsBackToTheLongPollAndATriggerIsStillDelivered()
    {
        var lab = await SharedLab.GetAsync();
        var server = await StartServerAsync(lab);
        var (callee, caller, calleeTerminal) = await PairAsync(server, lab);

        using var run = callee.Start(lab[NatKind.UdpBlocked].Host, "--udp", $"{lab.Server.Address}:{UdpPort}", "--udp-period", "2", "--udp-probe", ProbePort.ToString());
        Assert.IsNotNull(await run.WaitForLineAsync(line => line.Contains("udp-fallback ", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), run.Output);

        await AssertGrantedAsync(lab, caller, calleeTerminal, run);
        Assert.DoesNotContain("udp-wake ", run.Output);
        var row = await server.DeviceRowAsync(callee.DeviceId);
        Assert.AreEqual("long-poll", row?.Channel, await server.OperatorAsync("devices"));
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task AMappingTheRouterForgotGivesCalleeUnreachableWithinTheStatusQueryBound()
    {
        var lab = await SharedLab.GetAsync();
        var server = await StartServerAsync(lab);
        var (callee, caller, calleeTerminal) = await PairAsync(server, lab);

        // No probe port: the device keeps the 25 s period, and the 3 s router forgets the mapping in between.
        using var run = callee.Start(lab[NatKind.ShortTimeout].Host, "--udp", $"{lab.Server.Address}:{UdpPort}");
        Assert.IsNotNull(await run.WaitForLineAsync(line => line.Contains("trigger.channel udp", StringComparison.Ordinal), ChannelBound), run.Output);
        await Task.Delay(TimeSpan.FromSeconds(NatLab.ShortMappingSeconds + 2));

        var started = DateTime.UtcNow;
        using var connect = caller.StartConnect(lab, calleeTerminal);
        var answer = await connect.WaitForLineAsync(line => line.StartsWith("denied:", StringComparison.Ordinal) || line.StartsWith("failed:", StringComparison.Ordinal) || line.StartsWith("grant:", StringComparison.Ordinal), QueryBound);
        var took = DateTime.UtcNow - started;

        Assert.IsNotNull(answer, connect.Output);
        StringAssert.Contains(answer, "callee_unreachable", connect.Output + "\ncallee:\n" + run.Output);
        Assert.IsLessThan(TimeSpan.FromSeconds(20), took, "the status query's bound (5 s) plus start-up, never a hang");
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task BehindTheLossyNatATriggerStillArrivesWithinTheBound()
    {
        var lab = await SharedLab.GetAsync();
        var server = await StartServerAsync(lab);
        var (callee, caller, calleeTerminal) = await PairAsync(server, lab);

        using var run = callee.Start(lab[NatKind.Lossy].Host, "--udp", $"{lab.Server.Address}:{UdpPort}", "--udp-period", "5", "--udp-probe", ProbePort.ToString());
        Assert.IsNotNull(await run.WaitForLineAsync(line => line.Contains("trigger.channel", StringComparison.Ordinal), ChannelBound), run.Output);

        await AssertGrantedAsync(lab, caller, calleeTerminal, run);
    }

    private static async Task AssertGrantedAsync(NatLab lab, LabVirtualDevice caller, string calleeTerminal, LabProcess callee)
    {
        using var connect = caller.StartConnect(lab, calleeTerminal);
        var answer = await connect.WaitForLineAsync(line => line.StartsWith("denied:", StringComparison.Ordinal) || line.StartsWith("failed:", StringComparison.Ordinal) || line.StartsWith("grant:", StringComparison.Ordinal), QueryBound);
        Assert.IsNotNull(answer, connect.Output + "\ncallee:\n" + callee.Output);
        StringAssert.StartsWith(answer, "grant:", connect.Output + "\ncallee:\n" + callee.Output);
        await Waits.Printed(callee, "trigger.status-query");
    }

    private static async Task<LabPeerGateServer> StartServerAsync(NatLab lab)
    {
        await Gate.WaitAsync();
        try
        {
            if (_server is null)
            {
                _dir = Directory.CreateTempSubdirectory("peergate-natlab-keepalive-").FullName;
                _server = await LabPeerGateServer.StartAsync(lab, _dir, "--PeerGate:UdpAddress=0.0.0.0", $"--PeerGate:UdpPort={UdpPort}", $"--PeerGate:UdpProbePort={ProbePort}");
                // The caller listens on the public segment, so a callee behind NAT is reached by reverse connect.
                var caller = await _server.EnrollDeviceAsync("caller", "ListenPort=7401", $"ListenAddress={NatLab.RequesterAddress}", "TriggerChannel=false");
                _caller = (caller, Terminal(await caller.RunOnceAsync(lab.Requester)));
            }

            return _server;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>A fresh callee that listens and permits the class's caller (registered once, on the public segment).</summary>
    private static async Task<(LabVirtualDevice Callee, LabVirtualDevice Caller, string CalleeTerminal)> PairAsync(LabPeerGateServer server, NatLab lab)
    {
        var callee = await server.EnrollDeviceAsync("callee-" + Guid.NewGuid().ToString("N")[..8], "ListenPort=7400", "ListenAddress=0.0.0.0");
        var (caller, callerTerminal) = _caller!.Value;
        var calleeTerminal = Terminal(await callee.RunOnceAsync(lab.Requester));
        var permitted = await lab.ExecDotnetAsync(lab.Requester, LabBinaries.VirtualDevice,
            ["permit", "add", "terminal:" + callerTerminal, "--image", callee.Image, "--config", callee.Config, "--state", callee.State], TimeSpan.FromSeconds(60));
        Assert.IsTrue(permitted.Succeeded, permitted.Output);
        return (callee, caller, calleeTerminal);
    }

    private static string Terminal(CommandResult run)
    {
        Assert.IsTrue(run.Succeeded, run.Output);
        return Regex.Match(run.Output, @"registered terminal (\S+)").Groups[1].Value;
    }
}

internal static class ConnectExtensions
{
    /// <summary><c>virtual-device connect</c> from the public requester to <paramref name="calleeTerminal"/>.</summary>
    public static LabProcess StartConnect(this LabVirtualDevice caller, NatLab lab, string calleeTerminal) =>
        lab.StartDotnet(lab.Requester, LabBinaries.VirtualDevice,
            ["connect", calleeTerminal, "--message", "hello", "--image", caller.Image, "--config", caller.Config, "--state", caller.State]);
}
