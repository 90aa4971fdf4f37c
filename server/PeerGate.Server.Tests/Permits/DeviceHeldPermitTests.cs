using System.Net;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Permits;

/// <summary>Device-held permit lists (F15): the callee is asked at connection time and its lists decide; a deny wins.</summary>
[TestClass]
public sealed class DeviceHeldPermitTests
{
    [TestMethod]
    public async Task ListSentByTheCalleePermitsTheCaller()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http);
        Trigger? asked = null;
        await using var responder = new TriggerResponder(http, callee.Certificate)
        {
            PermitAnswer = query =>
            {
                asked = query;
                return Lists(query.Seq, permits: [TestDevice.Entry(PermitKinds.Name, "TERM-C")]);
            },
        };
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);

        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
        Assert.AreEqual(1, responder.PermitQueries);
        Assert.AreEqual(1, responder.StatusQueries);
        Assert.AreEqual(caller.TerminalId, asked!.PeerTerminalId);
        Assert.AreEqual("TERM-C", asked.PeerName);
        CollectionAssert.AreEqual(new[] { "lab" }, asked.PeerGroups);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM permits"), "the server's own table played no part");
    }

    [TestMethod]
    public async Task DenyEntryBeatsAPermitEntry()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http);
        await using var responder = new TriggerResponder(http, callee.Certificate)
        {
            PermitAnswer = query => Lists(query.Seq, permits: [TestDevice.Entry(PermitKinds.Group, "lab")], denies: [TestDevice.Entry(PermitKinds.Terminal, caller.TerminalId)]),
        };
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, ErrorCodes.PermissionDenied);
        Assert.AreEqual(0, responder.StatusQueries);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM sessions"));
        await AssertLastAttemptAsync(server, "permit_query", ErrorCodes.PermissionDenied);
    }

    [TestMethod]
    public async Task TableEntriesDoNotCountForADeviceHeldList()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http);
        await TestDevice.PermitAsync(http, callee.Certificate, PermitKinds.Terminal, caller.TerminalId);
        await using var responder = new TriggerResponder(http, callee.Certificate) { PermitAnswer = query => Lists(query.Seq) };
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, ErrorCodes.PermissionDenied);
    }

    [TestMethod]
    public async Task CalleeThatSendsNoListIsUnreachableAfterTheBoundedWait()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http);
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        var query = TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);
        await Eventually.TrueAsync(() => responder.PermitQueries == 1, "the callee has the permit query");
        server.Time!.Advance(TimeSpan.FromSeconds(4));
        Assert.IsFalse(query.IsCompleted);
        server.Time.Advance(TimeSpan.FromSeconds(1));
        using var response = await Eventually.Within(query);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.GatewayTimeout, ErrorCodes.CalleeUnreachable);
        await AssertLastAttemptAsync(server, "permit_query", ErrorCodes.CalleeUnreachable);
        Assert.AreEqual(0, responder.StatusQueries);
    }

    [TestMethod]
    public async Task MalformedListIsRefusedAndTheQueryStillWaits()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http);
        var asked = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var responder = new TriggerResponder(http, callee.Certificate) { PermitAnswer = query => { asked.TrySetResult(query.Seq); return null; } };
        await Eventually.PollingAsync(server, callee.TerminalId);
        var query = TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);
        var seq = await Eventually.Within(asked.Task);

        using var malformed = await TestDevice.ReplyToTriggerAsync(http, callee.Certificate, Lists(seq, permits: [TestDevice.Entry("planet", "earth")]));
        using var good = await TestDevice.ReplyToTriggerAsync(http, callee.Certificate, Lists(seq, permits: [TestDevice.Entry(PermitKinds.Terminal, caller.TerminalId)]));
        using var response = await Eventually.Within(query);

        await ProblemAssert.IsProblemAsync(malformed, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        Assert.AreEqual(HttpStatusCode.NoContent, good.StatusCode);
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [TestMethod]
    public async Task PolicyIsStoredAndShownWithTheTable()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, _) = await PairAsync(server, http);

        Assert.IsTrue((await server.Admin.GetPermitsAsync(callee.TerminalId)).DeviceHeld);
        using var off = await TestDevice.SetPolicyAsync(http, callee.Certificate, uniformDenial: false, deviceHeld: false);
        Assert.IsFalse((await TestDevice.ReadAsync<PermitTable>(off)).DeviceHeld);
    }

    /// <summary>A callee that keeps its list itself, and a caller named "TERM-C" in group "lab".</summary>
    private static async Task<(CertificateResponse Callee, CertificateResponse Caller)> PairAsync(TestServer server, HttpClient http)
    {
        var callee = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server, "lab"));
        var caller = await Devices.RegisterAsync(server, http, await Devices.EnrollNamedAsync(server, "TERM-C", "lab"), name: "TERM-C");
        using var policy = await TestDevice.SetPolicyAsync(http, callee.Certificate, uniformDenial: false, deviceHeld: true);
        policy.EnsureSuccessStatusCode();
        return (callee, caller);
    }

    private static TriggerReply Lists(long seq, PermitEntry[]? permits = null, PermitEntry[]? denies = null) =>
        new() { Seq = seq, Permits = permits ?? [], Denies = denies ?? [] };

    private static async Task AssertLastAttemptAsync(TestServer server, string stage, string? code)
    {
        ConnectionAttemptSummary last = (await server.Admin.ListConnectionAttemptsAsync(1)).Single();
        Assert.AreEqual(stage, last.Stage);
        Assert.AreEqual(code, last.Code);
    }
}
