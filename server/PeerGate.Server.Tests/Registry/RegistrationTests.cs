using System.Net.Http.Json;
using System.Net;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Registry;

[TestClass]
public sealed class RegistrationTests
{
    [TestMethod]
    public async Task RegistrationKeepsDeclaredAndObservedAddresses()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        var certificate = await device.AuthenticateAsync(http);
        var now = server.Time!.GetUtcNow().ToUnixTimeSeconds();

        using var response = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, Devices.Registration(certificate.TerminalId));
        var registered = await TestDevice.ReadAsync<RegistrationResponse>(response);

        Assert.AreEqual(certificate.TerminalId, registered.TerminalId);
        Assert.AreEqual("127.0.0.1", registered.ObservedIp);
        Assert.IsGreaterThan(0, registered.ObservedPort);
        Assert.AreEqual(now + 300, registered.ExpiresAt);
        Assert.AreEqual(now + 150, registered.RefreshAfter);

        var listed = (await server.Admin.ListDevicesAsync()).Single();
        Assert.AreEqual(device.DeviceId, listed.DeviceId);
        Assert.AreEqual(certificate.TerminalId, listed.TerminalId);
        Assert.AreEqual("192.168.1.23", listed.LocalIp);
        Assert.AreEqual(7400, listed.LocalPort);
        Assert.AreEqual("127.0.0.1", listed.ObservedIp);
        Assert.AreEqual(registered.ObservedPort, listed.ObservedPort);
        Assert.AreEqual(now, listed.LastSeen);
        Assert.IsTrue(listed.Online);

        server.Time.Advance(TimeSpan.FromSeconds(301));
        Assert.IsFalse((await server.Admin.ListDevicesAsync()).Single().Online);
    }

    [TestMethod]
    public async Task DeviceCannotRegisterAnotherTerminal()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var victim = await Devices.EnrollAsync(server);
        var attacker = await Devices.EnrollAsync(server);
        var victimCertificate = await victim.AuthenticateAsync(http);
        var attackerCertificate = await attacker.AuthenticateAsync(http);
        var before = Db.Snapshot(server);

        using var response = await TestDevice.SendRegistrationAsync(http, attackerCertificate.Certificate, Devices.Registration(victimCertificate.TerminalId));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, ErrorCodes.NotOwnTerminal);
        Assert.AreEqual(before, Db.Snapshot(server));
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM registrations"));
    }

    [TestMethod]
    public async Task RegistrationWithoutAValidCertificateIsRefused()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        var certificate = await device.AuthenticateAsync(http);
        var request = Devices.Registration(certificate.TerminalId);
        var parts = certificate.Certificate.Split('.');
        var tampered = parts[0] + "." + (parts[1][0] == 'A' ? "B" : "A") + parts[1][1..];

        using var missing = await http.PostAsJsonAsync(Routes.Registrations, request);
        using var garbage = await TestDevice.SendRegistrationAsync(http, "not-a-certificate", request);
        using var forged = await TestDevice.SendRegistrationAsync(http, tampered, request);

        await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.Unauthorized, ErrorCodes.CertificateMissing);
        await ProblemAssert.IsProblemAsync(garbage, HttpStatusCode.Unauthorized, ErrorCodes.CertificateInvalid);
        await ProblemAssert.IsProblemAsync(forged, HttpStatusCode.Unauthorized, ErrorCodes.CertificateInvalid);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM registrations"));
    }

    [TestMethod]
    public async Task RevokedCertificateIsRefused()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        var certificate = await device.AuthenticateAsync(http);
        await server.Admin.RevokeCertificateAsync(certificate.Serial);
        var before = Db.Snapshot(server);

        using var response = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, Devices.Registration(certificate.TerminalId));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked);
        Assert.AreEqual(before, Db.Snapshot(server));
    }

    [TestMethod]
    public async Task RevokingADeviceRevokesItsCertificatesAndDisablesIt()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        var certificate = await device.AuthenticateAsync(http);

        await server.Admin.RevokeDeviceAsync(device.DeviceId);
        using var registration = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, Devices.Registration(certificate.TerminalId));
        using var proof = await device.SendProofAsync(http, await device.ChallengeAsync(http));

        await ProblemAssert.IsProblemAsync(registration, HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked);
        await ProblemAssert.IsProblemAsync(proof, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);
        Assert.IsTrue((await server.Admin.ListDevicesAsync()).Single().Disabled);
    }

    [TestMethod]
    public async Task ExpiredCertificateIsRefused()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        var certificate = await device.AuthenticateAsync(http);

        server.Time!.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        using var response = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, Devices.Registration(certificate.TerminalId));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.CertificateExpired);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM registrations"));
    }

    [TestMethod]
    public async Task CertificateFromTrustedIssuerIsAcceptedUntilRevokedThere()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        await using var issuer = await TestServer.StartAsync(new TestServerOptions { Time = clock, IssuerName = "auth-a" });
        await using var registry = await TestServer.StartAsync(new TestServerOptions
        {
            Time = clock,
            IssuerName = "registry-b",
            TrustedIssuers = [issuer.AsTrustedIssuer()],
        });
        using var issuerHttp = issuer.CreateClient();
        using var registryHttp = registry.CreateClient();
        var device = await Devices.EnrollAsync(issuer);
        var certificate = await device.AuthenticateAsync(issuerHttp);

        using (var accepted = await TestDevice.SendRegistrationAsync(registryHttp, certificate.Certificate, Devices.Registration(certificate.TerminalId)))
        {
            Assert.AreEqual(HttpStatusCode.OK, accepted.StatusCode, await accepted.Content.ReadAsStringAsync());
        }

        await issuer.Admin.RevokeCertificateAsync(certificate.Serial);

        // Within the cache lifetime B still uses what it fetched; after it, B sees the revocation.
        using (var stillCached = await TestDevice.SendRegistrationAsync(registryHttp, certificate.Certificate, Devices.Registration(certificate.TerminalId)))
        {
            Assert.AreEqual(HttpStatusCode.OK, stillCached.StatusCode);
        }

        clock.Advance(TimeSpan.FromSeconds(31));
        using var refused = await TestDevice.SendRegistrationAsync(registryHttp, certificate.Certificate, Devices.Registration(certificate.TerminalId));
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked);
    }

    [TestMethod]
    public async Task CertificateFromUntrustedIssuerIsInvalid()
    {
        await using var issuer = await TestServer.StartAsync(new TestServerOptions { IssuerName = "auth-a" });
        await using var registry = await TestServer.StartAsync(new TestServerOptions { IssuerName = "registry-b" });
        using var issuerHttp = issuer.CreateClient();
        using var registryHttp = registry.CreateClient();
        var device = await Devices.EnrollAsync(issuer);
        var certificate = await device.AuthenticateAsync(issuerHttp);

        using var response = await TestDevice.SendRegistrationAsync(registryHttp, certificate.Certificate, Devices.Registration(certificate.TerminalId));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.CertificateInvalid);
        Assert.AreEqual(0, Db.Count(registry, "SELECT count(*) FROM registrations"));
    }
}
