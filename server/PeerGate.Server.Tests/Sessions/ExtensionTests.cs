using System.Net;
using PeerGate.Protocol;
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
}
