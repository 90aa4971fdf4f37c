using System.Net;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Identity;

/// <summary>
/// A certificate's signature is verified once and remembered, but nothing else is: a certificate
/// revoked, or a device disabled, between two requests is refused on the very next one, an expired
/// one when it expires, and a certificate altered by one byte is never taken for the remembered one.
/// </summary>
[TestClass]
public sealed class VerifiedCertificateCacheTests
{
    private static Task<HttpResponseMessage> RequestAsync(HttpClient http, CertificateResponse certificate, string? token = null) =>
        TestDevice.SendRegistrationAsync(http, token ?? certificate.Certificate, Devices.Registration(certificate.TerminalId));

    [TestMethod]
    public async Task ARevokedCertificateIsRefusedOnTheVeryNextRequestAfterItWasServed()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var certificate = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        for (var i = 0; i < 3; i++)
        {
            using var served = await RequestAsync(http, certificate);
            Assert.AreEqual(HttpStatusCode.OK, served.StatusCode, "served while it stands");
        }

        await server.Admin.RevokeCertificateAsync(certificate.Serial);

        using var refused = await RequestAsync(http, certificate);
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked);
    }

    [TestMethod]
    public async Task ADisabledDeviceAndAnExpiredCertificateAreRefusedThoughTheSignatureWasSeen()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var disabled = await Devices.EnrollAsync(server);
        var disabledCertificate = await disabled.AuthenticateAsync(http);
        var expiring = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        using (var first = await RequestAsync(http, disabledCertificate))
        using (var second = await RequestAsync(http, expiring))
        {
            Assert.AreEqual(HttpStatusCode.OK, first.StatusCode);
            Assert.AreEqual(HttpStatusCode.OK, second.StatusCode);
        }

        await server.Admin.DisableDeviceAsync(disabled.DeviceId);
        using var refused = await RequestAsync(http, disabledCertificate);
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);

        server.Time!.Advance(TimeSpan.FromSeconds(expiring.ExpiresAt - server.Time.GetUtcNow().ToUnixTimeSeconds()));
        using var expired = await RequestAsync(http, expiring);
        await ProblemAssert.IsProblemAsync(expired, HttpStatusCode.Unauthorized, ErrorCodes.CertificateExpired);
    }

    [TestMethod]
    public async Task ACertificateWithOneSignatureByteChangedIsRefusedAfterTheGenuineOneWasServed()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var certificate = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        using (var served = await RequestAsync(http, certificate))
        {
            Assert.AreEqual(HttpStatusCode.OK, served.StatusCode);
        }

        // The token ends in the base64url signature: change its last full character.
        var token = certificate.Certificate;
        var at = token.Length - 2;
        var altered = token[..at] + (token[at] == 'A' ? 'B' : 'A') + token[(at + 1)..];

        using var refused = await RequestAsync(http, certificate, altered);
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, ErrorCodes.CertificateInvalid);
    }
}
