using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Server.Registry;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Identity;

/// <summary>
/// A disabled device (or a member of a disabled group) is refused on every certificate route at
/// once with 403 device_disabled, its open poll is cut, nobody is handed its address or a session
/// with it, and enabling restores all of it.
/// </summary>
[TestClass]
public sealed class DisabledDeviceTests
{
    internal const string Group = "cell-9";

    /// <summary>
    /// Every certificate route ("METHOD pattern" as routing knows it) and a request to it that the
    /// handler would serve for a device in good standing. A route the server adds later that needs a
    /// certificate and is not here fails <see cref="EveryCertificateRouteIsInTheTable"/>.
    /// </summary>
    internal static readonly Dictionary<string, Func<Scene, HttpRequestMessage>> CertificateRoutes = new(StringComparer.Ordinal)
    {
        ["POST /v1/registry/registrations"] = s => Post(Routes.Registrations, Devices.Registration(s.Subject.TerminalId, discoverable: true)),
        ["GET /v1/registry/terminals/{terminalId}"] = s => Get(Routes.Terminals + s.Peer.TerminalId),
        ["GET /v1/registry/groups/{groupId}/members"] = s => Get(Routes.Groups + Group + Routes.GroupMembersSuffix),
        ["POST /v1/registry/match"] = s => Post(Routes.Match, new MatchRequest { Kind = "sensor" }),
        ["GET /v1/permits/"] = s => Get(Routes.Permits),
        ["POST /v1/permits/"] = s => Post(Routes.Permits, new PermitRequest { Operations = [TestDevice.Operation(PermitOps.Add, TestDevice.Entry(PermitKinds.Terminal, s.Peer.TerminalId))] }),
        ["PUT /v1/permits/policy"] = s => Put(Routes.PermitPolicy, new ConnectionPolicy()),

        // Past every trigger issued: answered at once (cursor_ahead) when the handler runs.
        ["GET /v1/triggers/"] = s => Get(Routes.Triggers + "?after=999999"),
        ["POST /v1/triggers/replies"] = s => Post(Routes.TriggerReplies, TestDevice.Reply(999999)),

        // The peer permits the subject and answers Acceptable: a grant when the handler runs.
        ["POST /v1/connections/"] = s => Post(Routes.Connections, new ConnectionRequest { CalleeTerminalId = s.Peer.TerminalId, CallerPort = 7500 }),
        ["GET /v1/sessions/"] = s => Get(Routes.Sessions),
        ["POST /v1/sessions/{sessionId}/extension"] = s => Post(Routes.Sessions + s.SessionId + Routes.SessionExtensionSuffix, new ExtensionRequest { AddSeconds = 60 }),
        ["POST /v1/sessions/{sessionId}/end"] = s => Post(Routes.Sessions + s.SessionId + Routes.SessionEndSuffix, new SessionEndNotice { Reason = SessionEndReasons.Completed }),
    };

    /// <summary>Routes that take no certificate: open to anyone (rate-limited or not), or behind the operator token.</summary>
    private static readonly HashSet<string> OpenRoutes = new(StringComparer.Ordinal)
    {
        "GET /health",
        "HEAD /health",
        "GET /health/live",
        "HEAD /health/live",
        "GET /health/ready",
        "HEAD /health/ready",
        "GET /metrics",
        "GET /openapi/{documentName}.json",
        "GET /reference/{documentName?}",
        "GET /reference/scalar.js",
        "GET /reference/scalar.aspnetcore.js",
        "GET /reference/favicon.svg",
        "GET /v1/service/entry",
        "POST /v1/service/resolve",
        "POST /v1/allocation/resolve",
        "POST /v1/auth/challenge",
        "POST /v1/auth/proof",
        "GET /v1/auth/public-key",
        "GET /v1/auth/revocations",
    };

    [TestMethod]
    public async Task EveryCertificateRouteIsInTheTable()
    {
        await using var server = await TestServer.StartAsync();
        var endpoints = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var problems = new List<string>();

        foreach (var endpoint in endpoints)
        {
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"];
            var gated = endpoint.Metadata.GetMetadata<CertificateRequired>() is not null;
            var bindsCaller = endpoint.Metadata.OfType<MethodInfo>().Any(m => m.GetParameters().Any(p => p.ParameterType == typeof(CertifiedCaller)));
            foreach (var method in methods)
            {
                var key = method + " " + endpoint.RoutePattern.RawText;
                seen.Add(key);
                if (bindsCaller && !gated)
                {
                    problems.Add($"{key} takes the caller's certificate outside a RequireCertificate group");
                }

                if ((gated || bindsCaller) && !CertificateRoutes.ContainsKey(key))
                {
                    problems.Add($"{key} needs a certificate but is not in the table of certificate routes");
                }

                // The operator's routes: the admin token's, and the dashboard's own login (Dashboard/DashboardAccessTests).
                if (!gated && !bindsCaller && !OpenRoutes.Contains(key) && !endpoint.RoutePattern.RawText!.StartsWith("/v1/admin/", StringComparison.Ordinal)
                    && !endpoint.RoutePattern.RawText.StartsWith(PeerGate.Server.Dashboard.DashboardApi.Root + "/", StringComparison.Ordinal)
                    && endpoint.RoutePattern.RawText != PeerGate.Server.Dashboard.DashboardApi.Root)
                {
                    problems.Add($"{key} takes no certificate and is not a known open route: classify it");
                }

                if (gated && OpenRoutes.Contains(key))
                {
                    problems.Add($"{key} is listed as open but needs a certificate");
                }
            }
        }

        problems.AddRange(CertificateRoutes.Keys.Where(key => !seen.Contains(key)).Select(key => $"{key} is in the table but the server has no such route"));
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }

    [TestMethod]
    [DataRow("device")]
    [DataRow("group")]
    public async Task DisabledDeviceIsRefusedOnEveryCertificateRouteUntilEnabled(string what)
    {
        await using var server = await TestServer.StartAsync();
        await using var scene = await Scene.StartAsync(server);

        // In good standing, every request reaches its handler.
        await AssertEveryRouteServedAsync(scene, "before disabling");

        await Disable(server, scene.Device.DeviceId, what);
        foreach (var (route, request) in CertificateRoutes)
        {
            using var response = await scene.SendAsync(request(scene));
            var body = await response.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.Forbidden, response.StatusCode, $"{route}: {body}");
            Assert.AreEqual(ErrorCodes.DeviceDisabled, CodeOf(body), $"{route}: {body}");
        }

        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM sessions WHERE state = 'active'"), "no session was granted while disabled");

        await Enable(server, scene.Device.DeviceId, what);
        await AssertEveryRouteServedAsync(scene, "after enabling");
    }

    [TestMethod]
    [DataRow("device", HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled)]
    [DataRow("group", HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled)]
    [DataRow("revoke-device", HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked)]
    [DataRow("revoke-certificate", HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked)]
    public async Task OpenPollIsAnsweredWithTheRefusalAtOnce(string what, HttpStatusCode status, string code)
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server, Group);
        var certificate = await Devices.RegisterAsync(server, http, device);

        var poll = TestDevice.PollTriggersAsync(http, certificate.Certificate, 0);
        await Eventually.PollingAsync(server, certificate.TerminalId);
        await (what switch
        {
            "device" => server.Admin.DisableDeviceAsync(device.DeviceId),
            "group" => server.Admin.DisableGroupAsync(Group),
            "revoke-device" => server.Admin.RevokeDeviceAsync(device.DeviceId),
            _ => server.Admin.RevokeCertificateAsync(certificate.Serial),
        });

        // The fake clock stands still: only the refusal can end this poll.
        using var answer = await Eventually.Within(poll);
        await ProblemAssert.IsProblemAsync(answer, status, code);
        Assert.IsFalse(server.IsPolling(certificate.TerminalId));
    }

    [TestMethod]
    public async Task EnabledAgainTheDevicePollsAndIsReachedWithItsCertificate()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var callee = await Devices.EnrollAsync(server);
        var calleeCertificate = await Devices.RegisterAsync(server, http, callee);
        var caller = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        await TestDevice.PermitAsync(http, calleeCertificate.Certificate, PermitKinds.Terminal, caller.TerminalId);

        await server.Admin.DisableDeviceAsync(callee.DeviceId);
        await server.Admin.EnableDeviceAsync(callee.DeviceId);

        // The same certificate as before the disable: nothing to re-authenticate.
        await using var line = new TriggerResponder(http, calleeCertificate.Certificate);
        await Eventually.PollingAsync(server, calleeCertificate.TerminalId);
        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, calleeCertificate.TerminalId);
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(response);
        Assert.AreEqual(grant.SessionId, (await Eventually.Within(line.Offers.ReadAsync().AsTask())).SessionId);
    }

    [TestMethod]
    [DataRow("device")]
    [DataRow("group")]
    public async Task DisabledDeviceIsHandedOutToNobody(string what)
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var subject = await Devices.EnrollAsync(server, Group);
        var subjectCertificate = await Devices.RegisterAsync(server, http, subject, discoverable: true);
        var asker = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        await TestDevice.PermitAsync(http, subjectCertificate.Certificate, PermitKinds.Terminal, asker.TerminalId);

        // An offline terminal that permits the asker: what a callee that cannot be reached looks like.
        var offline = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), kind: "relay");
        await TestDevice.PermitAsync(http, offline.Certificate, PermitKinds.Terminal, asker.TerminalId);

        await using var line = new TriggerResponder(http, subjectCertificate.Certificate);
        await Eventually.PollingAsync(server, subjectCertificate.TerminalId);
        Assert.AreEqual(subjectCertificate.TerminalId, (await FindAsync(http, asker.Certificate, subjectCertificate.TerminalId)).TerminalId, "visible before");
        await Disable(server, subject.DeviceId, what);
        await Eventually.TrueAsync(() => !server.IsPolling(subjectCertificate.TerminalId), "the subject's poll is cut");

        using var find = await TestDevice.GetWithCertificateAsync(http, asker.Certificate, Routes.Terminals + subjectCertificate.TerminalId);
        await ProblemAssert.IsProblemAsync(find, HttpStatusCode.NotFound, ErrorCodes.TerminalNotFound);
        using var members = await TestDevice.GetWithCertificateAsync(http, asker.Certificate, Routes.Groups + Group + Routes.GroupMembersSuffix);
        Assert.IsEmpty((await TestDevice.ReadAsync<GroupMembers>(members)).Members);
        using var match = await TestDevice.PostWithCertificateAsync(http, asker.Certificate, Routes.Match, new MatchRequest { Kind = "sensor" });
        await ProblemAssert.IsProblemAsync(match, HttpStatusCode.NotFound, ErrorCodes.NoMatch);

        // The connection query answers exactly what an unreachable callee gets, and the subject is never asked.
        using var connect = await TestDevice.RequestConnectionAsync(http, asker.Certificate, subjectCertificate.TerminalId);
        using var connectOffline = await TestDevice.RequestConnectionAsync(http, asker.Certificate, offline.TerminalId);
        await ProblemAssert.IsProblemAsync(connect, HttpStatusCode.Conflict, ErrorCodes.CalleeNotConnected);
        Assert.AreEqual(Strip(await connectOffline.Content.ReadAsStringAsync()), Strip(await connect.Content.ReadAsStringAsync()));
        Assert.AreEqual(0, line.StatusQueries);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM triggers WHERE terminal_id = @t AND kind IN ('status-query', 'session-offer')", ("@t", subjectCertificate.TerminalId)));

        await Enable(server, subject.DeviceId, what);
        Assert.AreEqual(subjectCertificate.TerminalId, (await FindAsync(http, asker.Certificate, subjectCertificate.TerminalId)).TerminalId, "visible again");
    }

    [TestMethod]
    public async Task CallerDisabledWhileTheCalleeIsAskedGetsNoSession()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var callee = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        var callerDevice = await Devices.EnrollAsync(server);
        var caller = await Devices.RegisterAsync(server, http, callerDevice);
        await TestDevice.PermitAsync(http, callee.Certificate, PermitKinds.Terminal, caller.TerminalId);

        // The operator disables the caller after it passed the certificate check, before the callee answers.
        await using var line = new TriggerResponder(http, callee.Certificate, query =>
        {
            server.Admin.DisableDeviceAsync(callerDevice.DeviceId).Wait(TimeSpan.FromSeconds(10));
            return TestDevice.Reply(query.Seq);
        });
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM sessions"));
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM triggers WHERE kind = 'session-offer'"));
        Assert.AreEqual(ErrorCodes.DeviceDisabled, (await server.Admin.ListConnectionAttemptsAsync(1)).Single().Code);
    }

    [TestMethod]
    public async Task RegistryOnAnotherHostRefusesAndHidesADisabledDeviceUntilEnabled()
    {
        await using var issuer = await TestServer.StartAsync(new TestServerOptions { IssuerName = "auth-a" });
        await using var registry = await TestServer.StartAsync(new TestServerOptions
        {
            IssuerName = "registry-b",
            Time = issuer.Time,
            TrustedIssuers = [issuer.AsTrustedIssuer()],
        });
        using var http = registry.CreateClient();
        using var issuerHttp = issuer.CreateClient();
        var device = await Devices.EnrollAsync(issuer);
        var certificate = await device.AuthenticateAsync(issuerHttp);
        var asker = await (await Devices.EnrollAsync(issuer)).AuthenticateAsync(issuerHttp);
        var registration = Devices.Registration(certificate.TerminalId, discoverable: true);
        using (var accepted = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, registration))
        {
            Assert.AreEqual(HttpStatusCode.OK, accepted.StatusCode);
        }

        Assert.AreEqual(certificate.TerminalId, (await FindAsync(http, asker.Certificate, certificate.TerminalId)).TerminalId);

        // The issuer lists the disabled device's certificate; the registry reads the list within its 30 s cache.
        await issuer.Admin.DisableDeviceAsync(device.DeviceId);
        CollectionAssert.Contains((await TestDevice.ReadAsync<RevocationList>(await issuerHttp.GetAsync(Routes.AuthRevocations))).Serials, certificate.Serial);
        issuer.Time!.Advance(TimeSpan.FromSeconds(31));
        using (var hidden = await TestDevice.GetWithCertificateAsync(http, asker.Certificate, Routes.Terminals + certificate.TerminalId))
        {
            await ProblemAssert.IsProblemAsync(hidden, HttpStatusCode.NotFound, ErrorCodes.TerminalNotFound);
        }

        using (var refused = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, registration))
        {
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked);
        }

        await issuer.Admin.EnableDeviceAsync(device.DeviceId);
        issuer.Time.Advance(TimeSpan.FromSeconds(31));
        using var restored = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, registration);
        Assert.AreEqual(HttpStatusCode.OK, restored.StatusCode, await restored.Content.ReadAsStringAsync());
        Assert.AreEqual(certificate.TerminalId, (await FindAsync(http, asker.Certificate, certificate.TerminalId)).TerminalId);
    }

    private static async Task AssertEveryRouteServedAsync(Scene scene, string when)
    {
        foreach (var (route, request) in CertificateRoutes)
        {
            using var response = await scene.SendAsync(request(scene));
            var body = await response.Content.ReadAsStringAsync();
            Assert.AreNotEqual(HttpStatusCode.Unauthorized, response.StatusCode, $"{when}, {route}: {body}");
            Assert.AreNotEqual(ErrorCodes.DeviceDisabled, CodeOf(body), $"{when}, {route}: {body}");
            Assert.IsTrue(response.IsSuccessStatusCode || CodeOf(body) is not null, $"{when}, {route}: {body}");
        }
    }

    private static Task Disable(TestServer server, string deviceId, string what) =>
        what == "device" ? server.Admin.DisableDeviceAsync(deviceId) : server.Admin.DisableGroupAsync(Group);

    private static Task Enable(TestServer server, string deviceId, string what) =>
        what == "device" ? server.Admin.EnableDeviceAsync(deviceId) : server.Admin.EnableGroupAsync(Group);

    private static async Task<TerminalAddress> FindAsync(HttpClient http, string certificate, string terminalId)
    {
        using var response = await TestDevice.GetWithCertificateAsync(http, certificate, Routes.Terminals + terminalId);
        return await TestDevice.ReadAsync<TerminalAddress>(response);
    }

    internal static string? CodeOf(string body)
    {
        if (!body.StartsWith('{'))
        {
            return null;
        }

        using var document = JsonDocument.Parse(body);
        return document.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
    }

    private static string Strip(string problem) => System.Text.RegularExpressions.Regex.Replace(problem, "\"traceId\":\"[^\"]*\"", string.Empty);

    private static HttpRequestMessage Get(string path) => new(HttpMethod.Get, path);

    private static HttpRequestMessage Post<T>(string path, T body) => new(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: WireJson.Options) };

    private static HttpRequestMessage Put<T>(string path, T body) => new(HttpMethod.Put, path) { Content = JsonContent.Create(body, options: WireJson.Options) };

    /// <summary>
    /// The subject device (in group <see cref="Group"/>), registered, with a session it called; a
    /// discoverable peer in no group that permits it and answers on its trigger channel.
    /// </summary>
    internal sealed class Scene : IAsyncDisposable
    {
        private readonly HttpClient _http;
        private readonly TriggerResponder _peerLine;

        private Scene(TestDevice device, CertificateResponse subject, CertificateResponse peer, string sessionId, HttpClient http, TriggerResponder peerLine)
        {
            Device = device;
            Subject = subject;
            Peer = peer;
            SessionId = sessionId;
            _http = http;
            _peerLine = peerLine;
        }

        public TestDevice Device { get; }

        public CertificateResponse Subject { get; }

        public CertificateResponse Peer { get; }

        public string SessionId { get; }

        public static async Task<Scene> StartAsync(TestServer server)
        {
            var http = server.CreateClient();
            var device = await Devices.EnrollAsync(server, Group);
            var subject = await Devices.RegisterAsync(server, http, device);
            var peer = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), discoverable: true);
            await TestDevice.PermitAsync(http, peer.Certificate, PermitKinds.Terminal, subject.TerminalId);
            var peerLine = new TriggerResponder(http, peer.Certificate);
            await Eventually.PollingAsync(server, peer.TerminalId);
            using var response = await TestDevice.RequestConnectionAsync(http, subject.Certificate, peer.TerminalId);
            var grant = await TestDevice.ReadAsync<ConnectionGrant>(response);
            return new Scene(device, subject, peer, grant.SessionId, http, peerLine);
        }

        public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => SendAsync(request, Subject.Certificate);

        public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string certificate)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", certificate);
            return _http.SendAsync(request);
        }

        public async ValueTask DisposeAsync()
        {
            await _peerLine.DisposeAsync();
            _http.Dispose();
        }
    }
}
