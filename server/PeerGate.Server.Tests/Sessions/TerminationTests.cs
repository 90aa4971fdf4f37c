using System.Net;
using PeerGate.Operator.Cli;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Sessions;

/// <summary>Forced termination (F26): the operator ends a session, both devices are told, the record says who.</summary>
[TestClass]
public sealed class TerminationTests
{
    [TestMethod]
    public async Task TerminateQueuesSessionEndToBothSidesAndRecordsTheOperator()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server);

        var terminated = await server.Admin.TerminateSessionAsync(pair.SessionId);
        var toCaller = await Eventually.Within(pair.CallerLine.SessionEvents.ReadAsync().AsTask());
        var toCallee = await Eventually.Within(pair.CalleeLine.SessionEvents.ReadAsync().AsTask());

        Assert.AreEqual(SessionStates.Terminated, terminated.State);
        Assert.AreEqual("operator", terminated.EndedBy);
        foreach (var trigger in new[] { toCaller, toCallee })
        {
            Assert.AreEqual(TriggerKinds.SessionEnd, trigger.Kind);
            Assert.AreEqual(pair.SessionId, trigger.SessionId);
        }

        Assert.AreEqual(pair.Callee.TerminalId, toCaller.PeerTerminalId);
        Assert.AreEqual(pair.Caller.TerminalId, toCallee.PeerTerminalId);

        // The devices then report; the record keeps the operator as the one who ended it.
        using (await TestDevice.EndSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 500, 400, SessionEndReasons.Terminated))
        using (await TestDevice.EndSessionAsync(pair.Http, pair.Callee.Certificate, pair.SessionId, 400, 500, SessionEndReasons.Terminated))
        {
        }

        var session = (await server.Admin.ListSessionsAsync()).Single();
        Assert.AreEqual("operator", session.EndedBy);
        Assert.AreEqual(SessionEndReasons.Terminated, session.CallerNotice!.Reason);
        Assert.AreEqual(500, session.CalleeNotice!.BytesReceived);
    }

    [TestMethod]
    public async Task SessionEndIsQueuedDurablyForADeviceThatIsAway()
    {
        await using var server = await TestServer.StartAsync();
        SessionPair pair;
        string calleeCertificate;
        await using (pair = await SessionPair.ConnectAsync(server))
        {
            calleeCertificate = pair.Callee.Certificate;
        }

        // Both devices are off the trigger channel: the end command waits in their queues.
        await server.Admin.TerminateSessionAsync(pair.SessionId);
        Assert.AreEqual(2, Db.Count(server, "SELECT count(*) FROM triggers WHERE kind = 'session-end'"));

        using var http = server.CreateClient();
        var delivered = await TestDevice.PollAsync(http, calleeCertificate, pair.CalleeLine.Cursor);
        Assert.AreEqual(pair.SessionId, delivered.Single(t => t.Kind == TriggerKinds.SessionEnd).SessionId);
    }

    [TestMethod]
    public async Task EndedAndUnknownSessionsCannotBeTerminated()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server);
        await server.Admin.TerminateSessionAsync(pair.SessionId);

        var again = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.TerminateSessionAsync(pair.SessionId));
        var unknown = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.TerminateSessionAsync("S0000000000000000"));

        Assert.AreEqual(ErrorCodes.SessionEnded, again.Code);
        Assert.AreEqual(ErrorCodes.SessionNotFound, unknown.Code);
        Assert.AreEqual((int)HttpStatusCode.NotFound, unknown.Status);
    }

    [TestMethod]
    public async Task OperatorListsAndTerminatesSessionsFromTheCommandLine()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { ByteLimit = 4096 });

        var done = await RunAsync(server, "terminate", pair.SessionId);
        using (await TestDevice.EndSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 2048, 1024, SessionEndReasons.Terminated))
        {
        }

        var listed = await RunAsync(server, "sessions");

        StringAssert.Contains(done, "terminated session " + pair.SessionId);
        var lines = listed.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        StringAssert.StartsWith(lines[0], "SESSION");
        StringAssert.Contains(lines[1], $"{pair.SessionId}  {pair.Caller.TerminalId}  {pair.Callee.TerminalId}  terminated");
        StringAssert.Contains(lines[1], "4096");
        StringAssert.Contains(lines[1], "operator");
        StringAssert.Contains(lines[1], "terminated 2048/1024");
    }

    private static async Task<string> RunAsync(TestServer server, params string[] args)
    {
        using var output = new StringWriter();
        await new Commands(server.Admin, output).RunAsync(Arguments.Parse(args));
        return output.ToString();
    }
}
