using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Server.Testing;
using PeerGate.Server.Tests.Sessions;

namespace PeerGate.Server.Tests.Triggers;

/// <summary>
/// Each device's trigger queue is bounded (F21): triggers that say everything the one before said
/// replace it, and a full queue refuses more with trigger_queue_full instead of dropping anything.
/// </summary>
[TestClass]
public sealed class TriggerQueueBoundTests
{
    [TestMethod]
    public async Task SuccessiveLimitsOfOneSessionKeepOneTriggerForAnAwayPeer()
    {
        // More extensions than the default write limit allows in a burst: this measures the queue alone.
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = o => o.DeviceWritesPerMinute = 0 });
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { ByteLimit = 1000 });
        await pair.CalleeLine.DisposeAsync();
        var handled = pair.CalleeLine.Cursor;

        for (var i = 1; i <= 300; i++)
        {
            using var response = await TestDevice.ExtendSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 0, 1);
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        Assert.AreEqual(1, LimitsQueuedFor(server, pair.Callee.TerminalId));
        var delivered = await TestDevice.PollAsync(pair.Http, pair.Callee.Certificate, handled);
        var limits = delivered.Single(t => t.Kind == TriggerKinds.SessionLimits);
        Assert.AreEqual(1300, limits.SessionByteLimit, "the one left is the newest");
    }

    [TestMethod]
    public async Task AReplacedTriggerIsNeitherHandledTwiceNorMissed()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { ByteLimit = 1000 });
        await pair.CalleeLine.DisposeAsync();
        var handled = pair.CalleeLine.Cursor;

        using (await TestDevice.ExtendSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 0, 100))
        {
        }

        // The device receives the first limits but has not acknowledged them when the next ones replace them.
        var first = (await TestDevice.PollAsync(pair.Http, pair.Callee.Certificate, handled)).Single(t => t.Kind == TriggerKinds.SessionLimits);
        using (await TestDevice.ExtendSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 0, 100))
        {
        }

        // Handled the first: only the second follows. Lost the first (crash before saving its cursor): only the second, once.
        var afterFirst = await TestDevice.PollAsync(pair.Http, pair.Callee.Certificate, first.Seq);
        var afterCrash = await TestDevice.PollAsync(pair.Http, pair.Callee.Certificate, handled);

        Assert.AreEqual(1100, first.SessionByteLimit);
        Assert.AreEqual(1200, afterFirst.Single().SessionByteLimit);
        Assert.IsGreaterThan(first.Seq, afterFirst.Single().Seq, "the replacement has a new number");
        Assert.AreEqual(afterFirst.Single().Seq, afterCrash.Single(t => t.Kind == TriggerKinds.SessionLimits).Seq);
        Assert.AreEqual(1, afterCrash.Count(t => t.Kind == TriggerKinds.SessionLimits));
    }

    [TestMethod]
    public async Task SessionEndReplacesTheLimitsOfTheSameSession()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { ByteLimit = 1000 });
        await pair.CalleeLine.DisposeAsync();
        using (await TestDevice.ExtendSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 0, 100))
        {
        }

        await server.Admin.TerminateSessionAsync(pair.SessionId);

        var kinds = (await TestDevice.PollAsync(pair.Http, pair.Callee.Certificate, pair.CalleeLine.Cursor)).Select(t => t.Kind).ToArray();
        CollectionAssert.AreEqual(new[] { TriggerKinds.SessionEnd }, kinds);
    }

    [TestMethod]
    public async Task AFullQueueRefusesWhatWouldGrowItButNotAReplacementOrAnEnd()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { ByteLimit = 1000 });
        var sessions = new List<string> { pair.SessionId };
        for (var i = 0; i < 2; i++)
        {
            using var response = await TestDevice.RequestConnectionAsync(pair.Http, pair.Caller.Certificate, new ConnectionRequest { CalleeTerminalId = pair.Callee.TerminalId, ByteLimit = 1000 });
            sessions.Add((await TestDevice.ReadAsync<ConnectionGrant>(response)).SessionId);
            await Eventually.Within(pair.CalleeLine.Offers.ReadAsync().AsTask());
        }

        await pair.CalleeLine.DisposeAsync();
        using (var first = await TestDevice.ExtendSessionAsync(pair.Http, pair.Caller.Certificate, sessions[0], 0, 1))
        {
            Assert.AreEqual(HttpStatusCode.OK, first.StatusCode);
        }

        // A poll acknowledges the offers the device handled (its last poll may still be on its way); the limits stay.
        Assert.AreEqual(TriggerKinds.SessionLimits, (await TestDevice.PollAsync(pair.Http, pair.Callee.Certificate, pair.CalleeLine.Cursor)).Single().Kind);
        const long queued = 1;
        Assert.AreEqual(queued, TriggersQueuedFor(server, pair.Callee.TerminalId));
        server.Services.GetRequiredService<ServerOptions>().MaxQueuedTriggersPerDevice = (int)queued + 1;
        using (var second = await TestDevice.ExtendSessionAsync(pair.Http, pair.Caller.Certificate, sessions[1], 0, 1))
        {
            Assert.AreEqual(HttpStatusCode.OK, second.StatusCode);
        }

        using var refused = await TestDevice.ExtendSessionAsync(pair.Http, pair.Caller.Certificate, sessions[2], 0, 1);
        using var replacing = await TestDevice.ExtendSessionAsync(pair.Http, pair.Caller.Certificate, sessions[0], 0, 1);

        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.ServiceUnavailable, ErrorCodes.TriggerQueueFull);
        Assert.AreEqual(1000, Db.Count(server, "SELECT byte_limit FROM sessions WHERE session_id = @s", ("@s", sessions[2])), "the refused extension changed nothing");
        Assert.AreEqual(HttpStatusCode.OK, replacing.StatusCode, "a replacement does not grow the queue");
        Assert.AreEqual(queued + 1, TriggersQueuedFor(server, pair.Callee.TerminalId));

        // The operator's end always reaches the device, full queue or not.
        await server.Admin.TerminateSessionAsync(sessions[2]);
        var delivered = await TestDevice.PollAsync(pair.Http, pair.Callee.Certificate, pair.CalleeLine.Cursor);
        Assert.AreEqual(sessions[2], delivered.Single(t => t.Kind == TriggerKinds.SessionEnd).SessionId);
        Assert.AreEqual(1002, delivered.Single(t => t.Kind == TriggerKinds.SessionLimits && t.SessionId == sessions[0]).SessionByteLimit);
    }

    private static long LimitsQueuedFor(TestServer server, string terminalId) =>
        Db.Count(server, "SELECT count(*) FROM triggers WHERE terminal_id = @t AND kind = 'session-limits'", ("@t", terminalId));

    private static long TriggersQueuedFor(TestServer server, string terminalId) =>
        Db.Count(server, "SELECT count(*) FROM triggers WHERE terminal_id = @t", ("@t", terminalId));
}
