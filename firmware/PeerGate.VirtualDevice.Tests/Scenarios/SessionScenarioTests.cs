using PeerGate.Device;
using PeerGate.Device.Api;
using PeerGate.Device.Peer;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;
using PeerGate.VirtualDevice.Commands;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Scenarios;

/// <summary>
/// Names, device-held permit lists and sessions between real virtual devices through a real server
/// (F15, F22-F26).
/// </summary>
[TestClass]
public sealed class SessionScenarioTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Cancel => TestContext.CancellationToken;

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task CallerConnectsByNameAndBothSidesReportTheEnd()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var name = "TERM-" + Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var callee = await lab.AddDeviceAsync(listens: true, Cancel, $"Name={name}\n");
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);
        var calleeAgent = await callee.StartAsync(Cancel);
        var callerId = await caller.TerminalIdAsync();
        Assert.AreEqual(Cli.Ok, LabCli.Run(["permit", "add", "terminal:" + callerId, .. callee.CliOptions], out var permitted), permitted);

        var exit = LabCli.Run(["connect", "--name", name, "--message", "hello by name", .. caller.CliOptions], out var output);

        Assert.AreEqual(Cli.Ok, exit, output + callee.Log);
        Assert.Contains($"query: name {name}", output);
        Assert.Contains($"callee {calleeAgent.TerminalId}", output);
        Assert.Contains("bytes match", output);
        Assert.Contains("end notice: sent", output);
        var session = await EndedSessionAsync(lab, s => s.Callee == calleeAgent.TerminalId && s.CallerNotice is not null && s.CalleeNotice is not null);
        Assert.AreEqual(13, session.CallerNotice!.BytesSent);
        Assert.AreEqual(13, session.CallerNotice.BytesReceived);
        Assert.AreEqual(SessionEndReasons.Completed, session.CallerNotice.Reason);
        Assert.AreEqual(13, session.CalleeNotice!.BytesReceived);
        Assert.AreEqual(13, session.CalleeNotice.BytesSent);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task DeviceHeldListDecidesAndADenyEntryBeatsAPermitEntry()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var denied = await lab.AddDeviceAsync(listens: false, Cancel);
        var permitted = await lab.AddDeviceAsync(listens: false, Cancel);
        var deniedId = await denied.TerminalIdAsync();
        var permittedId = await permitted.TerminalIdAsync();
        var callee = await lab.AddDeviceAsync(
            listens: true,
            Cancel,
            $"DevicePermits=terminal:{deniedId},terminal:{permittedId}\nDeviceDenies=terminal:{deniedId}\n");
        var calleeAgent = await callee.StartAsync(Cancel);
        Assert.AreEqual(Cli.Ok, LabCli.Run(["permit", "policy", "--device-held", "on", .. callee.CliOptions], out var policy), policy);
        Assert.Contains("device-held permits on", policy);

        var refused = LabCli.Run(["connect", calleeAgent.TerminalId!, "--message", "let me in", .. denied.CliOptions], out var refusal);
        var allowed = LabCli.Run(["connect", calleeAgent.TerminalId!, "--message", "let me in", .. permitted.CliOptions], out var welcome);

        Assert.AreEqual(Cli.Failure, refused, refusal);
        Assert.Contains($"denied: {ErrorCodes.PermissionDenied}", refusal);
        Assert.AreEqual(Cli.Ok, allowed, welcome + callee.Log);
        Assert.Contains("bytes match", welcome);
        Assert.Contains("trigger.permit-query", callee.Log);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task OperatorTerminationEndsAnActiveTransferOnBothDevicesAndBothNoticesAreLogged()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var callee = await lab.AddDeviceAsync(listens: true, Cancel);
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);
        var calleeAgent = await callee.StartAsync(Cancel);
        var callerAgent = await caller.StartAsync(Cancel);
        Assert.AreEqual(Cli.Ok, LabCli.Run(["permit", "add", "terminal:" + callerAgent.TerminalId, .. callee.CliOptions], out var permitted), permitted);
        var grant = callerAgent.Connections.Request(calleeAgent.TerminalId!, 0);
        var channel = callerAgent.Dialer.Dial(grant, callerAgent.TerminalId!);
        using var transferring = new ManualResetEventSlim();
        var transfer = Task.Run(() => EchoUntilEnded(channel, transferring));
        Assert.IsTrue(transferring.Wait(ConnectionLab.WaitLimit, Cancel), "the transfer is running");

        var summary = await lab.Server.Admin.TerminateSessionAsync(grant.SessionId, Cancel);

        Assert.IsTrue(transfer.Wait(ConnectionLab.WaitLimit, Cancel), "the caller's transfer ended");
        Assert.IsTrue(callerAgent.Sessions.ReportEnd(channel.Session), caller.Log);
        Assert.AreEqual(SessionEndReasons.Terminated, channel.Session.EndReason);
        var session = await EndedSessionAsync(lab, s => s.SessionId == grant.SessionId && s.CallerNotice is not null && s.CalleeNotice is not null);
        Assert.AreEqual(SessionStates.Terminated, session.State, summary.State);
        Assert.AreEqual("operator", session.EndedBy);
        Assert.AreEqual(SessionEndReasons.Terminated, session.CallerNotice!.Reason);
        Assert.AreEqual(SessionEndReasons.Terminated, session.CalleeNotice!.Reason);
        Assert.IsGreaterThan(0L, session.CallerNotice.BytesSent);
        Assert.IsGreaterThan(0L, session.CalleeNotice.BytesReceived);
        Assert.AreEqual(transfer.Result, session.CallerNotice.BytesReceived);
        Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => calleeAgent.Load.ActiveSessions == 0, Cancel), callee.Log);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task RefusedExtensionStopsBothSidesAtExactlyTheByteLimit()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var callee = await lab.AddDeviceAsync(listens: true, Cancel);
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);
        var calleeAgent = await callee.StartAsync(Cancel);
        var callerId = await caller.TerminalIdAsync();
        Assert.AreEqual(Cli.Ok, LabCli.Run(["permit", "add", "terminal:" + callerId, .. callee.CliOptions], out var permitted), permitted);
        await lab.Server.Admin.SetSessionPolicyAsync(callerId, 0, 6000, Cancel);
        var file = caller.Device.File("big.bin");
        await File.WriteAllBytesAsync(file, new byte[10_000], Cancel);

        var exit = LabCli.Run(["connect", calleeAgent.TerminalId!, "--file", file, "--byte-limit", "6000", .. caller.CliOptions], out var output);

        Assert.AreEqual(Cli.Failure, exit, output);
        Assert.Contains("byte limit 6000", output);
        Assert.Contains($"session over ({SessionEndReasons.ExtensionRefused})", output);
        var session = await EndedSessionAsync(lab, s => s.Callee == calleeAgent.TerminalId && s.CallerNotice is not null && s.CalleeNotice is not null);
        Assert.AreEqual(SessionEndReasons.ExtensionRefused, session.CallerNotice!.Reason);
        // The callee ends at its own limit, or learns the reason first from the caller's Close frame.
        CollectionAssert.Contains(new[] { SessionEndReasons.ByteLimit, SessionEndReasons.ExtensionRefused }, session.CalleeNotice!.Reason);
        Assert.AreEqual(6000, session.CallerNotice.BytesSent + session.CallerNotice.BytesReceived, output);
        Assert.AreEqual(6000, session.CalleeNotice.BytesSent + session.CalleeNotice.BytesReceived, callee.Log);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task ExtensionGrantedAtSeventyPercentLetsTheTransferFinish()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var callee = await lab.AddDeviceAsync(listens: true, Cancel);
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);
        var calleeAgent = await callee.StartAsync(Cancel);
        var callerId = await caller.TerminalIdAsync();
        Assert.AreEqual(Cli.Ok, LabCli.Run(["permit", "add", "terminal:" + callerId, .. callee.CliOptions], out var permitted), permitted);
        var file = caller.Device.File("big.bin");
        await File.WriteAllBytesAsync(file, new byte[15_000], Cancel);

        var exit = LabCli.Run(["connect", calleeAgent.TerminalId!, "--file", file, "--byte-limit", "20000", .. caller.CliOptions], out var output);

        Assert.AreEqual(Cli.Ok, exit, output + callee.Log);
        Assert.Contains("bytes match", output);
        Assert.Contains("session.extended", output);
        var session = await EndedSessionAsync(lab, s => s.Callee == calleeAgent.TerminalId && s.CallerNotice is not null && s.CalleeNotice is not null);
        Assert.AreEqual(SessionEndReasons.Completed, session.CallerNotice!.Reason);
        Assert.AreEqual(30_000, session.CallerNotice.BytesSent + session.CallerNotice.BytesReceived);
        Assert.IsGreaterThan(20_000L, session.ByteLimit, "the record carries the extended limit");
    }

    /// <summary>Sends 1000 bytes and reads the echo, again and again, until the session ends; returns the bytes echoed.</summary>
    private static long EchoUntilEnded(PeerChannel channel, ManualResetEventSlim transferring)
    {
        var chunk = new byte[1000];
        var echo = new byte[FrameFormat.MaxPayload];
        long received = 0;
        try
        {
            while (channel.Send(chunk, 0, chunk.Length) > 0)
            {
                for (var got = 0; got < chunk.Length;)
                {
                    var n = channel.Receive(echo, 0, echo.Length, 10_000);
                    if (n <= 0)
                    {
                        return received;
                    }

                    got += n;
                    received += n;
                }

                transferring.Set();
                Thread.Sleep(20);
            }
        }
        catch (PeerException)
        {
            // The callee's Close can race a send; the session's reason says what happened.
        }

        return received;
    }

    private static async Task<PeerGate.Protocol.Host.Admin.SessionSummary> EndedSessionAsync(
        ConnectionLab lab, Func<PeerGate.Protocol.Host.Admin.SessionSummary, bool> match)
    {
        PeerGate.Protocol.Host.Admin.SessionSummary? found = null;
        var deadline = DateTime.UtcNow + ConnectionLab.WaitLimit;
        while (found is null && DateTime.UtcNow < deadline)
        {
            found = (await lab.Server.Admin.ListSessionsAsync(cancellationToken: default)).FirstOrDefault(match);
            if (found is null)
            {
                await Task.Delay(100);
            }
        }

        Assert.IsNotNull(found, "the session with both end notices");
        return found;
    }
}
