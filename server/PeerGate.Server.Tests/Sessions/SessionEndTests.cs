using System.Net;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Sessions;

/// <summary>End notices (F25): each side's bytes and reason are logged; the first one ends the session.</summary>
[TestClass]
public sealed class SessionEndTests
{
    [TestMethod]
    public async Task EndNoticesFromBothSidesAreLoggedWithBytesAndReasons()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { ByteLimit = 2048 });

        using (var first = await TestDevice.EndSessionAsync(pair.Http, pair.Callee.Certificate, pair.SessionId, 1024, 1024, SessionEndReasons.ByteLimit))
        {
            Assert.AreEqual(HttpStatusCode.NoContent, first.StatusCode);
        }

        server.Time!.Advance(TimeSpan.FromSeconds(2));
        using (var second = await TestDevice.EndSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 1000, 1024, SessionEndReasons.Error, ErrorCodes.FrameTampered))
        {
            Assert.AreEqual(HttpStatusCode.NoContent, second.StatusCode);
        }

        var session = (await server.Admin.ListSessionsAsync()).Single();
        Assert.AreEqual(SessionStates.Ended, session.State);
        Assert.AreEqual("callee", session.EndedBy, "the first notice ended it");
        Assert.AreEqual(new(1024, 1024, SessionEndReasons.ByteLimit, null, server.Time.GetUtcNow().ToUnixTimeSeconds() - 2), session.CalleeNotice);
        Assert.AreEqual(new(1000, 1024, SessionEndReasons.Error, ErrorCodes.FrameTampered, server.Time.GetUtcNow().ToUnixTimeSeconds()), session.CallerNotice);
        Assert.AreEqual("callee", (await TestDevice.ListSessionsAsync(pair.Http, pair.Caller.Certificate)).Single().EndedBy);
    }

    [TestMethod]
    public async Task RepeatedNoticeKeepsTheFirst()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server);

        using (await TestDevice.EndSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 10, 20, SessionEndReasons.Completed))
        using (var repeat = await TestDevice.EndSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 99, 99, SessionEndReasons.PeerLost))
        {
            Assert.AreEqual(HttpStatusCode.NoContent, repeat.StatusCode);
        }

        var notice = (await server.Admin.ListSessionsAsync()).Single().CallerNotice!;
        Assert.AreEqual(10, notice.BytesSent);
        Assert.AreEqual(SessionEndReasons.Completed, notice.Reason);
    }

    [TestMethod]
    public async Task OnlyTheTwoSidesMayReportAndBadNoticesChangeNothing()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server);
        var stranger = await (await Devices.EnrollAsync(server)).AuthenticateAsync(pair.Http);

        using var foreign = await TestDevice.EndSessionAsync(pair.Http, stranger.Certificate, pair.SessionId, 1, 1, SessionEndReasons.Completed);
        using var unknown = await TestDevice.EndSessionAsync(pair.Http, pair.Caller.Certificate, "S0000000000000000", 1, 1, SessionEndReasons.Completed);
        using var badReason = await TestDevice.EndSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 1, 1, "bored");
        using var negative = await TestDevice.EndSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, -1, 1, SessionEndReasons.Completed);
        using var noReason = await TestDevice.PostWithCertificateAsync(pair.Http, pair.Caller.Certificate, Routes.Sessions + pair.SessionId + Routes.SessionEndSuffix, new { BytesSent = 1 });
        using var extendForeign = await TestDevice.ExtendSessionAsync(pair.Http, stranger.Certificate, pair.SessionId, 60);

        await ProblemAssert.IsProblemAsync(foreign, HttpStatusCode.NotFound, ErrorCodes.SessionNotFound);
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, ErrorCodes.SessionNotFound);
        await ProblemAssert.IsProblemAsync(badReason, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        await ProblemAssert.IsProblemAsync(negative, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        await ProblemAssert.IsProblemAsync(noReason, HttpStatusCode.BadRequest, ErrorCodes.MissingField);
        await ProblemAssert.IsProblemAsync(extendForeign, HttpStatusCode.NotFound, ErrorCodes.SessionNotFound);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM session_notices"));
        Assert.AreEqual(SessionStates.Active, (await server.Admin.ListSessionsAsync()).Single().State);
        Assert.IsEmpty(await TestDevice.ListSessionsAsync(pair.Http, stranger.Certificate));
    }
}
