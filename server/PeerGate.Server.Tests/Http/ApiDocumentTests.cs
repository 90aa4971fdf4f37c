using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Registry;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Http;

/// <summary>
/// Walks every endpoint the server maps (so a route added later is held to the same rules): each is in the
/// OpenAPI document with a description, its security (unless anonymous) and its problem+json refusals;
/// every GET answers HEAD; every protected route's 401 carries WWW-Authenticate; the reference page is served.
/// Endpoints marked ExcludeFromDescription (the document and reference themselves, cookie pages) are left out.
/// </summary>
[TestClass]
public sealed class ApiDocumentTests
{
    [TestMethod]
    public async Task EveryEndpointIsDocumentedWithItsSecurityDescriptionAndRefusals()
    {
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        using var document = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));
        var root = document.RootElement;

        var schemes = root.GetProperty("components").GetProperty("securitySchemes");
        foreach (var scheme in new[] { ApiDocumentation.DeviceScheme, ApiDocumentation.OperatorScheme })
        {
            Assert.AreEqual("http", schemes.GetProperty(scheme).GetProperty("type").GetString());
            Assert.AreEqual("bearer", schemes.GetProperty(scheme).GetProperty("scheme").GetString());
        }

        var problem = root.GetProperty("components").GetProperty("schemas").GetProperty(ApiDocumentation.ProblemSchema).GetProperty("properties");
        foreach (var member in new[] { "type", "title", "status", "detail", "code" })
        {
            Assert.IsTrue(problem.TryGetProperty(member, out _), member);
        }

        var endpoints = Documented(server).ToList();
        Assert.IsGreaterThan(50, endpoints.Count, "the walk found the routes");
        var paths = root.GetProperty("paths");
        foreach (var (endpoint, method, path) in endpoints)
        {
            var what = $"{method} {path}";
            Assert.IsTrue(paths.TryGetProperty(path, out var item), what + " is in the document");
            Assert.IsTrue(item.TryGetProperty(method.ToLowerInvariant(), out var operation), what + " is in the document");
            Assert.IsFalse(string.IsNullOrWhiteSpace(Text(operation, "summary")), what + " has a summary");
            Assert.IsFalse(string.IsNullOrWhiteSpace(Text(operation, "description")), what + " has a description");

            var security = operation.TryGetProperty("security", out var list) ? list.EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)).ToList() : [];
            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            if (endpoint.Metadata.GetMetadata<CertificateRequired>() is not null)
            {
                CollectionAssert.Contains(security, ApiDocumentation.DeviceScheme, what);
            }
            else if (endpoint.Metadata.GetMetadata<OperatorTokenRequired>() is not null)
            {
                CollectionAssert.Contains(security, ApiDocumentation.OperatorScheme, what);
            }
            else
            {
                Assert.IsTrue(anonymous, what + " names its security or is marked AllowAnonymous");
                Assert.IsEmpty(security, what);
            }

            var refusals = operation.GetProperty("responses").EnumerateObject().Where(r => r.Name[0] is '4' or '5').ToList();
            Assert.IsNotEmpty(refusals, what + " lists its refusals");
            foreach (var refusal in refusals)
            {
                var schema = refusal.Value.GetProperty("content").GetProperty(ApiDocumentation.ProblemMediaType).GetProperty("schema");
                Assert.IsTrue(schema.GetProperty("allOf")[0].GetProperty("$ref").GetString()!.EndsWith("/" + ApiDocumentation.ProblemSchema, StringComparison.Ordinal), what);
                var codes = schema.GetProperty("properties").GetProperty("code").GetProperty("enum").EnumerateArray().Select(c => c.GetString()).ToList();
                Assert.IsNotEmpty(codes, what + " " + refusal.Name);
            }

            var statuses = refusals.Select(r => r.Name).ToList();
            if (!anonymous)
            {
                CollectionAssert.Contains(statuses, "401", what);
            }

            if (endpoint.Metadata.GetMetadata<IAcceptsMetadata>() is { RequestType: not null })
            {
                CollectionAssert.IsSubsetOf(new[] { "400", "413", "415" }, statuses, what);
            }
        }

        // A route's own refusals are there with their codes.
        var connect = paths.GetProperty("/v1/connections").GetProperty("post").GetProperty("responses");
        StringAssert.Contains(connect.GetProperty("504").GetProperty("description").GetString(), ErrorCodes.CalleeUnreachable);
        StringAssert.Contains(connect.GetProperty("401").GetProperty("description").GetString(), ErrorCodes.CertificateExpired);
        StringAssert.Contains(connect.GetProperty("429").GetProperty("description").GetString(), ErrorCodes.RateLimited);
    }

    [TestMethod]
    public async Task EveryGetRouteAnswersHeadAsItAnswersGet()
    {
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        var gets = Routes(server).Where(route => route.Method == HttpMethods.Get).ToList();
        Assert.IsGreaterThan(15, gets.Count);
        foreach (var (endpoint, _, _) in gets)
        {
            var url = Fill(endpoint.RoutePattern.RawText!);
            using var get = await http.GetAsync(url);
            using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));
            Assert.AreNotEqual(HttpStatusCode.MethodNotAllowed, head.StatusCode, "HEAD " + url);
            Assert.AreEqual(get.StatusCode, head.StatusCode, "HEAD " + url);
            Assert.AreEqual(get.Content.Headers.ContentType?.MediaType, head.Content.Headers.ContentType?.MediaType, "HEAD " + url);
            Assert.IsEmpty(await head.Content.ReadAsByteArrayAsync(), "HEAD " + url + " has no body");
        }

        // The probes by name, with the operator's token on an operator route.
        foreach (var probe in new[] { "/health", "/health/live", "/health/ready", "/metrics", "/openapi/v1.json" })
        {
            using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, probe));
            Assert.AreEqual(HttpStatusCode.OK, head.StatusCode, probe);
        }

        using var devices = new HttpRequestMessage(HttpMethod.Head, "/v1/admin/devices");
        devices.Headers.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken);
        using var answer = await http.SendAsync(devices);
        Assert.AreEqual(HttpStatusCode.OK, answer.StatusCode);
        Assert.IsEmpty(await answer.Content.ReadAsByteArrayAsync());

        // A route that takes no GET still says so to HEAD.
        using var post = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/connections"));
        Assert.AreEqual(HttpStatusCode.MethodNotAllowed, post.StatusCode);
    }

    [TestMethod]
    public async Task EveryProtectedRoutesRefusalCarriesItsChallenge()
    {
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        var routes = Routes(server)
            .Where(route => route.Endpoint.Metadata.GetMetadata<CertificateRequired>() is not null || route.Endpoint.Metadata.GetMetadata<OperatorTokenRequired>() is not null)
            .ToList();
        Assert.IsGreaterThan(40, routes.Count);
        foreach (var (endpoint, method, _) in routes)
        {
            var device = endpoint.Metadata.GetMetadata<CertificateRequired>() is not null;
            var realm = device ? AuthenticateChallenge.DeviceRealm : AuthenticateChallenge.OperatorRealm;
            var url = Fill(endpoint.RoutePattern.RawText!);

            using var none = await http.SendAsync(Request(method, url, null));
            Assert.AreEqual(HttpStatusCode.Unauthorized, none.StatusCode, $"{method} {url}");
            await ProblemAssert.IsProblemAsync(none, HttpStatusCode.Unauthorized, device ? ErrorCodes.CertificateMissing : ErrorCodes.AdminUnauthorized);
            Assert.AreEqual($"Bearer realm=\"{realm}\"", Challenge(none), $"{method} {url} without a token");

            using var wrong = await http.SendAsync(Request(method, url, "bm90LWEtdG9rZW4"));
            await ProblemAssert.IsProblemAsync(wrong, HttpStatusCode.Unauthorized, device ? ErrorCodes.CertificateInvalid : ErrorCodes.AdminUnauthorized);
            StringAssert.StartsWith(Challenge(wrong), $"Bearer realm=\"{realm}\", error=\"invalid_token\"", $"{method} {url} with a wrong token");
        }

        // The proof route is authenticated by its body: its 401 names that scheme.
        var stranger = new TestDevice(TestDevice.NewDeviceId(), new byte[32]);
        var challenge = await stranger.ChallengeAsync(http);
        using var proof = await stranger.SendProofAsync(http, challenge);
        await ProblemAssert.IsProblemAsync(proof, HttpStatusCode.Unauthorized, ErrorCodes.AuthenticationFailed);
        Assert.AreEqual($"{AuthenticateChallenge.ProofScheme} realm=\"{AuthenticateChallenge.DeviceRealm}\", error=\"authentication_failed\"", Challenge(proof));
    }

    [TestMethod]
    public async Task TheInteractiveReferenceIsServedBesideTheDocument()
    {
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        using var page = await http.GetAsync(ApiDocumentation.ReferencePath + "/v1");
        var html = await page.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.OK, page.StatusCode, html);
        Assert.AreEqual("text/html", page.Content.Headers.ContentType?.MediaType);
        // The page resolves the document against the application's base (its path less /reference/v1): /openapi/v1.json.
        StringAssert.Contains(html, "\"url\":\"openapi/v1.json\"");
        using var spec = await http.GetAsync("/openapi/v1.json");
        Assert.AreEqual(HttpStatusCode.OK, spec.StatusCode);
        var scripts = Regex.Matches(html, "<script[^>]+src=\"([^\"]+)\"").Select(match => match.Groups[1].Value).ToList();
        Assert.IsNotEmpty(scripts, html);
        foreach (var script in scripts)
        {
            using var bundle = await http.GetAsync(new Uri(new Uri(server.BaseUrl + ApiDocumentation.ReferencePath + "/v1"), script));
            Assert.AreEqual(HttpStatusCode.OK, bundle.StatusCode, script);
            Assert.IsGreaterThan(1000, (await bundle.Content.ReadAsByteArrayAsync()).Length, script + ": served here, not from a CDN");
        }
    }

    private static HttpRequestMessage Request(string method, string url, string? token)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (method is "POST" or "PUT")
        {
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        }

        return request;
    }

    private static string Challenge(HttpResponseMessage response) =>
        response.Headers.TryGetValues("WWW-Authenticate", out var values) ? string.Join(" | ", values) : "(none)";

    private static string? Text(JsonElement element, string name) => element.TryGetProperty(name, out var value) ? value.GetString() : null;

    /// <summary>A route template with every parameter given a value of its usual form.</summary>
    private static string Fill(string path) => Regex.Replace(path, "\\{([^}:]+)(:[^}]+)?\\}", match => match.Groups[2].Value == ":int" ? "1" : "0A1B2C3D4E5F");

    /// <summary>Every route endpoint with each of its methods, in the document's path form (no constraints).</summary>
    private static IEnumerable<(RouteEndpoint Endpoint, string Method, string Path)> Routes(TestServer server) =>
        server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
                .Select(method => (endpoint, method, DocumentPath(endpoint.RoutePattern.RawText!))));

    /// <summary>The path as the document names it: no constraints, no doubled or trailing slash.</summary>
    private static string DocumentPath(string template)
    {
        var path = "/" + Regex.Replace(template, "\\{([^}:]+):[^}]+\\}", "{$1}").Replace("//", "/", StringComparison.Ordinal).Trim('/');
        return path;
    }

    private static IEnumerable<(RouteEndpoint Endpoint, string Method, string Path)> Documented(TestServer server) =>
        Routes(server).Where(route => route.Method != HttpMethods.Head
            && route.Endpoint.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true });
}
