using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using PeerGate.Fuzz.Engine;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Fuzz.Targets;

/// <summary>
/// Every JSON body route of a real in-process server (Kestrel on 127.0.0.1, its own SQLite file), with
/// valid credentials so bodies get past authentication: byte 0 picks the route, the rest is the body.
/// A crash is a 5xx, an answer that is not problem+json with a stable code, or a dropped connection.
/// </summary>
public sealed class ServerHttpTarget : FuzzTarget
{
    private static readonly (string Method, string Path, bool Admin, string Seed)[] BodyRoutes =
    [
        ("POST", Routes.AuthChallenge, false, "{\"DeviceId\":\"24A160C3D4E5\"}"),
        ("POST", Routes.AuthProof, false, "{\"DeviceId\":\"24A160C3D4E5\",\"NonceId\":\"n1\",\"Proof\":\"AAAA\"}"),
        ("POST", Routes.ServiceResolve, false, "{\"Keys\":[\"k\"]}"),
        ("POST", Routes.AllocationResolve, false, "{\"Level\":0,\"Key\":\"k\"}"),
        ("POST", Routes.Registrations, false, "{\"TerminalId\":\"T1\",\"LocalIp\":\"192.168.1.2\",\"LocalPort\":7001}"),
        ("POST", Routes.Match, false, "{}"),
        ("POST", Routes.Permits, false, "{\"Operations\":[]}"),
        ("PUT", Routes.PermitPolicy, false, "{\"UniformDenial\":true}"),
        ("POST", Routes.TriggerReplies, false, "{\"Seq\":1}"),
        ("POST", Routes.Connections, false, "{}"),
        ("POST", Routes.Sessions + "S1" + Routes.SessionExtensionSuffix, false, "{}"),
        ("POST", Routes.Sessions + "S1" + Routes.SessionEndSuffix, false, "{\"Reason\":\"completed\"}"),
        ("POST", "/v1/admin/devices", true, "{\"DeviceId\":\"24A160C3D4E6\"}"),
        ("POST", "/v1/admin/groups", true, "{\"GroupId\":\"g2\"}"),
        ("PUT", "/v1/admin/allocation/service-entry", true, "{\"Role\":\"auth\",\"Url\":\"http://127.0.0.1:1\"}"),
        ("PUT", "/v1/admin/allocation/entries", true, "{\"Level\":0,\"Key\":\"k\",\"Role\":\"auth\",\"Url\":\"http://127.0.0.1:1\"}"),
        ("PUT", "/v1/admin/session-policies/T1", true, "{\"MaxSeconds\":60,\"MaxBytes\":1000}"),
        ("POST", "/v1/admin/names/bind", true, "{\"Name\":\"n1\",\"DeviceId\":\"24A160C3D4E5\"}"),
        ("POST", "/v1/admin/names/reserve", true, "{\"Name\":\"n2\"}"),
        ("POST", "/v1/admin/names/release", true, "{\"Name\":\"n2\"}"),
    ];

    private TestServer? _server;
    private HttpClient? _http;
    private string _certificate = string.Empty;

    public override string Name => "server-http";

    public override string Description => "every JSON body route of a real in-process server: never 5xx, always problem+json with a stable code";

    public override bool IsJson => true;

    public override bool CountsAllocation => false;

    public override TimeSpan MaxDuration => TimeSpan.FromSeconds(10);

    public override int MaxInputLength => 20 * 1024;

    public override int SmokeIterations => 150;

    public override IEnumerable<byte[]> Seeds() =>
        BodyRoutes.Select(route => Selector.Named(route.Method + " " + route.Path, Encoding.UTF8.GetBytes(route.Seed)));

    public override string Run(byte[] input)
    {
        Start();
        var index = Selector.Pick(input, [.. BodyRoutes.Select(r => r.Method + " " + r.Path)], out var bodyOffset);
        if (index < 0)
        {
            return "no-route";
        }

        var route = BodyRoutes[index];
        using var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path)
        {
            Content = new ByteArrayContent(input, bodyOffset, input.Length - bodyOffset),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", route.Admin ? _server!.AdminToken : _certificate);
        using var response = _http!.Send(request);
        var status = (int)response.StatusCode;
        var body = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
        if (status < 400)
        {
            return route.Path + ":" + status;
        }

        Keys.Expect(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{route.Method} {route.Path}: {status} without problem+json");
        string? code;
        try
        {
            using var problem = JsonDocument.Parse(body);
            code = problem.RootElement.TryGetProperty("code", out var value) ? value.GetString() : null;
        }
        catch (JsonException)
        {
            throw new FuzzFailure($"{route.Method} {route.Path}: {status} with a problem that is not JSON");
        }

        return route.Path + ":" + Problems.Check(status, code);
    }

    public override void Dispose()
    {
        _http?.Dispose();
        _server?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose();
    }

    private void Start()
    {
        if (_server is not null)
        {
            return;
        }

        _server = TestServer.StartAsync(new TestServerOptions
        {
            Configure = options =>
            {
                // Fuzzing sends thousands of requests a minute: the rate limits would answer most of them.
                options.UnauthenticatedRequestsPerMinute = 1_000_000;
                options.DeviceWritesPerMinute = 1_000_000;
            },
        }).GetAwaiter().GetResult();
        _http = _server.CreateClient();
        var enrolled = _server.Admin.EnrollDeviceAsync("24A160C3D4E5").GetAwaiter().GetResult();
        var device = new TestDevice(enrolled.DeviceId, Convert.FromHexString(enrolled.KeyHex));
        _certificate = device.AuthenticateAsync(_http).GetAwaiter().GetResult().Certificate;
    }
}
