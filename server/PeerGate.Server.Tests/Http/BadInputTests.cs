using System.Net;
using System.Net.Http.Headers;
using System.Text;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Http;

/// <summary>Malformed, oversized, mistyped and misaddressed requests: a 4xx problem with a code, never a 500, nothing stored.</summary>
[TestClass]
public sealed class BadInputTests
{
    private static TestServer s_server = null!;
    private static HttpClient s_http = null!;
    private static string s_certificate = null!;
    private static string s_terminalId = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_server = await TestServer.StartAsync();
        s_http = s_server.CreateClient();
        var device = await Devices.EnrollAsync(s_server);
        var certificate = await device.AuthenticateAsync(s_http);
        s_certificate = certificate.Certificate;
        s_terminalId = certificate.TerminalId;
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        s_http.Dispose();
        await s_server.DisposeAsync();
    }

    public static IEnumerable<object[]> BadBodies() =>
    [
        [Routes.AuthChallenge, "{\"DeviceId\":", HttpStatusCode.BadRequest, ErrorCodes.MalformedJson],
        [Routes.AuthChallenge, "not json", HttpStatusCode.BadRequest, ErrorCodes.MalformedJson],
        [Routes.AuthChallenge, "", HttpStatusCode.BadRequest, ErrorCodes.MalformedJson],
        [Routes.AuthChallenge, "[1,2]", HttpStatusCode.BadRequest, ErrorCodes.InvalidField],
        [Routes.AuthChallenge, "null", HttpStatusCode.BadRequest, ErrorCodes.InvalidField],
        [Routes.AuthChallenge, "{\"DeviceId\":12}", HttpStatusCode.BadRequest, ErrorCodes.InvalidField],
        [Routes.AuthChallenge, "{\"DeviceId\":\"not-hex\"}", HttpStatusCode.BadRequest, ErrorCodes.InvalidField],
        [Routes.AuthChallenge, "{\"deviceId\":\"24A160C3D4E5\"}", HttpStatusCode.BadRequest, ErrorCodes.MissingField],
        [Routes.AuthChallenge, "{}", HttpStatusCode.BadRequest, ErrorCodes.MissingField],
        [Routes.AuthProof, "{\"DeviceId\":\"24A160C3D4E5\",\"NonceId\":\"n-1\"}", HttpStatusCode.BadRequest, ErrorCodes.MissingField],
        [Routes.AuthProof, "{\"DeviceId\":\"24A160C3D4E5\",\"NonceId\":\"n-1\",\"Proof\":\"AAAA\"}", HttpStatusCode.BadRequest, ErrorCodes.InvalidField],
        [Routes.AllocationResolve, "{\"Level\":\"1\",\"Key\":\"acme\"}", HttpStatusCode.BadRequest, ErrorCodes.InvalidField],
        [Routes.AllocationResolve, "{\"Level\":9,\"Key\":\"acme\"}", HttpStatusCode.BadRequest, ErrorCodes.InvalidField],
        [Routes.AllocationResolve, "{\"Level\":1.5,\"Key\":\"acme\"}", HttpStatusCode.BadRequest, ErrorCodes.InvalidField],
        [Routes.AllocationResolve, "{\"Key\":\"acme\"}", HttpStatusCode.BadRequest, ErrorCodes.MissingField],
        [Routes.ServiceResolve, "{\"Keys\":[]}", HttpStatusCode.BadRequest, ErrorCodes.InvalidField],
        [Routes.ServiceResolve, "{\"Keys\":\"acme\"}", HttpStatusCode.BadRequest, ErrorCodes.InvalidField],
        [Routes.ServiceResolve, "{\"Keys\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", HttpStatusCode.BadRequest, ErrorCodes.InvalidField],
        [Routes.AuthChallenge, new string('[', 100) + new string(']', 100), HttpStatusCode.BadRequest, ErrorCodes.MalformedJson],
        [Routes.AuthChallenge, "{\"DeviceI\\ud800\":\"x\"}", HttpStatusCode.BadRequest, ErrorCodes.MalformedJson],
        [Routes.AuthChallenge, "{\"DeviceId\":\"24A160C3D4E\\udc00\"}", HttpStatusCode.BadRequest, ErrorCodes.MalformedJson],
        [Routes.AuthProof, "{\"DeviceId\":\"24A160C3D4E5\",\"NonceI\\udbff\":\"n-1\",\"Proof\":\"AAAA\"}", HttpStatusCode.BadRequest, ErrorCodes.MalformedJson],
        [Routes.ServiceResolve, "{\"Keys\":[\"acme\",\"\\ud800\\ud800\"]}", HttpStatusCode.BadRequest, ErrorCodes.MalformedJson],
    ];

    [TestMethod]
    [DynamicData(nameof(BadBodies))]
    public async Task BadBodyIsRefusedWithItsCode(string path, string body, HttpStatusCode status, string code)
    {
        var before = Db.Snapshot(s_server);
        var nonces = Db.Count(s_server, "SELECT count(*) FROM nonces");

        using var response = await s_http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, status, code);
        Assert.AreEqual(before, Db.Snapshot(s_server));
        Assert.AreEqual(nonces, Db.Count(s_server, "SELECT count(*) FROM nonces"));
    }

    [TestMethod]
    public async Task BadRegistrationBodiesStoreNothing()
    {
        string[] bodies =
        [
            "{\"TerminalId\":",
            $"{{\"TerminalId\":\"{s_terminalId}\",\"LocalIp\":\"192.168.1.2\",\"LocalPort\":\"7400\"}}",
            $"{{\"TerminalId\":\"{s_terminalId}\",\"LocalIp\":\"192.168.1.2\"}}",
            $"{{\"TerminalId\":\"{s_terminalId}\",\"LocalIp\":\"not an ip\",\"LocalPort\":7400}}",
            $"{{\"TerminalId\":\"{s_terminalId}\",\"LocalIp\":\"192.168.1.2\",\"LocalPort\":70000}}",
            $"{{\"TerminalId\":\"{s_terminalId}\",\"LocalIp\":\"192.168.1.2\",\"LocalPort\":7400,\"Attributes\":[\"no-equals\"]}}",
            $"{{\"TerminalId\":\"{s_terminalId}\",\"LocalIp\":\"192.168.1.2\",\"LocalPort\":7400,\"Capabilities\":[null]}}",
            $"{{\"TerminalId\":\"{s_terminalId}\",\"LocalIp\":\"192.168.1.2\",\"LocalPort\":7400,\"Discoverable\":\"yes\"}}",
        ];
        string[] codes = [ErrorCodes.MalformedJson, ErrorCodes.InvalidField, ErrorCodes.MissingField, ErrorCodes.InvalidField, ErrorCodes.InvalidField, ErrorCodes.InvalidField, ErrorCodes.InvalidField, ErrorCodes.InvalidField];

        for (var i = 0; i < bodies.Length; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Routes.Registrations) { Content = new StringContent(bodies[i], Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", s_certificate);
            using var response = await s_http.SendAsync(request);
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, codes[i]);
        }

        Assert.AreEqual(0, Db.Count(s_server, "SELECT count(*) FROM registrations"));
    }

    [TestMethod]
    public async Task OversizedBodyIsRefusedWith413()
    {
        var before = Db.Snapshot(s_server);
        var padding = new string('x', 20 * 1024);

        using var declared = await s_http.PostAsync(Routes.AuthChallenge, new StringContent($"{{\"DeviceId\":\"24A160C3D4E5\",\"GroupId\":\"{padding}\"}}", Encoding.UTF8, "application/json"));

        // Chunked: no Content-Length, so the limit is enforced while reading.
        var chunked = new StringContent($"{{\"DeviceId\":\"24A160C3D4E5\",\"Pad\":\"{padding}\"}}", Encoding.UTF8, "application/json");
        using var chunkedRequest = new HttpRequestMessage(HttpMethod.Post, Routes.AuthChallenge) { Content = chunked };
        chunkedRequest.Headers.TransferEncodingChunked = true;
        using var streamed = await s_http.SendAsync(chunkedRequest);

        await ProblemAssert.IsProblemAsync(declared, HttpStatusCode.RequestEntityTooLarge, ErrorCodes.BodyTooLarge);
        await ProblemAssert.IsProblemAsync(streamed, HttpStatusCode.RequestEntityTooLarge, ErrorCodes.BodyTooLarge);
        Assert.AreEqual(before, Db.Snapshot(s_server));
    }

    [TestMethod]
    public async Task WrongContentTypeIsRefusedWith415()
    {
        using var form = await s_http.PostAsync(Routes.AuthChallenge, new StringContent("{\"DeviceId\":\"24A160C3D4E5\"}", Encoding.UTF8, "text/plain"));
        using var none = await s_http.PostAsync(Routes.AuthChallenge, new ByteArrayContent(Encoding.UTF8.GetBytes("{\"DeviceId\":\"24A160C3D4E5\"}")));

        await ProblemAssert.IsProblemAsync(form, HttpStatusCode.UnsupportedMediaType, ErrorCodes.UnsupportedMediaType);
        await ProblemAssert.IsProblemAsync(none, HttpStatusCode.UnsupportedMediaType, ErrorCodes.UnsupportedMediaType);
    }

    [TestMethod]
    public async Task OtherApiVersionIsUnsupported()
    {
        using var get = await s_http.GetAsync("/v2/service/entry");
        using var post = await s_http.PostAsync("/v2/auth/challenge", new StringContent("{}", Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(get, HttpStatusCode.NotFound, ErrorCodes.UnsupportedVersion);
        await ProblemAssert.IsProblemAsync(post, HttpStatusCode.NotFound, ErrorCodes.UnsupportedVersion);
    }

    [TestMethod]
    public async Task UnknownRouteAndWrongMethodAreProblems()
    {
        using var unknown = await s_http.GetAsync("/v1/nothing-here");
        using var wrongMethod = await s_http.GetAsync(Routes.AuthChallenge);

        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, ErrorCodes.RouteNotFound);
        await ProblemAssert.IsProblemAsync(wrongMethod, HttpStatusCode.MethodNotAllowed, ErrorCodes.MethodNotAllowed);
    }

    [TestMethod]
    public async Task HealthMetricsAndOpenApiAnswer()
    {
        using var health = await s_http.GetAsync("/health");
        var metrics = await s_http.GetStringAsync("/metrics");
        var openApi = await s_http.GetStringAsync("/openapi/v1.json");

        Assert.AreEqual(HttpStatusCode.OK, health.StatusCode);
        StringAssert.Contains(metrics, "peergate_http_responses_total{status=\"200\"}");
        StringAssert.Contains(metrics, "peergate_registrations_total");
        StringAssert.Contains(openApi, Routes.AuthChallenge);
        StringAssert.Contains(openApi, "/v1/registry/registrations");
    }
}
