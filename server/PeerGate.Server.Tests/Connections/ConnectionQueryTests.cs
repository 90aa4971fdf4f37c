using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Connections;

/// <summary>The connection query (F16-F18): each denial from its real cause, the grant, and the attempt log.</summary>
[TestClass]
public sealed class ConnectionQueryTests
{
    [TestMethod]
    public async Task PermittedCallerGetsAGrantAndTheCalleeTheSameOffer()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http, permit: true);
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId, callerPort: 7501);
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(response);
        var offer = await Eventually.Within(responder.Offers.ReadAsync().AsTask());

        Assert.AreEqual(callee.TerminalId, grant.CalleeTerminalId);
        Assert.AreEqual("192.168.1.23", grant.CalleeLocalIp);
        Assert.AreEqual(7400, grant.CalleeLocalPort);
        Assert.AreEqual("127.0.0.1", grant.CalleeObservedIp);
        Assert.HasCount(16, Convert.FromBase64String(grant.Password));
        Assert.HasCount(32, Convert.FromBase64String(grant.Key));
        Assert.AreEqual(server.Time!.GetUtcNow().ToUnixTimeSeconds() + 60, grant.ExpiresAt);

        Assert.AreEqual(TriggerKinds.SessionOffer, offer.Kind);
        Assert.AreEqual(grant.SessionId, offer.SessionId);
        Assert.AreEqual(grant.Password, offer.Password);
        Assert.AreEqual(grant.Key, offer.Key);
        Assert.AreEqual(grant.ExpiresAt, offer.ExpiresAt);
        Assert.AreEqual(caller.TerminalId, offer.PeerTerminalId);
        Assert.AreEqual("192.168.1.23", offer.PeerLocalIp);
        Assert.AreEqual(7501, offer.PeerLocalPort);
        Assert.AreEqual("127.0.0.1", offer.PeerObservedIp);

        await AssertLastAttemptAsync(server, "granted", null);
        Assert.AreEqual(grant.SessionId, (await server.Admin.ListConnectionAttemptsAsync()).First().SessionId);
        Assert.AreEqual(1, Db.Count(server, "SELECT count(*) FROM sessions WHERE session_id = @s", ("@s", grant.SessionId)));

        // The answer is written in the session's own commit, so a granted setup leaves it for the operator.
        Assert.AreEqual(1, Db.Count(server, "SELECT count(*) FROM status_answers WHERE terminal_id = @t AND status = @st", ("@t", callee.TerminalId), ("@st", AcceptStatus.Acceptable)));
    }

    [TestMethod]
    public async Task TheStatusQueryNamesTheSessionTheGrantThenIssues()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http, permit: true);
        var polling = TestDevice.PollAsync(http, callee.Certificate, 0);
        await Eventually.PollingAsync(server, callee.TerminalId);

        var connecting = TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);
        var query = (await Eventually.Within(polling)).Single();
        using (var replied = await TestDevice.ReplyToTriggerAsync(http, callee.Certificate, TestDevice.Reply(query.Seq)))
        {
            Assert.IsTrue(replied.IsSuccessStatusCode);
        }

        using var granted = await Eventually.Within(connecting);
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(granted);
        Assert.AreEqual(TriggerKinds.StatusQuery, query.Kind);
        Assert.IsNotNull(query.SessionId);
        Assert.AreEqual(query.SessionId, grant.SessionId, "the callee may wait for this session's offer only");
        Assert.IsNull(query.Key, "the question carries no secret");
    }

    [TestMethod]
    public async Task CalleeThatOnlyCallsOutIsUnreachableAndGetsNoOffer()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http, permit: true);
        var callOnly = Devices.Registration(callee.TerminalId);
        callOnly.LocalPort = 0;
        using (var registered = await TestDevice.SendRegistrationAsync(http, callee.Certificate, callOnly))
        {
            Assert.AreEqual(HttpStatusCode.OK, registered.StatusCode, await registered.Content.ReadAsStringAsync());
        }

        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.GatewayTimeout, ErrorCodes.CalleeUnreachable);
        Assert.AreEqual(0, responder.StatusQueries);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM sessions"));
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM triggers WHERE terminal_id = @t", ("@t", callee.TerminalId)));
        await AssertLastAttemptAsync(server, "online", ErrorCodes.CalleeUnreachable);
    }

    [TestMethod]
    public async Task UnknownCalleeIsNotFound()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var caller = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, "T0000000000000000");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, ErrorCodes.CalleeNotFound);
        await AssertLastAttemptAsync(server, "received", ErrorCodes.CalleeNotFound);
    }

    [TestMethod]
    public async Task CallerNotPermittedLearnsNothingAndTheCalleeIsNotContacted()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http, permit: false);
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);
        var body = await response.Content.ReadAsStringAsync();

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, ErrorCodes.PermissionDenied);
        Assert.DoesNotContain("192.168.1.23", body);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM triggers WHERE terminal_id = @t", ("@t", callee.TerminalId)));
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM sessions"));
        Assert.AreEqual(0, responder.StatusQueries);
        await AssertLastAttemptAsync(server, "callee_found", ErrorCodes.PermissionDenied);
    }

    [TestMethod]
    public async Task UniformDenialAnswersStrangersExactlyAsAnUnknownTerminal()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, stranger) = await PairAsync(server, http, permit: false);
        using var policy = await TestDevice.SetPolicyAsync(http, callee.Certificate, uniformDenial: true);
        policy.EnsureSuccessStatusCode();

        using var denied = await TestDevice.RequestConnectionAsync(http, stranger.Certificate, callee.TerminalId);
        using var unknown = await TestDevice.RequestConnectionAsync(http, stranger.Certificate, "T0000000000000000");

        await ProblemAssert.IsProblemAsync(denied, HttpStatusCode.NotFound, ErrorCodes.CalleeNotFound);
        Assert.AreEqual(Strip(await unknown.Content.ReadAsStringAsync()), Strip(await denied.Content.ReadAsStringAsync()));
        Assert.AreEqual(unknown.StatusCode, denied.StatusCode);

        // The operator still sees that the callee was found, and stopped there.
        var attempts = await server.Admin.ListConnectionAttemptsAsync();
        Assert.AreEqual("callee_found", attempts[1].Stage);
        Assert.AreEqual(ErrorCodes.CalleeNotFound, attempts[1].Code);
    }

    [TestMethod]
    public async Task CalleeNotPollingIsNotConnected()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http, permit: true);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, ErrorCodes.CalleeNotConnected);
        await AssertLastAttemptAsync(server, "permitted", ErrorCodes.CalleeNotConnected);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM triggers"));
    }

    [TestMethod]
    public async Task CalleeWhoseRegistrationExpiredIsNotConnectedEvenWhilePolling()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http, permit: true);
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        server.Time!.Advance(TimeSpan.FromSeconds(301));
        await Eventually.PollingAsync(server, callee.TerminalId);
        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, ErrorCodes.CalleeNotConnected);
        Assert.AreEqual(0, responder.StatusQueries);
    }

    [TestMethod]
    public async Task BusyCalleeGivesReasonAndRetryAfter()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http, permit: true);
        await using var responder = new TriggerResponder(http, callee.Certificate, query => TestDevice.Reply(query.Seq, AcceptStatus.Busy, BusyReasons.SessionLimit, 30));
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable, ErrorCodes.CalleeBusy);
        Assert.AreEqual(TimeSpan.FromSeconds(30), response.Headers.RetryAfter?.Delta);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.AreEqual(BusyReasons.SessionLimit, problem.RootElement.GetProperty("reason").GetString());
        Assert.AreEqual(30, problem.RootElement.GetProperty("retryAfter").GetInt32());
        Assert.AreEqual(1, responder.StatusQueries);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM sessions"));
        await AssertLastAttemptAsync(server, "status_query", ErrorCodes.CalleeBusy);
    }

    [TestMethod]
    public async Task CalleeThatNeverAnswersIsUnreachableAfterTheBoundedWait()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http, permit: true);
        await using var responder = new TriggerResponder(http, callee.Certificate, _ => null);
        await Eventually.PollingAsync(server, callee.TerminalId);

        var query = TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);
        await Eventually.TrueAsync(() => responder.StatusQueries == 1, "the callee has the status query");
        server.Time!.Advance(TimeSpan.FromSeconds(4));
        Assert.IsFalse(query.IsCompleted);
        server.Time.Advance(TimeSpan.FromSeconds(1));
        using var response = await Eventually.Within(query);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.GatewayTimeout, ErrorCodes.CalleeUnreachable);
        await AssertLastAttemptAsync(server, "status_query", ErrorCodes.CalleeUnreachable);

        // Too late: nobody waits any more.
        using var late = await TestDevice.ReplyToTriggerAsync(http, callee.Certificate, TestDevice.Reply(responder.Cursor));
        await ProblemAssert.IsProblemAsync(late, HttpStatusCode.NotFound, ErrorCodes.TriggerUnknown);
    }

    [TestMethod]
    public async Task MalformedAndSelfQueriesAreRefused()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var caller = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));

        using var self = await TestDevice.RequestConnectionAsync(http, caller.Certificate, caller.TerminalId);
        using var malformed = await TestDevice.RequestConnectionAsync(http, caller.Certificate, "not a terminal!");
        using var badPort = await TestDevice.RequestConnectionAsync(http, caller.Certificate, "T0000000000000000", callerPort: 70000);
        using var anonymous = await http.PostAsync(Routes.Connections, new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(self, HttpStatusCode.BadRequest, ErrorCodes.SelfConnection);
        await ProblemAssert.IsProblemAsync(malformed, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        await ProblemAssert.IsProblemAsync(badPort, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        await ProblemAssert.IsProblemAsync(anonymous, HttpStatusCode.Unauthorized, ErrorCodes.CertificateMissing);
        var attempts = await server.Admin.ListConnectionAttemptsAsync();
        Assert.HasCount(2, attempts, "a number out of its range is refused as the body is read, before anything is logged");
        Assert.IsNull(attempts[0].Callee);
        Assert.AreEqual(ErrorCodes.InvalidField, attempts[0].Code);
    }

    [TestMethod]
    public async Task MetricsCountOutcomesAndTriggers()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await PairAsync(server, http, permit: true);
        using (await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId))
        {
        }

        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);
        using (var granted = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId))
        {
            granted.EnsureSuccessStatusCode();
        }

        await Eventually.Within(responder.Offers.ReadAsync().AsTask());
        var metrics = await http.GetStringAsync("/metrics");

        StringAssert.Contains(metrics, "peergate_connections_total{outcome=\"callee_not_connected\"} 1");
        StringAssert.Contains(metrics, "peergate_connections_total{outcome=\"granted\"} 1");
        StringAssert.Contains(metrics, "peergate_triggers_queued_total{kind=\"status-query\"} 1");
        StringAssert.Contains(metrics, "peergate_triggers_queued_total{kind=\"session-offer\"} 1");
        StringAssert.Contains(metrics, "peergate_triggers_delivered_total{kind=\"session-offer\"} 1");
    }

    /// <summary>A registered callee and a registered caller; with <paramref name="permit"/> the callee's table names the caller.</summary>
    internal static async Task<(CertificateResponse Callee, CertificateResponse Caller)> PairAsync(TestServer server, HttpClient http, bool permit, string[]? calleeGroups = null)
    {
        var callee = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server, calleeGroups ?? []));
        var caller = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        if (permit)
        {
            await TestDevice.PermitAsync(http, callee.Certificate, PermitKinds.Terminal, caller.TerminalId);
        }

        return (callee, caller);
    }

    private static async Task AssertLastAttemptAsync(TestServer server, string stage, string? code)
    {
        ConnectionAttemptSummary last = (await server.Admin.ListConnectionAttemptsAsync(1)).Single();
        Assert.AreEqual(stage, last.Stage);
        Assert.AreEqual(code, last.Code);
    }

    private static string Strip(string problem) => Regex.Replace(problem, "\"traceId\":\"[^\"]*\"", string.Empty);
}
