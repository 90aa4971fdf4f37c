using System.Text;
using System.Text.RegularExpressions;

namespace PeerGate.NatLab.Tests;

/// <summary>
/// Every pair connects (F37) through real NAT routers, with the server's rendezvous endpoint on: two
/// devices behind two different NATs, neither reachable (each declares its LAN address, the caller
/// listens on no port). Behind two endpoint-independent NATs they meet by hole punching; behind two
/// port-randomising ones the punch cannot work and the relay carries the session, and a capture on the
/// relay never holds the message or the connection password.
/// </summary>
/// <remarks>
/// The lab has one router of each kind. For TCP, the mapping behaviour is what counts: `r-eim` and
/// `r-noudp` both masquerade plainly (the host's port at every destination: endpoint-independent; the
/// second only drops UDP, which these paths do not use); `r-sym` masquerades fully-random and `r-tmo`
/// into 20000-32767, a range no host source port is in, so both give every new destination its own
/// public port (port-randomising).
/// </remarks>
[TestClass]
public sealed class EveryPairConnectsTests
{
    private const int CalleePort = 7400;
    private const int RendezvousPort = 7443;
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
        try
        {
            var connect = await ConnectAsync(lab, caller.Device, caller.Node, callee.TerminalId);

            Assert.IsTrue(connect.Succeeded, connect.Output + "\ncallee:\n" + callee.Process.Output + "\nserver:\n" + server.Process.Output);
            StringAssert.Contains(connect.Output, "path: punched");
            StringAssert.Contains(connect.Output, $"rendezvous: {NatLab.ServerAddress}:{RendezvousPort}");
            StringAssert.Contains(connect.Output, "handshake: accepted on the punched path", connect.Output + "\ncallee:\n" + callee.Process.Output);
            StringAssert.Contains(connect.Output, "bytes match");
            StringAssert.Contains(connect.Output, $"punch.connected {lab[NatKind.UdpBlocked].Router.Address}:", "the caller reached the callee's NAT mapping");
            var attempts = await server.OperatorAsync("attempts", "--limit", "1");
            StringAssert.Matches(attempts, new Regex(@" granted +- +punched "), attempts);
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
            StringAssert.Contains(connect.Output, "rendezvous.fallback", "the punch got nowhere through the port-randomising NATs");
            StringAssert.Contains(connect.Output, "handshake: accepted on the relayed path");
            StringAssert.Contains(connect.Output, "bytes match");
            var attempts = await server.OperatorAsync("attempts", "--limit", "1");
            StringAssert.Matches(attempts, new Regex(@" granted +- +relayed "), attempts);
        }
        finally
        {
            callee.Process.Dispose();
        }

        capture.Dispose();
        var captured = await File.ReadAllBytesAsync(pcap);
        Assert.IsGreaterThan(24 + 1000, captured.Length, "the capture holds the relay's traffic");
        foreach (var secret in new[] { Message, Password })
        {
            Assert.AreEqual(-1, captured.AsSpan().IndexOf(Encoding.ASCII.GetBytes(secret)), $"the relay carried \"{secret}\" in clear");
        }
    }

    private Task<LabPeerGateServer> StartServerAsync(NatLab lab) =>
        LabPeerGateServer.StartAsync(lab, _dir, $"--PeerGate:RendezvousAddress={NatLab.ServerAddress}", $"--PeerGate:RendezvousPort={RendezvousPort}");

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
