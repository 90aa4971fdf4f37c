using System.Net;
using Microsoft.Extensions.Time.Testing;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Identity;

/// <summary>
/// A certificate issued further in the future than the clock skew (default 5 min) is refused with
/// certificate_not_yet_valid; within it, it is accepted. Expiry allows no skew.
/// </summary>
[TestClass]
public sealed class CertificateClockSkewTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    [TestMethod]
    [DataRow(6 * 60, false)]
    [DataRow(5 * 60 + 1, false)]
    [DataRow(5 * 60, true)]
    [DataRow(4 * 60, true)]
    public async Task AnIssuerAheadOfTheRegistryIsAcceptedWithinTheSkewOnly(int aheadSeconds, bool accepted)
    {
        var issuerClock = new FakeTimeProvider(Start + TimeSpan.FromSeconds(aheadSeconds));
        var registryClock = new FakeTimeProvider(Start);
        await using var issuer = await TestServer.StartAsync(new TestServerOptions { Time = issuerClock, IssuerName = "auth-a" });
        await using var registry = await TestServer.StartAsync(new TestServerOptions
        {
            Time = registryClock,
            IssuerName = "registry-b",
            TrustedIssuers = [issuer.AsTrustedIssuer()],
        });
        using var issuerHttp = issuer.CreateClient();
        using var registryHttp = registry.CreateClient();
        var certificate = await (await Devices.EnrollAsync(issuer)).AuthenticateAsync(issuerHttp);
        var before = Db.Snapshot(registry);

        using var response = await TestDevice.SendRegistrationAsync(registryHttp, certificate.Certificate, Devices.Registration(certificate.TerminalId));

        if (accepted)
        {
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
            return;
        }

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.CertificateNotYetValid);
        Assert.AreEqual(before, Db.Snapshot(registry), "nothing stored");

        // Once the registry's clock is within the skew of IssuedAt, the same certificate is good.
        registryClock.Advance(TimeSpan.FromSeconds(aheadSeconds - (5 * 60)));
        using var later = await TestDevice.SendRegistrationAsync(registryHttp, certificate.Certificate, Devices.Registration(certificate.TerminalId));
        Assert.AreEqual(HttpStatusCode.OK, later.StatusCode, await later.Content.ReadAsStringAsync());
    }

    [TestMethod]
    public async Task TheSkewIsASettingAndExpiryAllowsNone()
    {
        var issuerClock = new FakeTimeProvider(Start + TimeSpan.FromSeconds(30));
        var registryClock = new FakeTimeProvider(Start);
        await using var issuer = await TestServer.StartAsync(new TestServerOptions { Time = issuerClock, IssuerName = "auth-a" });
        await using var registry = await TestServer.StartAsync(new TestServerOptions
        {
            Time = registryClock,
            IssuerName = "registry-b",
            TrustedIssuers = [issuer.AsTrustedIssuer()],
            Configure = o => o.CertificateClockSkew = TimeSpan.FromSeconds(10),
        });
        using var issuerHttp = issuer.CreateClient();
        using var registryHttp = registry.CreateClient();
        var certificate = await (await Devices.EnrollAsync(issuer)).AuthenticateAsync(issuerHttp);

        using var early = await TestDevice.SendRegistrationAsync(registryHttp, certificate.Certificate, Devices.Registration(certificate.TerminalId));
        await ProblemAssert.IsProblemAsync(early, HttpStatusCode.Unauthorized, ErrorCodes.CertificateNotYetValid);

        // At ExpiresAt on the registry's clock, exactly: expired, with no grace.
        registryClock.SetUtcNow(DateTimeOffset.FromUnixTimeSeconds(certificate.ExpiresAt));
        issuerClock.SetUtcNow(DateTimeOffset.FromUnixTimeSeconds(certificate.ExpiresAt));
        using var expired = await TestDevice.SendRegistrationAsync(registryHttp, certificate.Certificate, Devices.Registration(certificate.TerminalId));
        await ProblemAssert.IsProblemAsync(expired, HttpStatusCode.Unauthorized, ErrorCodes.CertificateExpired);
    }
}
