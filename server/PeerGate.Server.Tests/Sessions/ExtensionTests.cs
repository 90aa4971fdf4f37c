using System.Net;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Peer;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Sessions;

/// <summary>Extension (F24): granted within policy and announced to the other side, or refused with nothing changed.</summary>
[TestClass]
public sealed class ExtensionTests
{
    [TestMethod]
    public async Task GrantedExtensionAnswersNewLimitsAndTellsTheOtherSide()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { TimeLimitSeconds = 100, ByteLimit = 1000 });
        server.Time!.Advance(TimeSpan.FromSeconds(70));

        using var response = await TestDevice.ExtendSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 100, 1000);
        var limits = await TestDevice.ReadAsync<SessionLimits>(response);
        var announced = await Eventually.Within(pair.CalleeLine.SessionEvents.ReadAsync().AsTask());

        Assert.AreEqual(pair.SessionId, limits.SessionId);
        Assert.AreEqual(pair.Grant.SessionEndsAt + 100, limits.EndsAt);
        Assert.AreEqual(2000, limits.ByteLimit);
        Assert.AreEqual(TriggerKinds.SessionLimits, announced.Kind);
        Assert.AreEqual(pair.SessionId, announced.SessionId);
        Assert.AreEqual(limits.EndsAt, announced.SessionEndsAt);
        Assert.AreEqual(limits.ByteLimit, announced.SessionByteLimit);
        Assert.IsFalse(pair.CallerLine.SessionEvents.TryRead(out _), "the side that asked has its answer already");
        Assert.AreEqual(limits.EndsAt, (await TestDevice.ListSessionsAsync(pair.Http, pair.Callee.Certificate)).Single().EndsAt);
    }

    [TestMethod]
    public async Task GrantAndOfferCarryDifferentLimitsKeysAndTheAnswerIsTaggedForTheOtherSideOnly()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { TimeLimitSeconds = 100, ByteLimit = 1000 });
        var callerKey = Convert.FromBase64String(pair.Grant.LimitsKey);
        var calleeKey = Convert.FromBase64String(pair.Offer.LimitsKey);
        Assert.HasCount(LimitsTag.KeyLength, callerKey);
        Assert.HasCount(LimitsTag.KeyLength, calleeKey);
        CollectionAssert.AreNotEqual(callerKey, calleeKey, "each side has its own");
        Assert.AreNotEqual(pair.Grant.Key, pair.Grant.LimitsKey);
        var crypto = new HostPeerCrypto();

        // The caller extends: the tag is for the callee.
        using var byCaller = await TestDevice.ExtendSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 100, 1000);
        var forCallee = await TestDevice.ReadAsync<SessionLimits>(byCaller);
        var calleeTag = Convert.FromBase64String(forCallee.PeerLimitsTag);
        Assert.IsTrue(LimitsTag.Verify(crypto, calleeKey, pair.SessionId, forCallee.EndsAt, forCallee.ByteLimit, calleeTag, 0), "verifies under the callee's key");
        Assert.IsFalse(LimitsTag.Verify(crypto, callerKey, pair.SessionId, forCallee.EndsAt, forCallee.ByteLimit, calleeTag, 0), "not under the requester's own key");
        Assert.IsFalse(LimitsTag.Verify(crypto, calleeKey, pair.SessionId, forCallee.EndsAt, forCallee.ByteLimit + 1, calleeTag, 0), "for these limits only");
        var announced = await Eventually.Within(pair.CalleeLine.SessionEvents.ReadAsync().AsTask());
        Assert.IsNull(announced.LimitsKey, "the session-limits trigger carries no key");

        // The callee extends: the tag is for the caller.
        using var byCallee = await TestDevice.ExtendSessionAsync(pair.Http, pair.Callee.Certificate, pair.SessionId, 100, 1000);
        var forCaller = await TestDevice.ReadAsync<SessionLimits>(byCallee);
        var callerTag = Convert.FromBase64String(forCaller.PeerLimitsTag);
        Assert.IsTrue(LimitsTag.Verify(crypto, callerKey, pair.SessionId, forCaller.EndsAt, forCaller.ByteLimit, callerTag, 0), "verifies under the caller's key");
        Assert.IsFalse(LimitsTag.Verify(crypto, calleeKey, pair.SessionId, forCaller.EndsAt, forCaller.ByteLimit, callerTag, 0), "not under the requester's own key");
    }

    [TestMethod]
    public async Task AnEndedSessionForgetsItsLimitsKeys()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { TimeLimitSeconds = 100 });
        Assert.AreEqual(1L, KeysHeld(server, pair.SessionId));

        using var ended = await TestDevice.EndSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 0, 0, SessionEndReasons.Completed);

        Assert.AreEqual(HttpStatusCode.NoContent, ended.StatusCode);
        Assert.AreEqual(0L, KeysHeld(server, pair.SessionId));
    }

    [TestMethod]
    public async Task ExtensionStopsAtThePerDeviceMaximumThenIsRefused()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { TimeLimitSeconds = 100 });
        await server.Admin.SetSessionPolicyAsync(pair.Callee.TerminalId, maxSeconds: 150, maxBytes: 0);
        var startedAt = pair.Grant.SessionEndsAt - 100;

        using var partly = await TestDevice.ExtendSessionAsync(pair.Http, pair.Callee.Certificate, pair.SessionId, 100);
        Assert.AreEqual(startedAt + 150, (await TestDevice.ReadAsync<SessionLimits>(partly)).EndsAt);
        using var refused = await TestDevice.ExtendSessionAsync(pair.Http, pair.Callee.Certificate, pair.SessionId, 100);

        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden, ErrorCodes.ExtensionRefused);
        Assert.AreEqual(startedAt + 150, (await server.Admin.ListSessionsAsync()).Single().EndsAt);
        var toCaller = await Eventually.Within(pair.CallerLine.SessionEvents.ReadAsync().AsTask());
        Assert.AreEqual(startedAt + 150, toCaller.SessionEndsAt);
        StringAssert.Contains(await pair.Http.GetStringAsync("/metrics"), "peergate_triggers_queued_total{kind=\"session-limits\"} 1", "the refusal announced nothing");
    }

    [TestMethod]
    public async Task EndedOrExpiredSessionCannotBeExtended()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { TimeLimitSeconds = 60 });

        server.Time!.Advance(TimeSpan.FromSeconds(60));
        using var expired = await TestDevice.ExtendSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 60);
        using var empty = await TestDevice.ExtendSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 0);

        await ProblemAssert.IsProblemAsync(expired, HttpStatusCode.Conflict, ErrorCodes.SessionEnded);
        await ProblemAssert.IsProblemAsync(empty, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        Assert.AreEqual(pair.Grant.SessionEndsAt, (await server.Admin.ListSessionsAsync()).Single().EndsAt);
    }

    /// <summary>Rows of limits keys the database holds for the session, read from outside the server.</summary>
    private static long KeysHeld(TestServer server, string sessionId) =>
        Db.Count(server, "SELECT count(*) FROM session_limits_keys WHERE session_id = @s;", ("@s", sessionId));
}
