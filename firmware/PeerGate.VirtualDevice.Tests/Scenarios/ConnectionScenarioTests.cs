using System.Diagnostics;
using System.Security.Cryptography;
using PeerGate.Device;
using PeerGate.Device.Api;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;
using PeerGate.VirtualDevice.Adapters;
using PeerGate.VirtualDevice.Commands;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Scenarios;

/// <summary>
/// Mediated connections between real virtual devices through a real server (F14, F16-F20): the
/// permitted caller gets through and its bytes come back intact; every denial comes from its real cause.
/// </summary>
[TestClass]
public sealed class ConnectionScenarioTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Cancel => TestContext.CancellationToken;

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task PermittedCallerSendsAMessageAndAFileThatComeBackIntact()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var callee = await lab.AddDeviceAsync(listens: true, Cancel);
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);
        var calleeAgent = await callee.StartAsync(Cancel);
        var callerId = await caller.TerminalIdAsync();
        Assert.AreEqual(0, Cli.Run(["permit", "add", "terminal:" + callerId, .. callee.CliOptions], out var permitted), permitted);
        Assert.Contains("complete: 1 entries", permitted);

        var exit = Cli.Run(["connect", calleeAgent.TerminalId!, "--message", "hello, callee", .. caller.CliOptions], out var message);

        Assert.AreEqual(Cli.Ok, exit, message + callee.Log);
        Assert.Contains($"authenticate: terminal {callerId}", message);
        Assert.Contains($"query: {calleeAgent.TerminalId}", message);
        Assert.Contains($"callee address 127.0.0.1:{callee.Config.ListenPort}", message);
        Assert.Contains("handshake: accepted", message);
        Assert.Contains("sent 13 bytes", message);
        Assert.Contains("received 13 bytes", message);
        Assert.Contains("bytes match", message);

        // The callee frees its one session slot when its side of the channel has closed, a moment
        // after the caller's command returns; until then it rightly answers Busy.
        Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => calleeAgent.Load.ActiveSessions == 0, Cancel), "the first session ends when the caller closes");

        var file = caller.Device.File("payload.bin");
        var seed = Random.Shared.Next();
        Console.WriteLine($"random seed: {seed}");
        var content = new byte[100_000];
        new Random(seed).NextBytes(content);
        await File.WriteAllBytesAsync(file, content, Cancel);

        exit = Cli.Run(["connect", calleeAgent.TerminalId!, "--file", file, .. caller.CliOptions], out var sent);

        Assert.AreEqual(Cli.Ok, exit, sent + callee.Log);
        Assert.Contains("sent 100000 bytes", sent);
        Assert.Contains("received 100000 bytes", sent);
        Assert.Contains("bytes match", sent);
        Assert.Contains("peer.received", callee.Log);
        Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => calleeAgent.Load.ActiveSessions == 0, Cancel), "sessions end when the caller closes");
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task FullConnectionLeavesNoPasswordKeyOrCertificateInTheLogs()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var callee = await lab.AddDeviceAsync(listens: true, Cancel);
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);
        var calleeAgent = await callee.StartAsync(Cancel);
        var callerAgent = caller.Device.Boot(caller.Config, out _);
        Assert.IsTrue(callerAgent.AuthenticateOnce(), caller.Log);
        calleeAgent.Permits.Apply(new PermitRequest { Operations = [new PermitOperation { Op = PermitOps.Add, Entries = [new PermitEntry { Kind = PermitKinds.Terminal, Value = callerAgent.TerminalId }] }] });

        var grant = callerAgent.Connections.Request(calleeAgent.TerminalId!, 0);
        var channel = callerAgent.Dialer.Dial(grant, callerAgent.TerminalId!);
        var bytes = RandomNumberGenerator.GetBytes(5000);
        channel.Send(bytes, 0, bytes.Length);
        var echo = new byte[bytes.Length];
        var received = 0;
        while (received < echo.Length)
        {
            var n = channel.Receive(echo, received, echo.Length - received, 10_000);
            Assert.IsTrue(n > 0, $"echo stopped at {received} bytes: {channel.CloseReason}");
            received += n;
        }

        channel.Close(CloseReasons.Finished);
        CollectionAssert.AreEqual(bytes, echo);
        Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => callee.Log.Contains("peer.session-ended", StringComparison.Ordinal), Cancel), callee.Log);

        var logs = callee.Log + caller.Log;
        string[] secrets =
        [
            grant.Password,
            grant.Key,
            Convert.ToHexString(Convert.FromBase64String(grant.Password)),
            Convert.ToHexString(Convert.FromBase64String(grant.Key)),
            calleeAgent.Certificate!.Certificate,
            callerAgent.Certificate!.Certificate,
        ];
        foreach (var secret in secrets)
        {
            Assert.IsFalse(logs.Contains(secret, StringComparison.OrdinalIgnoreCase), "a secret reached a device log");
        }

        Assert.Contains("connect.granted", caller.Log);
        Assert.Contains("trigger.session-offer", callee.Log);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task CallerThatIsNotPermittedLearnsNothingAndTheCalleeIsNeverAsked()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var callee = await lab.AddDeviceAsync(listens: true, Cancel);
        var stranger = await lab.AddDeviceAsync(listens: false, Cancel);
        var calleeAgent = await callee.StartAsync(Cancel);

        var exit = Cli.Run(["connect", calleeAgent.TerminalId!, "--message", "let me in", .. stranger.CliOptions], out var denied);

        Assert.AreEqual(Cli.Failure, exit);
        Assert.Contains("denied: permission_denied", denied);
        Assert.DoesNotContain("grant:", denied);
        Assert.DoesNotContain($":{callee.Config.ListenPort}", denied + stranger.Log, "no address of the callee");

        // With uniform denial the stranger cannot even tell the callee exists.
        Assert.AreEqual(0, Cli.Run(["permit", "policy", "--uniform-denial", "on", .. callee.CliOptions], out var policy), policy);
        Cli.Run(["connect", calleeAgent.TerminalId!, "--message", "let me in", .. stranger.CliOptions], out var uniform);
        Assert.Contains("denied: callee_not_found", uniform);

        Assert.AreEqual(0, calleeAgent.Poller.Cursor, "no trigger ever reached the callee");
        Assert.DoesNotContain("trigger.status-query", callee.Log);
        Assert.DoesNotContain("trigger.session-offer", callee.Log);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task UnknownCalleeIsNotFound()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);

        var exit = Cli.Run(["connect", "T-NOSUCHTERMINAL", "--message", "anyone?", .. caller.CliOptions], out var output);

        Assert.AreEqual(Cli.Failure, exit);
        Assert.Contains("denied: callee_not_found", output);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task CalleeThatWentOfflineIsNotConnected()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var (callee, callerAgent) = await PermittedPairAsync(lab);
        var calleeId = callee.Agent!.TerminalId!;
        callee.Stop();

        // Once its last poll has ended and the grace is over, the server knows the callee is gone.
        string? code = null;
        Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => (code = DenialOf(() => callerAgent.Connections.Request(calleeId, 0))) == ErrorCodes.CalleeNotConnected, Cancel), code);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task CalleeForcedBusyIsBusyWithReasonAndRetryAfter()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var callee = await lab.AddDeviceAsync(listens: true, Cancel);
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);
        var calleeAgent = await callee.StartAsync(Cancel, forceBusy: true);
        var callerId = await caller.TerminalIdAsync();
        calleeAgent.Permits.Apply(new PermitRequest { Operations = [new PermitOperation { Op = PermitOps.Add, Entries = [new PermitEntry { Kind = PermitKinds.Terminal, Value = callerId }] }] });

        var exit = Cli.Run(["connect", calleeAgent.TerminalId!, "--message", "busy?", .. caller.CliOptions], out var output);

        Assert.AreEqual(Cli.Failure, exit);
        Assert.Contains("denied: callee_busy (reason forced, retry after 60 s)", output);
        Assert.Contains("trigger.status-query", callee.Log);
        Assert.DoesNotContain("trigger.session-offer", callee.Log);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task ForceBusyFileTurnsBusyOnAndOffWhileTheDeviceRuns()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var (callee, callerAgent) = await PermittedPairAsync(lab);
        var calleeId = callee.Agent!.TerminalId!;
        var flag = Path.Combine(callee.Device.StateFolder, ProcessLoadSource.ForceBusyFileName);

        await File.WriteAllTextAsync(flag, "", Cancel);
        var busy = Assert.Throws<ApiException>(() => callerAgent.Connections.Request(calleeId, 0));
        Assert.AreEqual(ErrorCodes.CalleeBusy, busy.Code);
        Assert.AreEqual(BusyReasons.Forced, busy.Reason);
        Assert.IsTrue(busy.RetryAfterSeconds > 0);

        File.Delete(flag);
        var grant = callerAgent.Connections.Request(calleeId, 0);
        Assert.AreEqual(calleeId, grant.CalleeTerminalId);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task CalleeThatNeverAnswersTheStatusQueryIsUnreachableWithinTheWait()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var (callee, callerAgent) = await PermittedPairAsync(lab, answerStatusQueries: false);

        var clock = Stopwatch.StartNew();
        var code = DenialOf(() => callerAgent.Connections.Request(callee.Agent!.TerminalId!, 0));
        clock.Stop();

        Assert.AreEqual(ErrorCodes.CalleeUnreachable, code);
        Assert.IsTrue(clock.Elapsed < ConnectionLab.StatusQueryTimeout + TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.Contains("left unanswered", callee.Log);
    }

    /// <summary>A running callee that permits a caller, and the caller's authenticated agent.</summary>
    private async Task<(LabDevice Callee, DeviceAgent Caller)> PermittedPairAsync(ConnectionLab lab, bool answerStatusQueries = true)
    {
        var callee = await lab.AddDeviceAsync(listens: true, Cancel);
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);
        var calleeAgent = await callee.StartAsync(Cancel, answerStatusQueries: answerStatusQueries);
        var callerAgent = caller.Device.Boot(caller.Config, out _);
        Assert.IsTrue(callerAgent.AuthenticateOnce(), caller.Log);
        calleeAgent.Permits.Apply(new PermitRequest { Operations = [new PermitOperation { Op = PermitOps.Add, Entries = [new PermitEntry { Kind = PermitKinds.Terminal, Value = callerAgent.TerminalId }] }] });
        return (callee, callerAgent);
    }

    private static string? DenialOf(Action request)
    {
        try
        {
            request();
            return null;
        }
        catch (ApiException e)
        {
            return e.Code;
        }
    }
}
