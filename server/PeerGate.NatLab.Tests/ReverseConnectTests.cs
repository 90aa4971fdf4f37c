using System.Text.RegularExpressions;

namespace PeerGate.NatLab.Tests;

/// <summary>
/// Reverse connect through real NAT routers (F28-F30): a requester on the public segment, listening,
/// reaches a virtual device behind a NAT because the device connects out to it; data flows both ways and
/// the path is reported as reverse. A wrong connection password means the device never connects out.
/// </summary>
[TestClass]
public sealed class ReverseConnectTests
{
    private const int CallerPort = 7600;
    private const int CalleePort = 7400;
    private const string Password = "door-4711";

    private string _dir = null!;

    [TestInitialize]
    public void CreateSandbox() => _dir = Directory.CreateTempSubdirectory("peergate-natlab-reverse-").FullName;

    [TestCleanup]
    public void DeleteSandbox() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    [DataRow(NatKind.EndpointIndependent)]
    [DataRow(NatKind.Symmetric)]
    public async Task APublicRequesterReachesADeviceBehindTheNatByReverseConnect(NatKind kind)
    {
        var lab = await SharedLab.GetAsync();
        using var server = await LabPeerGateServer.StartAsync(lab, _dir);
        var (callee, caller) = await PairAsync(lab, server, kind, Password);
        try
        {
            var connect = await ConnectAsync(lab, caller.Device, callee.TerminalId, Password);

            Assert.IsTrue(connect.Succeeded, connect.Output + "\ncallee:\n" + callee.Process.Output + "\nserver:\n" + server.Process.Output);
            StringAssert.Contains(connect.Output, "path: reverse");
            StringAssert.Contains(connect.Output, "handshake: accepted on the reverse path");
            StringAssert.Contains(connect.Output, "sent 21 bytes");
            StringAssert.Contains(connect.Output, "received 21 bytes");
            StringAssert.Contains(connect.Output, "bytes match");
            await Waits.Printed(callee.Process, "peer.accepted");
            StringAssert.Contains(callee.Process.Output, $"peer.reverse-dial session");
            StringAssert.Contains(callee.Process.Output, $"{NatLab.RequesterAddress}:{CallerPort}", "the device dialled the requester's public address");
            var attempts = await server.OperatorAsync("attempts", "--limit", "1");
            StringAssert.Matches(attempts, new Regex(@" granted +- +reverse "), attempts);
        }
        finally
        {
            callee.Process.Dispose();
        }
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task AWrongConnectionPasswordMeansTheDeviceNeverConnectsOut()
    {
        var lab = await SharedLab.GetAsync();
        using var server = await LabPeerGateServer.StartAsync(lab, _dir);
        var (callee, caller) = await PairAsync(lab, server, NatKind.EndpointIndependent, Password);
        try
        {
            var connect = await ConnectAsync(lab, caller.Device, callee.TerminalId, "not-the-password");

            Assert.IsFalse(connect.Succeeded, connect.Output);
            StringAssert.Contains(connect.Output, "path: reverse", "the server let the caller through: only the device knows its password");
            StringAssert.Contains(connect.Output, "handshake: failed: reverse_connect_timeout");
            Assert.DoesNotContain("peer.reverse-accepted", connect.Output, "the requester's listener saw no connection");
            Assert.DoesNotContain("peer.reverse-refused", connect.Output, "the requester's listener saw no connection");
            Assert.IsNotNull(await callee.Process.WaitForLineAsync(line => line.Contains("connection-password-refused", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), callee.Process.Output);
            Assert.DoesNotContain("peer.reverse-dial", callee.Process.Output, "the device never connected out");
            Assert.DoesNotContain(Password, callee.Process.Output);
            Assert.DoesNotContain("not-the-password", callee.Process.Output + server.Process.Output);
        }
        finally
        {
            callee.Process.Dispose();
        }
    }

    /// <summary>
    /// A listening requester on the public segment and a running device behind a <paramref name="kind"/>
    /// NAT (with <paramref name="password"/> as its connection password) that permits the requester.
    /// </summary>
    private static async Task<((LabProcess Process, string TerminalId) Callee, (LabVirtualDevice Device, string TerminalId) Caller)> PairAsync(
        NatLab lab, LabPeerGateServer server, NatKind kind, string password)
    {
        var segment = lab[kind];
        var caller = await server.EnrollDeviceAsync("requester", $"ListenPort={CallerPort}", $"ListenAddress={NatLab.RequesterAddress}", "TriggerChannel=false");
        var registered = await caller.RunOnceAsync(lab.Requester);
        Assert.IsTrue(registered.Succeeded, registered.Output);
        var callerId = Regex.Match(registered.Output, @"registered terminal (\S+)").Groups[1].Value;

        var device = await server.EnrollDeviceAsync("device-" + kind, $"ListenPort={CalleePort}", $"ConnectionPassword={password}");
        var permitted = await lab.ExecDotnetAsync(segment.Host, LabBinaries.VirtualDevice,
            ["permit", "add", "terminal:" + callerId, "--image", device.Image, "--config", device.Config, "--state", device.State], TimeSpan.FromSeconds(60));
        Assert.IsTrue(permitted.Succeeded, permitted.Output);

        var process = device.Start(segment.Host);
        var authenticated = await process.WaitForLineAsync(line => line.Contains("auth.ok terminal ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        Assert.IsNotNull(authenticated, process.Output);
        Assert.IsNotNull(await process.WaitForLineAsync(line => line.Contains("trigger.start", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), process.Output);
        var calleeId = Regex.Match(authenticated, @"auth\.ok terminal (\S+)").Groups[1].Value;
        return ((process, calleeId), (caller, callerId));
    }

    /// <summary>The requester's connect; repeated (bounded) while the device's long-poll is not yet open on the server.</summary>
    private static async Task<CommandResult> ConnectAsync(NatLab lab, LabVirtualDevice caller, string calleeId, string password)
    {
        CommandResult result = null!;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            result = await lab.ExecDotnetAsync(lab.Requester, LabBinaries.VirtualDevice,
                ["connect", calleeId, "--message", "hello through the NAT", "--device-password", password, "--image", caller.Image, "--config", caller.Config, "--state", caller.State],
                TimeSpan.FromSeconds(60));
            if (!result.Output.Contains("callee_not_connected", StringComparison.Ordinal))
            {
                return result;
            }

            await Task.Delay(500);
        }

        return result;
    }
}
