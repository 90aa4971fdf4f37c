using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Server.Identity;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Identity;

/// <summary>
/// A trusted issuer is trusted only through the keys pinned for it, its revocation list only when
/// signed with one of them and not older than the last, and its certificates only for Terminal IDs
/// that are its own here: a certificate of issuer B carrying a Terminal ID this registry knows under
/// issuer A (or under another device of B) is refused on every certificate route.
/// </summary>
[TestClass]
public sealed class TrustedIssuerTests
{
    private const string Self = "auth-a";
    private const string Other = "auth-b";

    [TestMethod]
    public async Task CertificateOfAnotherIssuerCarryingAnOwnTerminalIdIsRefusedOnEveryCertificateRoute()
    {
        await using var other = await TestServer.StartAsync(new TestServerOptions { IssuerName = Other });
        await using var server = await TestServer.StartAsync(new TestServerOptions { IssuerName = Self, Time = other.Time, TrustedIssuers = [other.AsTrustedIssuer()] });
        await using var scene = await DisabledDeviceTests.Scene.StartAsync(server);

        // B signs, with its real key, a certificate naming A's device: same Terminal ID, same Device ID, same group.
        var forged = Forge(other, scene.Subject.TerminalId, scene.Device.DeviceId);

        // The peer's line takes what the session's setup queued for it; then the database holds still.
        await Eventually.TrueAsync(() => Db.Count(server, "SELECT count(*) FROM triggers") == 0, "the peer took its triggers");
        var before = Db.Snapshot(server);
        foreach (var (route, request) in DisabledDeviceTests.CertificateRoutes)
        {
            using var response = await scene.SendAsync(request(scene), forged);
            var body = await response.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.Forbidden, response.StatusCode, $"{route}: {body}");
            Assert.AreEqual(ErrorCodes.TerminalIssuerMismatch, DisabledDeviceTests.CodeOf(body), $"{route}: {body}");
            Assert.DoesNotContain(scene.Peer.TerminalId, body, route);
            Assert.DoesNotContain(scene.SessionId, body, route);
        }

        Assert.AreEqual(before, Db.Snapshot(server), "a refusal changes nothing");
        Assert.AreEqual(1, Db.Count(server, "SELECT count(*) FROM registrations WHERE terminal_id = @t AND issuer = @i AND serial = @s", ("@t", scene.Subject.TerminalId), ("@i", Self), ("@s", scene.Subject.Serial)));
        Assert.AreEqual(1, Db.Count(server, "SELECT count(*) FROM sessions WHERE session_id = @s AND state = 'active'", ("@s", scene.SessionId)));
        Assert.IsFalse(server.IsPolling(scene.Subject.TerminalId));

        // A's own certificate still reaches every route.
        using var own = await scene.SendAsync(DisabledDeviceTests.CertificateRoutes["GET /v1/sessions/"](scene));
        Assert.AreEqual(HttpStatusCode.OK, own.StatusCode);
    }

    [TestMethod]
    public async Task TerminalIdOfAnotherIssuersDeviceStaysBoundToThatDevice()
    {
        await using var other = await TestServer.StartAsync(new TestServerOptions { IssuerName = Other });
        await using var third = await TestServer.StartAsync(new TestServerOptions { IssuerName = "auth-c", Time = other.Time });
        await using var server = await TestServer.StartAsync(new TestServerOptions
        {
            IssuerName = Self,
            Time = other.Time,
            TrustedIssuers = [other.AsTrustedIssuer(), third.AsTrustedIssuer()],
        });
        using var http = server.CreateClient();
        using var otherHttp = other.CreateClient();
        var device = await Devices.EnrollAsync(other);
        var certificate = await device.AuthenticateAsync(otherHttp);
        using (var accepted = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, Devices.Registration(certificate.TerminalId)))
        {
            Assert.AreEqual(HttpStatusCode.OK, accepted.StatusCode, await accepted.Content.ReadAsStringAsync());
        }

        // Another trusted issuer, and another device of the same issuer, cannot take that Terminal ID.
        foreach (var forged in new[] { Forge(third, certificate.TerminalId, device.DeviceId), Forge(other, certificate.TerminalId, "intruder-device") })
        {
            var before = Db.Snapshot(server);
            using var poll = await TestDevice.GetWithCertificateAsync(http, forged, Routes.Triggers + "?after=999999");
            await ProblemAssert.IsProblemAsync(poll, HttpStatusCode.Forbidden, ErrorCodes.TerminalIssuerMismatch);
            using var register = await TestDevice.SendRegistrationAsync(http, forged, Devices.Registration(certificate.TerminalId));
            await ProblemAssert.IsProblemAsync(register, HttpStatusCode.Forbidden, ErrorCodes.TerminalIssuerMismatch);
            Assert.AreEqual(before, Db.Snapshot(server));
        }

        Assert.AreEqual(1, Db.Count(server, "SELECT count(*) FROM registrations WHERE terminal_id = @t AND issuer = @i AND serial = @s", ("@t", certificate.TerminalId), ("@i", Other), ("@s", certificate.Serial)));
        using var again = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, Devices.Registration(certificate.TerminalId));
        Assert.AreEqual(HttpStatusCode.OK, again.StatusCode);
    }

    [TestMethod]
    public async Task IssuerKeyThatIsNotPinnedIsRefusedEvenWhenItsUrlServesIt()
    {
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using var other = await TestServer.StartAsync(new TestServerOptions { IssuerName = Other });
        await using var server = await TestServer.StartAsync(new TestServerOptions
        {
            IssuerName = Self,
            Time = other.Time,
            TrustedIssuers = [new TrustedIssuer(Other, other.BaseUrl, [Convert.ToBase64String(stranger.ExportSubjectPublicKeyInfo())])],
        });
        using var http = server.CreateClient();
        using var otherHttp = other.CreateClient();
        var certificate = await (await Devices.EnrollAsync(other)).AuthenticateAsync(otherHttp);

        // B's URL serves B's real key; only the pinned key counts.
        var served = await TestDevice.ReadAsync<IssuerKey>(await otherHttp.GetAsync(Routes.AuthPublicKey));
        Assert.AreEqual(other.PublicKey, served.PublicKey);
        var before = Db.Snapshot(server);
        using var refused = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, Devices.Registration(certificate.TerminalId));
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, ErrorCodes.CertificateInvalid);
        using var poll = await TestDevice.GetWithCertificateAsync(http, certificate.Certificate, Routes.Triggers + "?after=999999");
        await ProblemAssert.IsProblemAsync(poll, HttpStatusCode.Unauthorized, ErrorCodes.CertificateInvalid);
        Assert.AreEqual(before, Db.Snapshot(server));
    }

    [TestMethod]
    public async Task DuringARotationCertificatesOfTheOldAndTheNewKeyAreAccepted()
    {
        using var retired = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var oldKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using var other = await TestServer.StartAsync(new TestServerOptions { IssuerName = Other });
        await using var server = await TestServer.StartAsync(new TestServerOptions
        {
            IssuerName = Self,
            Time = other.Time,
            TrustedIssuers = [new TrustedIssuer(Other, other.BaseUrl, [oldKey.ExportSubjectPublicKeyInfoPem(), other.PublicKey])],
        });
        using var http = server.CreateClient();
        var now = other.Time!.GetUtcNow().ToUnixTimeSeconds();

        foreach (var (key, accepted) in new[] { (oldKey, true), (SigningKeyOf(other), true), (retired, false) })
        {
            var terminalId = "T" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
            var token = CertificateToken.Sign(new CertificatePayload(terminalId, "rotating-" + terminalId, Other, now, now + 3600, Guid.NewGuid().ToString("N"), []), key);
            using var response = await TestDevice.SendRegistrationAsync(http, token, Devices.Registration(terminalId));
            if (accepted)
            {
                Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
            }
            else
            {
                await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.CertificateInvalid);
            }
        }
    }

    [TestMethod]
    [DataRow("unsigned")]
    [DataRow("tampered")]
    [DataRow("other-key")]
    [DataRow("other-issuer")]
    [DataRow("older-than-last")]
    [DataRow("too-old")]
    [DataRow("ahead")]
    [DataRow("unreachable")]
    [DataRow("oversized")]
    public async Task RevocationListThatCannotBeAuthenticatedFailsClosed(string what)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using var issuer = await FakeIssuer.StartAsync();
        await using var server = await TestServer.StartAsync(new TestServerOptions
        {
            IssuerName = Self,
            TrustedIssuers = [new TrustedIssuer(Other, issuer.BaseUrl, [Convert.ToBase64String(key.ExportSubjectPublicKeyInfo())])],
        });
        using var http = server.CreateClient();
        var clock = server.Time!;
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var revokedSerial = Guid.NewGuid().ToString("N");
        var token = CertificateToken.Sign(new CertificatePayload("T00FEEDC0FFEE0001", "sensor-1", Other, now, now + 7200, revokedSerial, []), key);

        // A good list is accepted: the certificate is not on it.
        issuer.Serve(Signed(Other, now, [], key));
        using (var first = await TestDevice.SendRegistrationAsync(http, token, Devices.Registration("T00FEEDC0FFEE0001")))
        {
            Assert.AreEqual(HttpStatusCode.OK, first.StatusCode, await first.Content.ReadAsStringAsync());
        }

        // Past the cache lifetime; past the 300 s the list may be from now for "too-old".
        var accepted = now;
        clock.Advance(TimeSpan.FromSeconds(what == "too-old" ? 400 : 31));
        now = clock.GetUtcNow().ToUnixTimeSeconds();
        var list = what switch
        {
            "unsigned" => new RevocationList { Issuer = Other, IssuedAt = now, Serials = [] },
            "tampered" => Tamper(Signed(Other, now, [revokedSerial], key)),
            "other-key" => Signed(Other, now, [], stranger),
            "other-issuer" => Signed("auth-c", now, [], key),
            "older-than-last" => Signed(Other, accepted - 1, [], key),
            "too-old" => Signed(Other, accepted + 50, [], key),
            "ahead" => Signed(Other, now + 301, [], key),
            "oversized" => Signed(Other, now, Enumerable.Range(0, (TrustedIssuers.MaxAnswerBytes / 32) + 1).Select(i => i.ToString("x32")).ToArray(), key),
            _ => null,
        };
        issuer.Serve(list);

        var before = Db.Snapshot(server);
        using var refused = await TestDevice.SendRegistrationAsync(http, token, Devices.Registration("T00FEEDC0FFEE0001"));
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, ErrorCodes.CertificateInvalid);
        StringAssert.Contains(await refused.Content.ReadAsStringAsync(), "cannot be reached to check it");
        using var poll = await TestDevice.GetWithCertificateAsync(http, token, Routes.Triggers + "?after=999999");
        await ProblemAssert.IsProblemAsync(poll, HttpStatusCode.Unauthorized, ErrorCodes.CertificateInvalid);
        Assert.AreEqual(before, Db.Snapshot(server));

        // A fresh, signed list is accepted again, and what it lists is refused.
        issuer.Serve(Signed(Other, now, [revokedSerial], key));
        using var revoked = await TestDevice.SendRegistrationAsync(http, token, Devices.Registration("T00FEEDC0FFEE0001"));
        await ProblemAssert.IsProblemAsync(revoked, HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked);
    }

    [TestMethod]
    public async Task PublishedRevocationListVerifiesWithThePublishedKeyOnly()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { IssuerName = Self });
        using var http = server.CreateClient();
        var list = await TestDevice.ReadAsync<RevocationList>(await http.GetAsync(Routes.AuthRevocations));
        using var published = ECDsa.Create();
        published.ImportSubjectPublicKeyInfo(Convert.FromBase64String(server.PublicKey), out _);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        Assert.AreEqual(Self, list.Issuer);
        Assert.IsTrue(RevocationSigning.Verify(list, [published]));
        Assert.IsFalse(RevocationSigning.Verify(list, [stranger]));
        list.IssuedAt++;
        Assert.IsFalse(RevocationSigning.Verify(list, [published]), "the issued-at is signed");
    }

    [TestMethod]
    public async Task KeyShownByTheOperatorCommandIsWhatAnotherInstancePins()
    {
        await using var other = await TestServer.StartAsync(new TestServerOptions { IssuerName = Other });
        using var output = new StringWriter();
        Assert.AreEqual(0, await PeerGate.Operator.Cli.OperatorCli.RunAsync(["issuer-key"], output, TextWriter.Null, other.Admin));
        var pinned = output.ToString().Split('\n').Single(line => line.StartsWith("PeerGate:TrustedIssuers:N:PublicKeys:M = ", StringComparison.Ordinal))
            .Split(" = ")[1].Trim();
        StringAssert.Contains(output.ToString(), "PeerGate:TrustedIssuers:N:Name = " + Other);

        await using var server = await TestServer.StartAsync(new TestServerOptions
        {
            IssuerName = Self,
            Time = other.Time,
            TrustedIssuers = [new TrustedIssuer(Other, other.BaseUrl, [pinned])],
        });
        using var http = server.CreateClient();
        using var otherHttp = other.CreateClient();
        var certificate = await (await Devices.EnrollAsync(other)).AuthenticateAsync(otherHttp);
        using var accepted = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, Devices.Registration(certificate.TerminalId));
        Assert.AreEqual(HttpStatusCode.OK, accepted.StatusCode, await accepted.Content.ReadAsStringAsync());
    }

    [TestMethod]
    public async Task TrustedIssuerWithoutAUsablePinnedKeyDoesNotStart()
    {
        foreach (var keys in new[] { Array.Empty<string>(), ["bm90IGEga2V5"] })
        {
            var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(new TestServerOptions
            {
                TrustedIssuers = [new TrustedIssuer(Other, "https://auth-b.example", keys)],
            }));
            StringAssert.Contains(exception.Message, Other);
        }
    }

    private static string Forge(TestServer issuer, string terminalId, string deviceId)
    {
        var now = issuer.Time!.GetUtcNow().ToUnixTimeSeconds();
        var signingKey = issuer.Services.GetRequiredService<SigningKey>();
        var payload = new CertificatePayload(terminalId, deviceId, signingKey.Issuer, now, now + 3600, Guid.NewGuid().ToString("N"), [DisabledDeviceTests.Group]);
        return CertificateToken.Sign(payload, signingKey.Key);
    }

    private static ECDsa SigningKeyOf(TestServer server) => server.Services.GetRequiredService<SigningKey>().Key;

    private static RevocationList Signed(string issuer, long issuedAt, string[] serials, ECDsa key)
    {
        var list = new RevocationList { Issuer = issuer, IssuedAt = issuedAt, Serials = serials };
        RevocationSigning.Sign(list, key);
        return list;
    }

    private static RevocationList Tamper(RevocationList list)
    {
        list.Serials = [];
        return list;
    }

    /// <summary>An issuer's URL that answers the revocation list the test gives it (404 for null).</summary>
    private sealed class FakeIssuer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private volatile RevocationList? _list;

        private FakeIssuer(WebApplication app) => _app = app;

        public string BaseUrl => _app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();

        public static async Task<FakeIssuer> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var issuer = new FakeIssuer(app);
            app.MapGet(Routes.AuthRevocations, () => issuer._list is { } list ? Results.Json(list, WireJson.Options) : Results.NotFound());
            await app.StartAsync();
            return issuer;
        }

        public void Serve(RevocationList? list) => _list = list;

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
