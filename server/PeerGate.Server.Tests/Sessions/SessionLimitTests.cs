using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Sessions;

/// <summary>Session issue (F23): limits asked by the caller, capped by policy, sent to both sides and listed.</summary>
[TestClass]
public sealed class SessionLimitTests
{
    [TestMethod]
    public async Task AskedLimitsReachTheGrantTheOfferAndTheRecord()
    {
        await using var server = await TestServer.StartAsync();
        var start = server.Time!.GetUtcNow().ToUnixTimeSeconds();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { TimeLimitSeconds = 120, ByteLimit = 1_048_576 });

        Assert.AreEqual(start + 120, pair.Grant.SessionEndsAt);
        Assert.AreEqual(1_048_576, pair.Grant.SessionByteLimit);
        Assert.AreEqual(pair.Grant.SessionEndsAt, pair.Offer.SessionEndsAt);
        Assert.AreEqual(pair.Grant.SessionByteLimit, pair.Offer.SessionByteLimit);

        var listed = (await TestDevice.ListSessionsAsync(pair.Http, pair.Callee.Certificate)).Single();
        Assert.AreEqual(pair.SessionId, listed.SessionId);
        Assert.AreEqual(pair.Caller.TerminalId, listed.CallerTerminalId);
        Assert.AreEqual(pair.Callee.TerminalId, listed.CalleeTerminalId);
        Assert.AreEqual(SessionStates.Active, listed.State);
        Assert.AreEqual(start, listed.StartedAt);
        Assert.AreEqual(start + 120, listed.EndsAt);
        Assert.AreEqual(1_048_576, listed.ByteLimit);
        Assert.IsNull(listed.EndedBy);
        Assert.AreEqual(pair.SessionId, (await TestDevice.ListSessionsAsync(pair.Http, pair.Caller.Certificate)).Single().SessionId);
    }

    [TestMethod]
    public async Task NoTimeLimitGetsTheDefaultAndNoByteLimitStaysUnlimited()
    {
        await using var server = await TestServer.StartAsync();
        var start = server.Time!.GetUtcNow().ToUnixTimeSeconds();
        await using var pair = await SessionPair.ConnectAsync(server);

        Assert.AreEqual(start + 600, pair.Grant.SessionEndsAt);
        Assert.AreEqual(0, pair.Grant.SessionByteLimit);
    }

    [TestMethod]
    public async Task ServerPolicyCapsWhatTheCallerAsks()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = o => { o.MaxSessionSeconds = 300; o.MaxSessionBytes = 4096; } });
        var start = server.Time!.GetUtcNow().ToUnixTimeSeconds();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { TimeLimitSeconds = 86_400 });

        Assert.AreEqual(start + 300, pair.Grant.SessionEndsAt);
        Assert.AreEqual(4096, pair.Grant.SessionByteLimit, "no byte limit asked, but the server caps every session");
        Assert.AreEqual(4096, pair.Offer.SessionByteLimit);
    }

    [TestMethod]
    public async Task NegativeLimitsAreRefused()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await Connections.ConnectionQueryTests.PairAsync(server, http, permit: true);

        using var time = await TestDevice.RequestConnectionAsync(http, caller.Certificate, new ConnectionRequest { CalleeTerminalId = callee.TerminalId, TimeLimitSeconds = -1 });
        using var bytes = await TestDevice.RequestConnectionAsync(http, caller.Certificate, new ConnectionRequest { CalleeTerminalId = callee.TerminalId, ByteLimit = -1 });

        await ProblemAssert.IsProblemAsync(time, System.Net.HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        await ProblemAssert.IsProblemAsync(bytes, System.Net.HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM sessions"));
    }

    [TestMethod]
    public async Task ActiveSessionPastItsEndIsExpiredWhenNextRead()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { TimeLimitSeconds = 60 });

        server.Time!.Advance(TimeSpan.FromSeconds(59));
        Assert.AreEqual(SessionStates.Active, (await TestDevice.ListSessionsAsync(pair.Http, pair.Caller.Certificate)).Single().State);
        server.Time.Advance(TimeSpan.FromSeconds(1));
        var expired = (await TestDevice.ListSessionsAsync(pair.Http, pair.Caller.Certificate)).Single();

        Assert.AreEqual(SessionStates.Expired, expired.State);
        Assert.AreEqual("expiry", expired.EndedBy);
        var summary = (await server.Admin.ListSessionsAsync()).Single();
        Assert.AreEqual(SessionStates.Expired, summary.State);
        Assert.AreEqual(pair.Grant.SessionEndsAt, summary.EndedAt);
    }

    [TestMethod]
    public async Task ActiveSessionPastItsEndIsExpiredWhenTheOperatorListsItFirst()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { TimeLimitSeconds = 60 });

        Assert.AreEqual(SessionStates.Active, (await server.Admin.ListSessionsAsync()).Single().State);
        server.Time!.Advance(TimeSpan.FromSeconds(60));
        var summary = (await server.Admin.ListSessionsAsync()).Single();

        Assert.AreEqual(SessionStates.Expired, summary.State);
        Assert.AreEqual("expiry", summary.EndedBy);
        Assert.AreEqual(pair.Grant.SessionEndsAt, summary.EndedAt);
    }
}
