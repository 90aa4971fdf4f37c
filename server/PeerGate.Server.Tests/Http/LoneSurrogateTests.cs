using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Http;

/// <summary>
/// A JSON string or name escaping a lone surrogate (<c>"\ud800"</c>) is no text: every route that
/// takes a body refuses it as malformed_json, before any credential matters, and stores nothing.
/// </summary>
[TestClass]
public sealed partial class LoneSurrogateTests
{
    [TestMethod]
    public async Task EveryBodyRouteRefusesLoneSurrogatesInNamesAndValues()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        var certificate = await Devices.RegisterAsync(server, http, device);
        var before = Db.Snapshot(server) + ",nonces=" + Db.Count(server, "SELECT count(*) FROM nonces");

        var routes = BodyRoutes(server).ToList();
        Assert.HasCount(23, routes, string.Join(", ", routes.Select(route => route.Method + " " + route.Template)));

        var sent = 0;
        foreach (var (method, template, type) in routes)
        {
            var path = Parameter().Replace(template, match => match.Groups[1].Value switch
            {
                "terminalId" => certificate.TerminalId,
                "level" => "1",
                _ => "x-1",
            });
            var token = path.StartsWith("/v1/admin", StringComparison.Ordinal) ? server.AdminToken : certificate.Certificate;
            foreach (var body in Bodies(type))
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await http.SendAsync(request);
                await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.MalformedJson);
                sent++;
            }
        }

        // And with no credential at all: the body is read first, and never crashes the server.
        using var anonymous = await http.PostAsync(Routes.AuthChallenge, new StringContent("{\"DeviceI\\ud800\":\"x\"}", Encoding.UTF8, "application/json"));
        await ProblemAssert.IsProblemAsync(anonymous, HttpStatusCode.BadRequest, ErrorCodes.MalformedJson);

        Assert.IsGreaterThan(routes.Count * 2, sent);
        Assert.AreEqual(before, Db.Snapshot(server) + ",nonces=" + Db.Count(server, "SELECT count(*) FROM nonces"));
    }

    /// <summary>Every endpoint that declares a JSON body, as the running server maps it.</summary>
    private static IEnumerable<(string Method, string Template, Type Type)> BodyRoutes(TestServer server) =>
        server.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(endpoint => endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType is not null)
            .Select(endpoint => (
                endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Single(),
                "/" + endpoint.RoutePattern.RawText!.TrimStart('/'),
                endpoint.Metadata.GetMetadata<IAcceptsMetadata>()!.RequestType!));

    /// <summary>
    /// For each member of the message: its name with the last letter turned into a lone surrogate (same
    /// length, so name comparison has to unescape it), then the member with a lone surrogate as value,
    /// alone and inside an array.
    /// </summary>
    private static IEnumerable<string> Bodies(Type type)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = property.Name;
            yield return $"{{\"{name[..^1]}\\ud800\":\"x\"}}";
            yield return $"{{\"{name}\":\"a\\udc00\"}}";
            yield return $"{{\"{name}\":[\"\\ud83d\"]}}";
        }
    }

    [GeneratedRegex("\\{([A-Za-z]+)(:[a-z]+)?\\}")]
    private static partial Regex Parameter();
}
