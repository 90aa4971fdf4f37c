using System.Net;
using PeerGate.Server.Tests.Operator;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Sessions;
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
    [DataRow("disable")]
    [DataRow("revoke")]
    [DataRow("revoke-group")]
    public async Task DeviceThatMayNoLongerConnectLosesItsActiveSessionsByPolicy(string action)
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server, calleeGroups: ["cell-7"]);
        await using var other = await SessionPair.ConnectAsync(server);
        var calleeDevice = (await server.Admin.ListDevicesAsync()).Single(d => d.TerminalId == pair.Callee.TerminalId).DeviceId;

        await (action switch
        {
            "disable" => server.Admin.DisableDeviceAsync(calleeDevice),
            "revoke" => server.Admin.RevokeDeviceAsync(calleeDevice),
            _ => server.Admin.RevokeGroupAsync("cell-7"),
        });

        // The caller still polls (its own certificate is fine) and gets the end command.
        var toCaller = await Eventually.Within(pair.CallerLine.SessionEvents.ReadAsync().AsTask());
        Assert.AreEqual(TriggerKinds.SessionEnd, toCaller.Kind);
        Assert.AreEqual(pair.SessionId, toCaller.SessionId);

        // The callee's poll is cut by the refusal, so the end command waits in its queue for when it may poll again.
        Trigger? toCallee = null;
        await Eventually.TrueAsync(
            () => pair.CalleeLine.SessionEvents.TryRead(out toCallee)
                || Db.Count(server, $"SELECT count(*) FROM triggers WHERE kind = 'session-end' AND terminal_id = '{pair.Callee.TerminalId}'") == 1,
            "the callee's session-end");
        Assert.IsTrue(toCallee is null || toCallee.SessionId == pair.SessionId);
        var sessions = await server.Admin.ListSessionsAsync();
        var ended = sessions.Single(s => s.SessionId == pair.SessionId);
        Assert.AreEqual(SessionStates.Terminated, ended.State);
        Assert.AreEqual(SessionStore.ByPolicy, ended.EndedBy);
        Assert.AreEqual(SessionStates.Active, sessions.Single(s => s.SessionId == other.SessionId).State, "other devices' sessions run on");
    }

    [TestMethod]
    public async Task EnablingADeviceEndsNothing()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server);
        var calleeDevice = (await server.Admin.ListDevicesAsync()).Single(d => d.TerminalId == pair.Callee.TerminalId).DeviceId;

        await server.Admin.EnableDeviceAsync(calleeDevice);

        Assert.AreEqual(SessionStates.Active, (await server.Admin.ListSessionsAsync()).Single().State);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM triggers WHERE kind = 'session-end'"));
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

    private static Task<string> RunAsync(TestServer server, params string[] args) => Op.RunAsync(server, args);
}
