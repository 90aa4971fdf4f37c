using System.Security.Cryptography;
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
    public async Task StrangerClaimingTheNameFirstIsRefusedAndTheCallerReachesTheOwner()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var name = "TERM-" + Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var callee = await lab.AddDeviceAsync(listens: true, Cancel, name: name);
        var stranger = await lab.AddDeviceAsync(listens: true, Cancel, $"Name={name}\n");
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);

        // The stranger registers first, claiming the name the operator bound to the callee at enrollment.
        var strangerAgent = stranger.Device.Boot(stranger.Config, out _);
        Assert.IsFalse(strangerAgent.RunOnce(), stranger.Log);
        Assert.AreEqual(ErrorCodes.NameTaken, strangerAgent.LastErrorCode);
        await callee.StartAsync(Cancel);
        var callerId = await caller.TerminalIdAsync();
        Assert.AreEqual(Cli.Ok, Cli.Run(["permit", "add", "terminal:" + callerId, .. callee.CliOptions], out var permitted), permitted);

        var exit = Cli.Run(["connect", "--name", name.ToLowerInvariant(), "--message", "to the owner", .. caller.CliOptions], out var output);

        Assert.AreEqual(Cli.Ok, exit, output + callee.Log);
        Assert.Contains($"callee {callee.Agent!.TerminalId}", output);
        Assert.AreEqual(callee.Agent.TerminalId, (await lab.Server.Admin.ListNamesAsync(Cancel)).Single().TerminalId);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task CallerConnectsByNameAndBothSidesReportTheEnd()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var name = "TERM-" + Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (callee, caller, _) = await PermittedPairAsync(lab, calleeName: name);
        var calleeAgent = callee.Agent!;

        var exit = Cli.Run(["connect", "--name", name, "--message", "hello by name", .. caller.CliOptions], out var output);

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
        Assert.AreEqual(Cli.Ok, Cli.Run(["permit", "policy", "--device-held", "on", .. callee.CliOptions], out var policy), policy);
        Assert.Contains("device-held permits on", policy);

        var refused = Cli.Run(["connect", calleeAgent.TerminalId!, "--message", "let me in", .. denied.CliOptions], out var refusal);
        var allowed = Cli.Run(["connect", calleeAgent.TerminalId!, "--message", "let me in", .. permitted.CliOptions], out var welcome);

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
        var (caller, callee) = await StartPairAsync(lab);
        var (callerAgent, calleeAgent) = (caller.Agent!, callee.Agent!);
        var grant = callerAgent.Connections.Request(calleeAgent.TerminalId!, 0);
        var channel = callerAgent.Dialer.Dial(grant, callerAgent.TerminalId!);
        var transfer = EchoLoop.Start(channel);
        Assert.IsTrue(transfer.WaitRunning(ConnectionLab.WaitLimit, Cancel), "the transfer is running");

        var summary = await lab.Server.Admin.TerminateSessionAsync(grant.SessionId, Cancel);

        Assert.IsTrue(transfer.Completion.Wait(ConnectionLab.WaitLimit, Cancel), "the caller's transfer ended");
        Assert.IsTrue(caller.Agent!.Sessions.ReportEnd(channel.Session), caller.Log);
        Assert.AreEqual(SessionEndReasons.Terminated, channel.Session.EndReason);
        var session = await EndedSessionAsync(lab, s => s.SessionId == grant.SessionId && s.CallerNotice is not null && s.CalleeNotice is not null);
        Assert.AreEqual(SessionStates.Terminated, session.State, summary.State);
        Assert.AreEqual("operator", session.EndedBy);
        Assert.AreEqual(SessionEndReasons.Terminated, session.CallerNotice!.Reason);
        Assert.AreEqual(SessionEndReasons.Terminated, session.CalleeNotice!.Reason);
        Assert.IsGreaterThan(0L, session.CallerNotice.BytesSent);
        Assert.IsGreaterThan(0L, session.CalleeNotice.BytesReceived);
        Assert.AreEqual(transfer.Completion.Result, session.CallerNotice.BytesReceived);
        Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => calleeAgent.Load.ActiveSessions == 0, Cancel), callee.Log);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task RefusedExtensionStopsBothSidesAtExactlyTheByteLimit()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var (callee, caller, callerId) = await PermittedPairAsync(lab);
        var calleeAgent = callee.Agent!;
        await lab.Server.Admin.SetSessionPolicyAsync(callerId, 0, 6000, Cancel);
        var file = caller.Device.File("big.bin");
        await File.WriteAllBytesAsync(file, new byte[10_000], Cancel);

        var exit = Cli.Run(["connect", calleeAgent.TerminalId!, "--file", file, "--byte-limit", "6000", .. caller.CliOptions], out var output);

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
        var (callee, caller, _) = await PermittedPairAsync(lab);
        var calleeAgent = callee.Agent!;
        var file = caller.Device.File("big.bin");
        await File.WriteAllBytesAsync(file, new byte[15_000], Cancel);

        var exit = Cli.Run(["connect", calleeAgent.TerminalId!, "--file", file, "--byte-limit", "20000", .. caller.CliOptions], out var output);

        Assert.AreEqual(Cli.Ok, exit, output + callee.Log);
        Assert.Contains("bytes match", output);
        Assert.Contains("session.extended", output);
        var session = await EndedSessionAsync(lab, s => s.Callee == calleeAgent.TerminalId && s.CallerNotice is not null && s.CalleeNotice is not null);
        Assert.AreEqual(SessionEndReasons.Completed, session.CallerNotice!.Reason);
        Assert.AreEqual(30_000, session.CallerNotice.BytesSent + session.CallerNotice.BytesReceived);
        Assert.IsGreaterThan(20_000L, session.ByteLimit, "the record carries the extended limit");
        AssertCalleeTookTheForwardedLimits(callee.Log);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task FileFarBeyondTheAskedByteLimitCompletesWithinThePolicyAndEveryCountAgrees()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var (callee, caller, callerId) = await PermittedPairAsync(lab);
        var calleeAgent = callee.Agent!;
        await lab.Server.Admin.SetSessionPolicyAsync(callerId, 0, 512_000, Cancel);
        var file = caller.Device.File("big.bin");
        await File.WriteAllBytesAsync(file, RandomNumberGenerator.GetBytes(200_000), Cancel);

        var exit = Cli.Run(["connect", calleeAgent.TerminalId!, "--file", file, "--byte-limit", "1000", .. caller.CliOptions], out var output);

        Assert.AreEqual(Cli.Ok, exit, output + callee.Log);
        Assert.Contains("sent 200000 bytes", output);
        Assert.Contains("received 200000 bytes", output);
        Assert.Contains("bytes match", output);
        Assert.Contains("session end: completed, sent 200000 bytes, received 200000 bytes", output);
        var session = await EndedSessionAsync(lab, s => s.Callee == calleeAgent.TerminalId && s.CallerNotice is not null && s.CalleeNotice is not null);
        Assert.AreEqual(512_000, session.ByteLimit, "the record carries the last grant");
        Assert.AreEqual(SessionEndReasons.Completed, session.CallerNotice!.Reason);
        Assert.AreEqual(SessionEndReasons.Completed, session.CalleeNotice!.Reason, callee.Log);
        Assert.AreEqual(200_000, session.CallerNotice.BytesSent);
        Assert.AreEqual(200_000, session.CallerNotice.BytesReceived);
        Assert.AreEqual(200_000, session.CalleeNotice.BytesReceived, callee.Log);
        Assert.AreEqual(200_000, session.CalleeNotice.BytesSent, callee.Log);
        Assert.IsTrue(
            await ConnectionLab.EventuallyAsync(() => callee.Log.Contains("received 200000 bytes, sent 200000 bytes", StringComparison.Ordinal), Cancel),
            callee.Log);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task FileBeyondThePolicyStopsBothSidesAtExactlyTheFinalLimitWithTheSameCounts()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var (callee, caller, callerId) = await PermittedPairAsync(lab);
        var calleeAgent = callee.Agent!;
        await lab.Server.Admin.SetSessionPolicyAsync(callerId, 0, 100_000, Cancel);
        var file = caller.Device.File("big.bin");
        await File.WriteAllBytesAsync(file, RandomNumberGenerator.GetBytes(200_000), Cancel);

        var exit = Cli.Run(["connect", calleeAgent.TerminalId!, "--file", file, "--byte-limit", "1000", .. caller.CliOptions], out var output);

        Assert.AreEqual(Cli.Failure, exit, output);
        Assert.Contains($"session over ({SessionEndReasons.ExtensionRefused})", output);
        var session = await EndedSessionAsync(lab, s => s.Callee == calleeAgent.TerminalId && s.CallerNotice is not null && s.CalleeNotice is not null);
        Assert.AreEqual(100_000, session.ByteLimit, "the record carries the last grant");
        var (callerNotice, calleeNotice) = (session.CallerNotice!, session.CalleeNotice!);
        Assert.AreEqual(SessionEndReasons.ExtensionRefused, callerNotice.Reason);
        Assert.AreEqual(SessionEndReasons.ExtensionRefused, calleeNotice.Reason, callee.Log);
        Assert.AreEqual(100_000, callerNotice.BytesSent + callerNotice.BytesReceived, output);
        Assert.AreEqual(callerNotice.BytesSent, calleeNotice.BytesReceived, "every byte the caller counts as sent reached the callee\n" + output + callee.Log);
        Assert.AreEqual(callerNotice.BytesReceived, calleeNotice.BytesSent, "every byte the callee counts as sent reached the caller\n" + output + callee.Log);
        Assert.Contains($"sent {callerNotice.BytesSent} bytes\n", output.ReplaceLineEndings("\n"));
        Assert.Contains($"received {callerNotice.BytesReceived} bytes\n", output.ReplaceLineEndings("\n"));
        Assert.Contains($"session end: {SessionEndReasons.ExtensionRefused}, sent {callerNotice.BytesSent} bytes, received {callerNotice.BytesReceived} bytes", output);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task DeviceThatOnlyCallsOutRegistersWithoutAPortAndCallersAreToldItIsUnreachable()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var callee = await lab.AddDeviceAsync(listens: false, Cancel, "ListenPort=0\n");
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);
        var calleeAgent = await callee.StartAsync(Cancel);
        var callerId = await caller.TerminalIdAsync();
        Assert.AreEqual(Cli.Ok, Cli.Run(["permit", "add", "terminal:" + callerId, .. callee.CliOptions], out var permitted), permitted);

        var exit = Cli.Run(["connect", calleeAgent.TerminalId!, "--message", "anyone there?", .. caller.CliOptions], out var output);

        Assert.AreEqual(Cli.Failure, exit, output);
        Assert.Contains($"denied: {ErrorCodes.CalleeUnreachable}", output);
        Assert.DoesNotContain("dial:", output, "nothing is dialled");
        Assert.DoesNotContain("peer.listening", callee.Log);
        var device = (await lab.Server.Admin.ListDevicesAsync(Cancel)).Single(d => d.TerminalId == calleeAgent.TerminalId);
        Assert.AreEqual(0, device.LocalPort, "registered without a listening port");
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task TimeLimitedSessionStopsAtExpiryOnBothSides()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel, new SteppedClock());
        var (caller, _, grant, channel, calleeChannel, transfer) = await StartMinuteLongTransferAsync(lab, askForExtensions: false);
        var startedAt = lab.Clock!.GetUtcNow().ToUnixTimeSeconds();
        Assert.IsTrue(Math.Abs(grant.SessionEndsAt - (startedAt + 60)) <= 1, $"ends at {grant.SessionEndsAt}, started at {startedAt}");

        lab.Clock.Step(TimeSpan.FromSeconds(61));

        Assert.IsTrue(transfer.Completion.Wait(ConnectionLab.WaitLimit, Cancel), "the caller's transfer stopped at expiry");
        Assert.AreEqual(SessionEndReasons.TimeLimit, channel.Session.EndReason);
        Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => calleeChannel.Session.EndReason is not null, Cancel), "the callee's session ended");
        Assert.AreEqual(SessionEndReasons.TimeLimit, calleeChannel.Session.EndReason);
        Assert.IsTrue(caller.Agent!.Sessions.ReportEnd(channel.Session), caller.Log);
        var session = await EndedSessionAsync(lab, s => s.SessionId == grant.SessionId && s.CallerNotice is not null && s.CalleeNotice is not null);
        Assert.AreEqual(SessionStates.Expired, session.State);
        Assert.AreEqual(SessionEndReasons.TimeLimit, session.CallerNotice!.Reason);
        Assert.AreEqual(SessionEndReasons.TimeLimit, session.CalleeNotice!.Reason);
        Assert.AreEqual(session.CallerNotice.BytesSent, session.CalleeNotice.BytesReceived, "no byte was lost or sent past the end");
        Assert.AreEqual(session.CalleeNotice.BytesSent, session.CallerNotice.BytesReceived);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task TimeExtensionCarriesTheTransferPastTheFirstExpiryAndARefusedOneEndsIt()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel, new SteppedClock());
        var (caller, callee, grant, channel, calleeChannel, transfer) = await StartMinuteLongTransferAsync(lab, askForExtensions: true, callerMaxSeconds: 120);

        // Past 70 % of the 60 s lifetime: the caller asks, the policy allows 120 s in all.
        lab.Clock!.Step(TimeSpan.FromSeconds(45));
        Assert.IsTrue(
            await ConnectionLab.EventuallyAsync(() => channel.Session.EndsAt > grant.SessionEndsAt && calleeChannel.Session.EndsAt == channel.Session.EndsAt, Cancel),
            $"both sides hold the extended end; caller {channel.Session.EndsAt}, callee {calleeChannel.Session.EndsAt}");

        Assert.IsTrue(
            await ConnectionLab.EventuallyAsync(() => callee.Log.Contains("] peer.limits", StringComparison.Ordinal), Cancel),
            "the callee read the caller's Limits frame");
        AssertCalleeTookTheForwardedLimits(callee.Log);

        // Past the first expiry, the transfer goes on.
        lab.Clock.Step(TimeSpan.FromSeconds(20));
        Assert.IsTrue(transfer.WaitPast(transfer.Received, ConnectionLab.WaitLimit), "bytes move after the first expiry");
        Assert.IsNull(channel.Session.EndReason);

        // Past 70 % of the extended lifetime: the policy's last seconds, if any are left, then a refusal.
        lab.Clock.Step(TimeSpan.FromSeconds(25));
        Assert.IsTrue(
            await ConnectionLab.EventuallyAsync(() => caller.Log.Contains("session.extension-refused", StringComparison.Ordinal), Cancel),
            "an extension past the policy was refused");
        Assert.IsNull(channel.Session.EndReason, "a refusal keeps the limits it has");
        var finalEnd = channel.Session.EndsAt;
        Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => calleeChannel.Session.EndsAt == finalEnd, Cancel), "the callee holds the same end");
        lab.Clock.Step(TimeSpan.FromSeconds(finalEnd - lab.Clock.GetUtcNow().ToUnixTimeSeconds() + 1));

        Assert.IsTrue(transfer.Completion.Wait(ConnectionLab.WaitLimit, Cancel), "the caller's transfer stopped at the extended expiry");
        Assert.AreEqual(SessionEndReasons.ExtensionRefused, channel.Session.EndReason);
        Assert.IsTrue(caller.Agent!.Sessions.ReportEnd(channel.Session), caller.Log);
        var session = await EndedSessionAsync(lab, s => s.SessionId == grant.SessionId && s.CallerNotice is not null && s.CalleeNotice is not null);
        Assert.AreEqual(finalEnd, session.EndsAt, "the record carries the extended end");
        Assert.AreEqual(session.StartedAt + 120, finalEnd, "the policy's maximum total");
        Assert.AreEqual(SessionStates.Expired, session.State);
        Assert.AreEqual(SessionEndReasons.ExtensionRefused, session.CallerNotice!.Reason);
        CollectionAssert.Contains(new[] { SessionEndReasons.TimeLimit, SessionEndReasons.ExtensionRefused }, session.CalleeNotice!.Reason);
    }

    /// <summary>
    /// A caller echoing through a callee, without end, in a session of 60 s on the lab's clock; with
    /// <paramref name="askForExtensions"/> the caller asks for more at 70 %, within <paramref name="callerMaxSeconds"/>.
    /// </summary>
    private async Task<(LabDevice Caller, LabDevice Callee, ConnectionGrant Grant, PeerChannel Channel, PeerChannel CalleeChannel, EchoLoop Transfer)> StartMinuteLongTransferAsync(
        ConnectionLab lab, bool askForExtensions, long callerMaxSeconds = 0)
    {
        var (caller, callee) = await StartPairAsync(lab);
        var callerAgent = caller.Agent!;
        await lab.Server.Admin.SetSessionPolicyAsync(callerAgent.TerminalId!, callerMaxSeconds, 0, Cancel);
        var grant = callerAgent.Connections.Request(new ConnectionRequest { CalleeTerminalId = callee.Agent!.TerminalId, TimeLimitSeconds = 60 });
        var channel = callerAgent.Dialer.Dial(grant, callerAgent.TerminalId!);
        channel.Session.AsksForExtensions = askForExtensions;
        var transfer = EchoLoop.Start(channel, askForExtensions ? callerAgent.Extender : null);
        Assert.IsTrue(transfer.WaitRunning(ConnectionLab.WaitLimit, Cancel), "the transfer is running");
        var calleeChannel = callee.Agent.RunningSessions.Find(grant.SessionId);
        Assert.IsNotNull(calleeChannel, "the callee runs the session");
        return (caller, callee, grant, channel, calleeChannel, transfer);
    }

    /// <summary>
    /// The caller forwarded the server's tag with its extension, and the callee verified it: every Limits
    /// frame it read was applied (or already heard by trigger), none refused (F24).
    /// </summary>
    private static void AssertCalleeTookTheForwardedLimits(string calleeLog)
    {
        Assert.IsTrue(
            calleeLog.Contains("] peer.limits session", StringComparison.Ordinal) || calleeLog.Contains("] peer.limits-known session", StringComparison.Ordinal),
            "the callee read a Limits frame from the caller: " + calleeLog);
        Assert.DoesNotContain("peer.limits-refused", calleeLog);
    }

    /// <summary>A listening callee that permits a caller, both running on the lab's clock.</summary>
    private async Task<(LabDevice Caller, LabDevice Callee)> StartPairAsync(ConnectionLab lab)
    {
        var (callee, caller, _) = await PermittedPairAsync(lab);
        await caller.StartAsync(Cancel);
        return (caller, callee);
    }

    /// <summary>
    /// A listening callee (with <paramref name="calleeConfig"/>), running, that permits a caller; the
    /// caller is enrolled but not started (the CLI drives it).
    /// </summary>
    private async Task<(LabDevice Callee, LabDevice Caller, string CallerId)> PermittedPairAsync(ConnectionLab lab, string calleeConfig = "", string? calleeName = null)
    {
        var callee = await lab.AddDeviceAsync(listens: true, Cancel, calleeConfig, calleeName);
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);
        await callee.StartAsync(Cancel);
        var callerId = await caller.TerminalIdAsync();
        Assert.AreEqual(Cli.Ok, Cli.Run(["permit", "add", "terminal:" + callerId, .. callee.CliOptions], out var permitted), permitted);
        return (callee, caller, callerId);
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
