using PeerGate.HardwareTests.Rig;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.VirtualDevice.Commands;

namespace PeerGate.HardwareTests.Scenarios;

/// <summary>
/// The session scenarios (F16-F26) with the board as callee: a virtual caller on the rig dials it over
/// Wi-Fi, the board's echo answers through its own AES and HMAC, and the board reports its end
/// notice to the server, counted by its own session.
/// </summary>
[TestClass]
public sealed class BoardSessionTests
{
    private static readonly TimeSpan NoticeTimeout = TimeSpan.FromSeconds(60);

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Cancel => TestContext.CancellationToken;

    [TestMethod]
    public async Task BoardEchoesAPermittedCallerAndBothSidesReportTheEnd()
    {
        await using RegisteredBoard rig = await RegisteredBoard.StartAsync(Cancel);
        using RigCaller caller = await RigCaller.EnrollAsync(rig, Cancel);
        DeviceSummary board = await rig.SummaryAsync(Cancel);

        int exit = caller.Connect([board.TerminalId!, "--message", "hello, board"], out string output);

        Assert.AreEqual(Cli.Ok, exit, output);
        Assert.Contains("bytes match", output);
        SessionSummary session = await NoticedSessionAsync(rig, board.TerminalId!);
        Assert.AreEqual(SessionEndReasons.Completed, session.CalleeNotice!.Reason);
        Assert.AreEqual(12, session.CalleeNotice.BytesReceived);
        Assert.AreEqual(12, session.CalleeNotice.BytesSent);
    }

    [TestMethod]
    public async Task BoardStopsAtExactlyTheByteLimit()
    {
        await using RegisteredBoard rig = await RegisteredBoard.StartAsync(Cancel);
        using RigCaller caller = await RigCaller.EnrollAsync(rig, Cancel);
        DeviceSummary board = await rig.SummaryAsync(Cancel);
        await rig.Server.Admin.SetSessionPolicyAsync(caller.TerminalId, 0, 6000, Cancel);
        string file = caller.File("payload.bin");
        await File.WriteAllBytesAsync(file, new byte[10_000], Cancel);

        int exit = caller.Connect([board.TerminalId!, "--file", file, "--byte-limit", "6000"], out string output);

        Assert.AreEqual(Cli.Failure, exit, output);
        Assert.Contains($"session over ({SessionEndReasons.ExtensionRefused})", output);
        SessionSummary session = await NoticedSessionAsync(rig, board.TerminalId!);
        CollectionAssert.Contains(new[] { SessionEndReasons.ByteLimit, SessionEndReasons.ExtensionRefused }, session.CalleeNotice!.Reason);
        Assert.AreEqual(6000, session.CalleeNotice.BytesSent + session.CalleeNotice.BytesReceived, "the board counted to the limit and not a byte further");
    }

    [TestMethod]
    public async Task OperatorTerminationClosesTheBoardSide()
    {
        await using RegisteredBoard rig = await RegisteredBoard.StartAsync(Cancel);
        using RigCaller caller = await RigCaller.EnrollAsync(rig, Cancel);
        DeviceSummary board = await rig.SummaryAsync(Cancel);
        string file = caller.File("payload.bin");

        // Far more than the board echoes in the time the test takes to step in.
        await File.WriteAllBytesAsync(file, new byte[ConnectCommand.MaxFileBytes], Cancel);
        string output = "";
        Task<int> transfer = Task.Factory.StartNew(() => caller.Connect([board.TerminalId!, "--file", file], out output), TaskCreationOptions.LongRunning);
        Assert.IsNotNull(rig.Console.WaitForLine(l => l.StartsWith("peer.accepted", StringComparison.Ordinal), NoticeTimeout), "the board accepted no session");
        SessionSummary running = (await rig.Server.Admin.ListSessionsAsync(cancellationToken: Cancel)).First(s => s.Callee == board.TerminalId);

        await rig.Server.Admin.TerminateSessionAsync(running.SessionId, Cancel);

        Assert.IsTrue(transfer.Wait(NoticeTimeout, Cancel), "the caller's transfer did not end");
        Assert.AreEqual(Cli.Failure, transfer.Result, output);
        SessionSummary session = await NoticedSessionAsync(rig, board.TerminalId!);
        Assert.AreEqual(SessionStates.Terminated, session.State);
        Assert.AreEqual("operator", session.EndedBy);
        Assert.AreEqual(SessionEndReasons.Terminated, session.CalleeNotice!.Reason);
    }

    /// <summary>The board's newest session once the board's end notice is in, within <see cref="NoticeTimeout"/>.</summary>
    private async Task<SessionSummary> NoticedSessionAsync(RegisteredBoard rig, string boardTerminalId)
    {
        DateTime deadline = DateTime.UtcNow + NoticeTimeout;
        while (DateTime.UtcNow < deadline)
        {
            SessionSummary? session = (await rig.Server.Admin.ListSessionsAsync(cancellationToken: Cancel))
                .FirstOrDefault(s => s.Callee == boardTerminalId && s.CalleeNotice is not null);
            if (session is not null)
            {
                return session;
            }

            await Task.Delay(250, Cancel);
        }

        Assert.Fail($"the board sent no end notice within {NoticeTimeout.TotalSeconds} s");
        return null!;
    }
}
