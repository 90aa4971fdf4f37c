using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Server.Testing;
using PeerGate.Server.Tests.Sessions;

namespace PeerGate.Server.Tests.Http;

/// <summary>Authenticated writes are limited per Terminal ID: 429 rate_limited with Retry-After past the bucket, nothing stored, polls not counted.</summary>
[TestClass]
public sealed class DeviceWriteLimitTests
{
    [TestMethod]
    public async Task WritesPastTheBucketAreRefusedWithRetryAfterAndStoreNothing()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = o => o.DeviceWritesPerMinute = 3 });
        using var http = server.CreateClient();
        var device = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        for (var port = 1; port <= 3; port++)
        {
            using var allowed = await Register(http, device, port);
            Assert.AreEqual(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var refused = await Register(http, device, 4);
        using var permits = await TestDevice.SendPermitsAsync(http, device.Certificate, TestDevice.Operation(PermitOps.Add, TestDevice.Entry(PermitKinds.Group, "lab")));
        using var query = await TestDevice.RequestConnectionAsync(http, device.Certificate, "T0000000000000000");

        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        Assert.AreEqual(TimeSpan.FromSeconds(20), refused.Headers.RetryAfter?.Delta, "one write back every 20 s");
        await ProblemAssert.IsProblemAsync(permits, HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        await ProblemAssert.IsProblemAsync(query, HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        Assert.AreEqual(3, Db.Count(server, "SELECT local_port FROM registrations"));
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM permits"));
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM connection_attempts"));

        // Polls are reads: never counted, never refused.
        using var poll = await TestDevice.GetWithCertificateAsync(http, device.Certificate, Routes.Triggers + "?after=99");
        await ProblemAssert.IsProblemAsync(poll, HttpStatusCode.Conflict, ErrorCodes.CursorAhead);

        // The bucket refills on the server's clock.
        server.Time!.Advance(TimeSpan.FromSeconds(20));
        using var again = await Register(http, device, 5);
        Assert.AreEqual(HttpStatusCode.OK, again.StatusCode);
        Assert.AreEqual(5, Db.Count(server, "SELECT local_port FROM registrations"));
    }

    [TestMethod]
    public async Task EachDeviceHasItsOwnBucketBehindOneAddress()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = o => o.DeviceWritesPerMinute = 1 });
        using var http = server.CreateClient();
        var first = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        var second = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);

        using var firstOnce = await Register(http, first, 1);
        using var firstAgain = await Register(http, first, 2);
        using var secondOnce = await Register(http, second, 1);

        Assert.AreEqual(HttpStatusCode.OK, firstOnce.StatusCode);
        await ProblemAssert.IsProblemAsync(firstAgain, HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        Assert.AreEqual(HttpStatusCode.OK, secondOnce.StatusCode);
    }

    [TestMethod]
    public async Task ExtensionsEndNoticesAndRepliesCountToo()
    {
        await using var server = await TestServer.StartAsync();
        await using var pair = await SessionPair.ConnectAsync(server, new ConnectionRequest { ByteLimit = 1000 });
        server.Services.GetRequiredService<ServerOptions>().DeviceWritesPerMinute = 1;

        using var extended = await TestDevice.ExtendSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 0, 1);
        using var extendedAgain = await TestDevice.ExtendSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 0, 1);
        using var ended = await TestDevice.EndSessionAsync(pair.Http, pair.Caller.Certificate, pair.SessionId, 1, 1, SessionEndReasons.Completed);
        using var replied = await TestDevice.ReplyToTriggerAsync(pair.Http, pair.Callee.Certificate, TestDevice.Reply(1));
        using var repliedAgain = await TestDevice.ReplyToTriggerAsync(pair.Http, pair.Callee.Certificate, TestDevice.Reply(1));

        Assert.AreEqual(HttpStatusCode.OK, extended.StatusCode);
        await ProblemAssert.IsProblemAsync(extendedAgain, HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        await ProblemAssert.IsProblemAsync(ended, HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        Assert.AreEqual(1001, Db.Count(server, "SELECT byte_limit FROM sessions"));
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM session_notices"));
        await ProblemAssert.IsProblemAsync(repliedAgain, HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
    }

    private static Task<HttpResponseMessage> Register(HttpClient http, CertificateResponse device, int port)
    {
        var registration = Devices.Registration(device.TerminalId);
        registration.LocalPort = port;
        return TestDevice.SendRegistrationAsync(http, device.Certificate, registration);
    }
}
