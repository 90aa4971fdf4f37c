using System.Text;
using System.Text.RegularExpressions;

namespace PeerGate.NatLab.Tests;

/// <summary>
/// Every pair connects (F37) through real NAT routers, with the server's rendezvous endpoint on: two
/// devices behind two different NATs, neither reachable (each declares its LAN address, the caller
/// listens on no port). The endpoint's probe port is on, so the server measures each side's mapping.
/// Behind two endpoint-independent NATs they meet by hole punching; behind a port-randomising one the
/// server skips the punch, which cannot work there, and the relay carries the session at once, and a
/// capture on the relay never holds the message or the connection password.
/// </summary>
/// <remarks>
/// The lab has one router of each kind. For TCP, the mapping behaviour is what counts: `r-eim` and
/// `r-noudp` both masquerade plainly (the host's port at every destination: endpoint-independent; the
/// second only drops UDP, which these paths do not use); `r-sym` masquerades fully-random, so every
/// new connection gets a random public port (port-dependent). `r-tmo` masquerades into 20000-32767, but
/// Linux reuses the mapping of a source address and port that still has a conntrack entry, so for the
/// punch's one local port it is endpoint-independent (docs/nat-lab.md): the pair is skipped for the
/// caller's mapping alone.
/// </remarks>
[TestClass]
public sealed class EveryPairConnectsTests
{
    private const int CalleePort = 7400;
    private const int RendezvousPort = 7443;
    private const int ProbePort = 7444;
    private const string Password = "door-4711-relay";
    private const string Message = "PLAINTEXT-ACROSS-THE-RELAY";

    private string _dir = null!;

    [TestInitialize]
    public void CreateSandbox() => _dir = Directory.CreateTempSubdirectory("peergate-natlab-everypair-").FullName;

    [TestCleanup]
    public void DeleteSandbox() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task TwoDevicesBehindTwoEndpointIndependentNatsConnectPunched()
    {
        var lab = await SharedLab.GetAsync();
        using var server = await StartServerAsync(lab);
        var (callee, caller) = await PairAsync(lab, server, NatKind.UdpBlocked, NatKind.EndpointIndependent);
        using var capture = await LabCapture.StartAsync(lab, _dir, [lab[NatKind.EndpointIndependent].Router, lab[NatKind.UdpBlocked].Router], "wan0", "tcp");
        try
        {
            var connect = await ConnectAsync(lab, caller.Device, caller.Node, callee.TerminalId);
            if (!connect.Output.Contains("punch.connected", StringComparison.Ordinal))
            {
                // Both routers' public side, kept only now: the SYNs of the window show why they missed.
                var kept = await capture.KeepAsync(nameof(TwoDevicesBehindTwoEndpointIndependentNatsConnectPunched), connect.Output + "\ncallee:\n" + callee.Process.Output);
                Assert.Fail($"the punch missed (captures in {kept}):\n{connect.Output}\ncallee:\n{callee.Process.Output}");
            }

            Assert.IsTrue(connect.Succeeded, connect.Output + "\ncallee:\n" + callee.Process.Output + "\nserver:\n" + server.Process.Output);
            StringAssert.Contains(connect.Output, "path: punched");
            StringAssert.Contains(connect.Output, $"rendezvous: {NatLab.ServerAddress}:{RendezvousPort}");
            StringAssert.Contains(connect.Output, "handshake: accepted on the punched path", connect.Output + "\ncallee:\n" + callee.Process.Output);
            StringAssert.Contains(connect.Output, "bytes match");
            StringAssert.Contains(connect.Output, $"punch.connected {lab[NatKind.UdpBlocked].Router.Address}:", "the caller reached the callee's NAT mapping");
            StringAssert.Contains(connect.Output, $"punch.probe-seen {lab[NatKind.EndpointIndependent].Router.Address}:", "the caller probed");
            var attempts = await server.OperatorAsync("attempts", "--limit", "1");
            StringAssert.Matches(attempts, new Regex(@" granted +- +punched "), attempts);
            var metrics = await server.MetricsAsync();
            StringAssert.Contains(metrics, "peergate_nat_mappings_total{kind=\"endpoint_independent\"} 2", metrics);
            Assert.DoesNotContain("kind=\"port_dependent\"", metrics);
        }
        finally
        {
            callee.Process.Dispose();
        }
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task TwoDevicesBehindTwoPortRandomisingNatsConnectRelayedAndTheRelayCarriesNoPlaintext()
    {
        var lab = await SharedLab.GetAsync();
        using var server = await StartServerAsync(lab);
        var pcap = Path.Combine(_dir, "relay.pcap");
        using var capture = lab.Start(lab.Server, "tcpdump", ["-i", "eth0", "-U", "-n", "-s", "0", "-w", pcap, "tcp", "port", RendezvousPort.ToString()]);
        Assert.IsNotNull(await capture.WaitForLineAsync(line => line.Contains("listening on", StringComparison.Ordinal), TimeSpan.FromSeconds(15)), "tcpdump runs in the server's namespace: " + capture.Output);
        var (callee, caller) = await PairAsync(lab, server, NatKind.ShortTimeout, NatKind.Symmetric);
        try
        {
            var connect = await ConnectAsync(lab, caller.Device, caller.Node, callee.TerminalId);

            Assert.IsTrue(connect.Succeeded, connect.Output + "\ncallee:\n" + callee.Process.Output + "\nserver:\n" + server.Process.Output);
            StringAssert.Contains(connect.Output, "path: punched");
            StringAssert.Contains(connect.Output, "punch.skipped", "the server skipped the punch: " + connect.Output);
            StringAssert.Contains(connect.Output, "rendezvous.relay-at-once");
            Assert.DoesNotContain("punch.connected", connect.Output, "no punch was tried, so none can get through by a lucky port");
            Assert.DoesNotContain("punch.failed", connect.Output);
            StringAssert.Contains(connect.Output, "handshake: accepted on the relayed path");
            StringAssert.Contains(connect.Output, "bytes match");
            var attempts = await server.OperatorAsync("attempts", "--limit", "1");
            StringAssert.Matches(attempts, new Regex(@" granted +- +relayed \(punch_skipped_caller_port_dependent\) "), attempts);
            var metrics = await server.MetricsAsync();
            StringAssert.Contains(metrics, "peergate_nat_mappings_total{kind=\"port_dependent\"} 1", metrics);
            StringAssert.Contains(metrics, "peergate_nat_mappings_total{kind=\"endpoint_independent\"} 1", "r-tmo keeps the punch's mapping for TCP: " + metrics);
            StringAssert.Contains(metrics, "peergate_relay_sessions_total{outcome=\"punch_skipped\"} 1", metrics);
        }
        finally
        {
            callee.Process.Dispose();
        }

        // tcpdump writes each packet once it has read it from the kernel, which on a busy machine can be
        // seconds after the relay carried it: wait (bounded) for the relay's traffic before stopping it.
        await Waits.Eventually(() => Task.FromResult(new FileInfo(pcap).Length > 24 + 1000), "tcpdump writes the relay's traffic");

        capture.Dispose();
        var captured = await File.ReadAllBytesAsync(pcap);
        Assert.IsGreaterThan(24 + 1000, captured.Length, "the capture holds the relay's traffic");
        foreach (var secret in new[] { Message, Password })
        {
            Assert.AreEqual(-1, captured.AsSpan().IndexOf(Encoding.ASCII.GetBytes(secret)), $"the relay carried \"{secret}\" in clear");
        }
    }

    private Task<LabPeerGateServer> StartServerAsync(NatLab lab) =>
        LabPeerGateServer.StartAsync(lab, _dir, $"--PeerGate:RendezvousAddress={NatLab.ServerAddress}", $"--PeerGate:RendezvousPort={RendezvousPort}", $"--PeerGate:RendezvousProbePort={ProbePort}");

    /// <summary>A running callee behind <paramref name="calleeKind"/> (with a connection password) that permits a caller behind <paramref name="callerKind"/>, which listens on no port.</summary>
    private static async Task<((LabProcess Process, string TerminalId) Callee, (LabVirtualDevice Device, LabNode Node) Caller)> PairAsync(
        NatLab lab, LabPeerGateServer server, NatKind calleeKind, NatKind callerKind)
    {
        var callerNode = lab[callerKind].Host;
        var caller = await server.EnrollDeviceAsync("caller-" + callerKind, "TriggerChannel=false");
        var registered = await caller.RunOnceAsync(callerNode);
        Assert.IsTrue(registered.Succeeded, registered.Output);
        var callerId = Regex.Match(registered.Output, @"registered terminal (\S+)").Groups[1].Value;

        var segment = lab[calleeKind];
        var device = await server.EnrollDeviceAsync("callee-" + calleeKind, $"ListenPort={CalleePort}", $"ConnectionPassword={Password}");
        var permitted = await lab.ExecDotnetAsync(segment.Host, LabBinaries.VirtualDevice,
            ["permit", "add", "terminal:" + callerId, "--image", device.Image, "--config", device.Config, "--state", device.State], TimeSpan.FromSeconds(60));
        Assert.IsTrue(permitted.Succeeded, permitted.Output);

        var process = device.Start(segment.Host);
        var authenticated = await process.WaitForLineAsync(line => line.Contains("auth.ok terminal ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        Assert.IsNotNull(authenticated, process.Output);
        Assert.IsNotNull(await process.WaitForLineAsync(line => line.Contains("trigger.start", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), process.Output);
        var calleeId = Regex.Match(authenticated, @"auth\.ok terminal (\S+)").Groups[1].Value;
        return ((process, calleeId), (caller, callerNode));
    }

    /// <summary>The caller's connect from behind its NAT; repeated (bounded) while the callee's long-poll is not yet open on the server.</summary>
    private static async Task<CommandResult> ConnectAsync(NatLab lab, LabVirtualDevice caller, LabNode node, string calleeId)
    {
        CommandResult result = null!;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            result = await lab.ExecDotnetAsync(node, LabBinaries.VirtualDevice,
                ["connect", calleeId, "--message", Message, "--device-password", Password, "--image", caller.Image, "--config", caller.Config, "--state", caller.State],
                TimeSpan.FromSeconds(90));
            if (!result.Output.Contains("callee_not_connected", StringComparison.Ordinal))
            {
                return result;
            }

            await Task.Delay(500);
        }

        return result;
    }
}
