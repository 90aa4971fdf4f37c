using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PeerGate.Protocol;
using PeerGate.Server.Identity;
using PeerGate.Server.Storage;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Identity;

/// <summary>
/// A repeat request with a certificate is answered from memory (the token's checks kept, standing in
/// <see cref="StandingSet"/>), and every writer of a device's standing keeps that memory current: each
/// refusal holds on the very next request and each restore is accepted on the next one, also after a
/// restart. The source scan proves there is no writer these tests leave out.
/// </summary>
[TestClass]
public sealed partial class InMemoryStandingTests
{
    private const string Cell = "cell-4";

    private static Task<HttpResponseMessage> RequestAsync(HttpClient http, CertificateResponse certificate) =>
        TestDevice.SendRegistrationAsync(http, certificate.Certificate, Devices.Registration(certificate.TerminalId));

    private static async Task AcceptedAsync(HttpClient http, CertificateResponse certificate, string why)
    {
        using var response = await RequestAsync(http, certificate);
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, why);
    }

    private static async Task RefusedAsync(HttpClient http, CertificateResponse certificate, HttpStatusCode status, string code)
    {
        using var response = await RequestAsync(http, certificate);
        await ProblemAssert.IsProblemAsync(response, status, code);
    }

    /// <summary>A device in group <see cref="Cell"/> authenticated and served once, so its token is cached.</summary>
    private static async Task<(TestDevice Device, CertificateResponse Certificate)> ServedAsync(TestServer server, HttpClient http)
    {
        var device = await Devices.EnrollAsync(server, Cell);
        var certificate = await device.AuthenticateAsync(http);
        await AcceptedAsync(http, certificate, "served while it stands");
        await AcceptedAsync(http, certificate, "served again, from the cache");
        return (device, certificate);
    }

    [TestMethod]
    public async Task DisablingADeviceRefusesItsNextRequestAndEnablingAcceptsTheNextOne()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (device, certificate) = await ServedAsync(server, http);
        var (_, bystander) = await ServedAsync(server, http);

        await server.Admin.DisableDeviceAsync(device.DeviceId);
        await RefusedAsync(http, certificate, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);
        await AcceptedAsync(http, bystander, "another device is not touched");

        await server.Admin.EnableDeviceAsync(device.DeviceId);
        await AcceptedAsync(http, certificate, "enabled again");
    }

    [TestMethod]
    public async Task RevokingADeviceRefusesItsCertificateOnTheNextRequestAndEnablingDoesNotUndoTheRevocation()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (device, certificate) = await ServedAsync(server, http);

        await server.Admin.RevokeDeviceAsync(device.DeviceId);
        await RefusedAsync(http, certificate, HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked);

        await server.Admin.EnableDeviceAsync(device.DeviceId);
        await RefusedAsync(http, certificate, HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked);
        await AcceptedAsync(http, await device.AuthenticateAsync(http), "a new certificate of the enabled device");
    }

    [TestMethod]
    public async Task DisablingAGroupRefusesItsMembersNextRequestAndEnablingAcceptsTheNextOne()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (_, member) = await ServedAsync(server, http);
        var outsider = await (await Devices.EnrollAsync(server, "cell-5")).AuthenticateAsync(http);
        await AcceptedAsync(http, outsider, "served while it stands");

        await server.Admin.DisableGroupAsync(Cell);
        await RefusedAsync(http, member, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);
        await AcceptedAsync(http, outsider, "a device of another group is not touched");

        await server.Admin.EnableGroupAsync(Cell);
        await AcceptedAsync(http, member, "the group enabled again");
    }

    [TestMethod]
    public async Task RevokingAGroupRefusesItsMembersCertificatesAndEnablingTheGroupDoesNotRestoreThem()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (_, member) = await ServedAsync(server, http);

        await server.Admin.DisableGroupAsync(Cell);
        await server.Admin.RevokeGroupAsync(Cell);
        await RefusedAsync(http, member, HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked);

        // Enabling lifts the disable only: the group stays revoked and its members refused.
        await server.Admin.EnableGroupAsync(Cell);
        await RefusedAsync(http, member, HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked);
        Assert.AreEqual(1, server.Services.GetRequiredService<StandingSet>().Counts.RefusedGroups);
    }

    [TestMethod]
    public async Task RevokingOneCertificateRefusesItOnTheNextRequestAndLeavesTheDevicesNextCertificate()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (device, certificate) = await ServedAsync(server, http);

        await server.Admin.RevokeCertificateAsync(certificate.Serial);
        await RefusedAsync(http, certificate, HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked);
        await AcceptedAsync(http, await device.AuthenticateAsync(http), "the device's next certificate");
    }

    [TestMethod]
    public async Task AGroupEnrolledDeviceIsRefusedWhenTheGroupThatEnrolledItIsDisabled()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var group = await server.Admin.EnrollGroupAsync("factory-7");
        var deviceId = TestDevice.NewDeviceId();
        var device = new TestDevice(deviceId, TestDevice.DeriveKey(Convert.FromHexString(group.KeyHex), deviceId), "factory-7");
        var certificate = await device.AuthenticateAsync(http);
        await AcceptedAsync(http, certificate, "served while it stands");

        await server.Admin.DisableGroupAsync("factory-7");
        await RefusedAsync(http, certificate, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);
        await server.Admin.EnableGroupAsync("factory-7");
        await AcceptedAsync(http, certificate, "the group enabled again");
    }

    [TestMethod]
    public async Task RefusalsMadeBeforeARestartHoldAfterIt()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "peergate-standing-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        try
        {
            CertificateResponse revoked, disabled, groupDisabled, good;
            await using (var first = await TestServer.StartAsync(new TestServerOptions { DataDirectory = dataDirectory, KeepData = true, Time = time }))
            {
                using var http = first.CreateClient();
                revoked = (await ServedAsync(first, http)).Certificate;
                var disabledDevice = await Devices.EnrollAsync(first, "cell-6");
                disabled = await disabledDevice.AuthenticateAsync(http);
                groupDisabled = await (await Devices.EnrollAsync(first, "cell-8")).AuthenticateAsync(http);
                good = await (await Devices.EnrollAsync(first, "cell-6")).AuthenticateAsync(http);
                await first.Admin.RevokeCertificateAsync(revoked.Serial);
                await first.Admin.DisableDeviceAsync(disabledDevice.DeviceId);
                await first.Admin.DisableGroupAsync("cell-8");
            }

            await using var second = await TestServer.StartAsync(new TestServerOptions { DataDirectory = dataDirectory, KeepData = true, Time = time });
            using var again = second.CreateClient();
            await RefusedAsync(again, revoked, HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked);
            await RefusedAsync(again, disabled, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);
            await RefusedAsync(again, groupDisabled, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);
            await AcceptedAsync(again, good, "a device in good standing");
            Assert.AreEqual((1, 1, 1), second.Services.GetRequiredService<StandingSet>().Counts);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [TestMethod]
    public async Task ARepeatRequestReadsNoCertificateRowUntilTheStandingIsReloaded()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (_, certificate) = await ServedAsync(server, http);

        // Behind the server's back (as another instance on the same database would): the row is gone.
        // The cached check does not notice; a reload, the seam a change notification calls, does.
        server.Services.GetRequiredService<Database>().Write((connection, transaction) =>
            connection.Execute(transaction, "DELETE FROM udp_keys WHERE serial = @serial; DELETE FROM certificates WHERE serial = @serial;", ("@serial", certificate.Serial)));
        await AcceptedAsync(http, certificate, "answered from memory");

        server.Services.GetRequiredService<StandingSet>().Reload();
        await RefusedAsync(http, certificate, HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked);
    }

    [TestMethod]
    public async Task ACachedCertificateIsRefusedFromItsExpiryOn()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(new TestServerOptions { Time = time });
        using var http = server.CreateClient();
        var (_, certificate) = await ServedAsync(server, http);

        time.Advance(TimeSpan.FromSeconds(certificate.ExpiresAt - time.GetUtcNow().ToUnixTimeSeconds() - 1));
        await AcceptedAsync(http, certificate, "one second before expiry");
        time.Advance(TimeSpan.FromSeconds(1));
        await RefusedAsync(http, certificate, HttpStatusCode.Unauthorized, ErrorCodes.CertificateExpired);
    }

    [TestMethod]
    public async Task TheCacheHoldsAtMostItsSizeAndAnEvictedCertificateIsCheckedInFullAgain()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = options => options.CertificateCacheSize = 4 });
        using var http = server.CreateClient();
        var tokens = server.Services.GetRequiredService<CertificateVerifier>().Tokens;
        var served = new List<(TestDevice Device, CertificateResponse Certificate)>();
        for (var i = 0; i < 10; i++)
        {
            served.Add(await ServedAsync(server, http));
            Assert.IsLessThanOrEqualTo(4, tokens.Count);
        }

        // The first ones were evicted: checked in full, and still refused when refused.
        await server.Admin.DisableDeviceAsync(served[0].Device.DeviceId);
        await RefusedAsync(http, served[0].Certificate, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);
        await AcceptedAsync(http, served[1].Certificate, "evicted and checked again");
    }

    [TestMethod]
    public void TheCacheEvictsTheExpiredFirst()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        var tokens = new VerifiedTokens(10, time);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var keep = new List<VerifiedTokens.TokenDigest>();
        for (var i = 0; i < 10; i++)
        {
            var digest = VerifiedTokens.Digest("token-" + i);
            var expiresAt = i % 2 == 0 ? now + 10 : now + 1000;
            tokens.Add(digest, new VerifiedTokens.Entry(new CertificatePayload("T", "d", "i", now, expiresAt, "s" + i, []), [], false, 0));
            if (i % 2 == 1)
            {
                keep.Add(digest);
            }
        }

        time.Advance(TimeSpan.FromSeconds(20));
        tokens.Add(VerifiedTokens.Digest("token-new"), new VerifiedTokens.Entry(new CertificatePayload("T", "d", "i", now, now + 1000, "s-new", []), [], false, 0));

        Assert.AreEqual(6, tokens.Count);
        Assert.IsTrue(keep.All(digest => tokens.TryGet(digest, out _)), "the unexpired stay");
        Assert.IsTrue(tokens.TryGet(VerifiedTokens.Digest("token-new"), out _));
        Assert.IsFalse(tokens.TryGet(VerifiedTokens.Digest("token-0"), out _));
    }

    /// <summary>
    /// Every statement in the server that writes a standing column (devices.disabled, groups.disabled
    /// or revoked, certificates.revoked) is in AdminStore, and each AdminStore method holding one tells
    /// <see cref="StandingSet"/>: a writer added elsewhere, or one that forgets, fails here.
    /// </summary>
    [TestMethod]
    public void EveryWriterOfAStandingColumnTellsTheStandingSet()
    {
        var server = Path.Combine(Repository.Root, "server", "PeerGate.Server");
        var writers = Directory.EnumerateFiles(server, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Where(path => StandingWrite().IsMatch(File.ReadAllText(path)))
            .Select(path => Path.GetRelativePath(server, path).Replace('\\', '/'))
            .ToArray();
        CollectionAssert.AreEquivalent(new[] { "Admin/AdminStore.cs" }, writers);

        var source = File.ReadAllText(Path.Combine(server, "Admin", "AdminStore.cs"));
        var methods = Regex.Split(source, @"\n    (?=public |private )");
        var writing = methods.Where(method => StandingWrite().IsMatch(method) || method.Contains("RevokeCertificates(connection", StringComparison.Ordinal)).ToArray();
        Assert.IsGreaterThanOrEqualTo(5, writing.Length);
        foreach (var method in writing.Where(method => !method.StartsWith("private static", StringComparison.Ordinal)))
        {
            StringAssert.Contains(method, "standing.", "tells StandingSet: " + method.Split('\n')[0]);
        }
    }

    [GeneratedRegex(@"UPDATE\s+(devices|groups|certificates)\s+SET\s+[^;""]*\b(disabled|revoked)\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex StandingWrite();
}
