using System.Net;
using System.Net.Http.Json;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Identity;

/// <summary>What one address may ask before it has proved anything: a bucket per address, then 429 rate_limited.</summary>
[TestClass]
public sealed class RateLimitTests
{
    [TestMethod]
    public async Task ChallengesPastTheBucketAreRefusedWithRetryAfterAndStoreNoNonce()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = o => o.UnauthenticatedRequestsPerMinute = 3 });
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        for (var i = 0; i < 3; i++)
        {
            using var allowed = await device.RequestChallengeAsync(http);
            Assert.AreEqual(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var refused = await device.RequestChallengeAsync(http);

        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        Assert.IsTrue(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {refused.Headers.RetryAfter}");
        Assert.AreEqual(3, Db.Count(server, "SELECT count(*) FROM nonces"));
    }

    [TestMethod]
    public async Task ProofsAndAllocationLookupsDrawOnTheSameBucketButCertifiedRequestsDoNot()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = o => o.UnauthenticatedRequestsPerMinute = 2 });
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);

        // Challenge and proof take the two tokens.
        var certificate = await device.AuthenticateAsync(http);
        using var lookup = await http.PostAsJsonAsync(Routes.AllocationResolve, new AllocationRequest { Level = 1, Key = "acme" }, PeerGate.Protocol.Host.WireJson.Options);
        using var registration = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, Devices.Registration(certificate.TerminalId));

        await ProblemAssert.IsProblemAsync(lookup, HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        Assert.AreEqual(HttpStatusCode.OK, registration.StatusCode);
    }

    [TestMethod]
    public async Task ZeroTurnsTheLimitOff()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = o => o.UnauthenticatedRequestsPerMinute = 0 });
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);

        for (var i = 0; i < 20; i++)
        {
            using var allowed = await device.RequestChallengeAsync(http);
            Assert.AreEqual(HttpStatusCode.OK, allowed.StatusCode, $"challenge {i + 1}");
        }
    }
}
