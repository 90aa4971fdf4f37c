using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Identity;

[TestClass]
public sealed class AuthenticationTests
{
    [TestMethod]
    public async Task EnrolledDeviceGetsACertificateThatVerifiesWithThePublishedKey()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);

        var certificate = await device.AuthenticateAsync(http);

        var issuerKey = await TestDevice.ReadAsync<IssuerKey>(await http.GetAsync(Routes.AuthPublicKey));
        Assert.AreEqual("ES256", issuerKey.Algorithm);
        Assert.AreEqual("test-auth", issuerKey.Issuer);

        // Verify from the IssuerKey alone, as a registry on another host would.
        var parts = certificate.Certificate.Split('.');
        Assert.HasCount(2, parts);
        var payload = Base64Url.DecodeFromChars(parts[0]);
        using var publicKey = ECDsa.Create();
        publicKey.ImportSubjectPublicKeyInfo(Convert.FromBase64String(issuerKey.PublicKey), out _);
        Assert.IsTrue(publicKey.VerifyData(payload, Base64Url.DecodeFromChars(parts[1]), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

        using var claims = JsonDocument.Parse(payload);
        Assert.AreEqual(certificate.TerminalId, claims.RootElement.GetProperty("tid").GetString());
        Assert.AreEqual(device.DeviceId, claims.RootElement.GetProperty("did").GetString());
        Assert.AreEqual("test-auth", claims.RootElement.GetProperty("iss").GetString());
        Assert.AreEqual(certificate.Serial, claims.RootElement.GetProperty("ser").GetString());
        Assert.AreEqual(certificate.ExpiresAt, claims.RootElement.GetProperty("exp").GetInt64());
        Assert.AreEqual(server.Time!.GetUtcNow().ToUnixTimeSeconds(), claims.RootElement.GetProperty("iat").GetInt64());
        Assert.AreEqual(server.BaseUrl, certificate.RegistryUrl);
    }

    [TestMethod]
    public async Task TerminalIdIsIssuedOnceAndStableAcrossReauthentication()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM devices WHERE terminal_id IS NOT NULL"));

        var first = await device.AuthenticateAsync(http);
        server.Time!.Advance(TimeSpan.FromHours(1));
        var second = await device.AuthenticateAsync(http);

        StringAssert.Matches(first.TerminalId, new System.Text.RegularExpressions.Regex("^T[0-9A-F]{16}$"));
        Assert.AreEqual(first.TerminalId, second.TerminalId);
        Assert.AreNotEqual(first.Serial, second.Serial);
    }

    [TestMethod]
    public async Task WrongKeyIsRefusedAndIssuesNothing()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var enrolled = await Devices.EnrollAsync(server);
        var impostor = new TestDevice(enrolled.DeviceId, RandomNumberGenerator.GetBytes(32));
        var before = Db.Snapshot(server);

        var challenge = await impostor.ChallengeAsync(http);
        using var response = await impostor.SendProofAsync(http, challenge);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.AuthenticationFailed);
        Assert.AreEqual(before, Db.Snapshot(server));
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM devices WHERE terminal_id IS NOT NULL"));
    }

    [TestMethod]
    public async Task WrongProofSpendsTheNonce()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        var challenge = await device.ChallengeAsync(http);

        using var wrong = await device.SendProofAsync(http, challenge, Convert.ToBase64String(new byte[32]));
        using var right = await device.SendProofAsync(http, challenge);

        await ProblemAssert.IsProblemAsync(wrong, HttpStatusCode.Unauthorized, ErrorCodes.AuthenticationFailed);
        await ProblemAssert.IsProblemAsync(right, HttpStatusCode.Unauthorized, ErrorCodes.NonceUsed);
    }

    [TestMethod]
    public async Task UnknownDeviceIsRefusedAndNothingIsStored()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var stranger = new TestDevice(TestDevice.NewDeviceId(), RandomNumberGenerator.GetBytes(32));
        var before = Db.Snapshot(server);

        // A challenge is answered for anyone (it reveals nothing); the proof is where it stops.
        var challenge = await stranger.ChallengeAsync(http);
        using var response = await stranger.SendProofAsync(http, challenge);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.AuthenticationFailed);
        Assert.AreEqual(before, Db.Snapshot(server));
    }

    [TestMethod]
    public async Task EveryProofThatDoesNotAuthenticateGetsTheSameAnswerAndTheOperatorTheReason()
    {
        using var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(logs.ServerOptions(LogLevel.Information));
        using var http = server.CreateClient();
        await server.Admin.EnrollGroupAsync("factory-7");
        var enrolled = await Devices.EnrollAsync(server);
        var disabled = await Devices.EnrollAsync(server);
        await server.Admin.DisableDeviceAsync(disabled.DeviceId);
        var garbage = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var unknownGroupId = TestDevice.NewDeviceId();
        var cases = new (string Reason, TestDevice Device)[]
        {
            ("unknown_device", new TestDevice(TestDevice.NewDeviceId(), RandomNumberGenerator.GetBytes(32))),
            ("wrong_key", new TestDevice(enrolled.DeviceId, RandomNumberGenerator.GetBytes(32))),
            ("unknown_group", new TestDevice(unknownGroupId, RandomNumberGenerator.GetBytes(32), "no-such-group")),
            ("wrong_key", new TestDevice(TestDevice.NewDeviceId(), RandomNumberGenerator.GetBytes(32), "factory-7")),
            ("wrong_key", new TestDevice(disabled.DeviceId, RandomNumberGenerator.GetBytes(32))),
        };
        var before = Db.Snapshot(server);

        var answers = new List<(HttpStatusCode Status, string Headers, string Body)>();
        foreach (var (_, device) in cases)
        {
            using var response = await device.SendProofAsync(http, await device.ChallengeAsync(http), garbage);
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.AuthenticationFailed);
            var headers = string.Join("\n", response.Headers.Concat(response.Content.Headers)
                .Where(h => h.Key != "Date")
                .Select(h => h.Key + ": " + string.Join(",", h.Value))
                .Order(StringComparer.Ordinal));
            answers.Add((response.StatusCode, headers, StripTraceId(await response.Content.ReadAsStringAsync())));
        }

        // Byte for byte the same answer, apart from the trace ID.
        foreach (var answer in answers.Skip(1))
        {
            Assert.AreEqual(answers[0].Status, answer.Status);
            Assert.AreEqual(answers[0].Headers, answer.Headers);
            Assert.AreEqual(answers[0].Body, answer.Body);
        }

        Assert.DoesNotContain(enrolled.DeviceId, answers[1].Body);
        Assert.AreEqual(before, Db.Snapshot(server));

        // The operator sees the real reason: counted by reason, and logged with the Device ID, never the proof.
        var metrics = await http.GetStringAsync("/metrics");
        StringAssert.Contains(metrics, "peergate_authentications_total{outcome=\"unknown_device\"} 1");
        StringAssert.Contains(metrics, "peergate_authentications_total{outcome=\"unknown_group\"} 1");
        StringAssert.Contains(metrics, "peergate_authentications_total{outcome=\"wrong_key\"} 3");
        var text = logs.Text;
        foreach (var (reason, device) in cases)
        {
            StringAssert.Contains(text, $"Authentication of device {device.DeviceId} refused: {reason}");
        }

        Assert.DoesNotContain(garbage, text);

        // The disabled device that proves its key is told why: it has shown it is the device.
        using var proven = await disabled.SendProofAsync(http, await disabled.ChallengeAsync(http));
        await ProblemAssert.IsProblemAsync(proven, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);
        StringAssert.Contains(await http.GetStringAsync("/metrics"), "peergate_authentications_total{outcome=\"device_disabled\"} 1");
    }

    [TestMethod]
    public async Task DisabledDeviceIsRefusedUntilEnabledAgain()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        await server.Admin.DisableDeviceAsync(device.DeviceId);
        var before = Db.Snapshot(server);

        var challenge = await device.ChallengeAsync(http);
        using var refused = await device.SendProofAsync(http, challenge);

        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);
        Assert.AreEqual(before, Db.Snapshot(server));
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM devices WHERE terminal_id IS NOT NULL"));

        await server.Admin.EnableDeviceAsync(device.DeviceId);
        var certificate = await device.AuthenticateAsync(http);
        Assert.IsFalse(string.IsNullOrEmpty(certificate.TerminalId));
    }

    [TestMethod]
    public async Task ReplayedNonceIsRefused()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        var challenge = await device.ChallengeAsync(http);
        using var first = await device.SendProofAsync(http, challenge);
        Assert.AreEqual(HttpStatusCode.OK, first.StatusCode);
        var before = Db.Snapshot(server);

        using var replay = await device.SendProofAsync(http, challenge);

        await ProblemAssert.IsProblemAsync(replay, HttpStatusCode.Unauthorized, ErrorCodes.NonceUsed);
        Assert.AreEqual(before, Db.Snapshot(server));
    }

    [TestMethod]
    public async Task ExpiredNonceIsRefused()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        var challenge = await device.ChallengeAsync(http);
        Assert.AreEqual(server.Time!.GetUtcNow().ToUnixTimeSeconds() + 60, challenge.ExpiresAt);
        var before = Db.Snapshot(server);

        server.Time.Advance(TimeSpan.FromSeconds(61));
        using var response = await device.SendProofAsync(http, challenge);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.NonceExpired);
        Assert.AreEqual(before, Db.Snapshot(server));
    }

    [TestMethod]
    public async Task NonceOfAnotherDeviceIsUnknown()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var owner = await Devices.EnrollAsync(server);
        var other = await Devices.EnrollAsync(server);
        var challenge = await owner.ChallengeAsync(http);

        using var borrowed = await other.SendProofAsync(http, challenge);
        using var invented = await other.SendProofAsync(http, new ChallengeResponse { NonceId = "n-invented", Nonce = challenge.Nonce });
        using var ownerStillCan = await owner.SendProofAsync(http, challenge);

        await ProblemAssert.IsProblemAsync(borrowed, HttpStatusCode.Unauthorized, ErrorCodes.NonceUnknown);
        await ProblemAssert.IsProblemAsync(invented, HttpStatusCode.Unauthorized, ErrorCodes.NonceUnknown);
        Assert.AreEqual(HttpStatusCode.OK, ownerStillCan.StatusCode);
    }

    [TestMethod]
    public async Task GroupDerivedKeyAuthenticatesAndRevokingTheGroupRefusesIt()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var group = await server.Admin.EnrollGroupAsync("factory-7");
        var deviceId = TestDevice.NewDeviceId();
        var device = new TestDevice(deviceId, TestDevice.DeriveKey(Convert.FromHexString(group.KeyHex), deviceId), "factory-7");
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM devices"));

        var certificate = await device.AuthenticateAsync(http);

        Assert.AreEqual(1, Db.Count(server, "SELECT count(*) FROM group_members WHERE group_id = 'factory-7' AND device_id = @d", ("@d", deviceId)));
        var again = await device.AuthenticateAsync(http);
        Assert.AreEqual(certificate.TerminalId, again.TerminalId);

        await server.Admin.RevokeGroupAsync("factory-7");
        var challenge = await device.ChallengeAsync(http);
        using var refused = await device.SendProofAsync(http, challenge);
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);

        // A device of the revoked group that never authenticated gets no row either.
        var latecomerId = TestDevice.NewDeviceId();
        var latecomer = new TestDevice(latecomerId, TestDevice.DeriveKey(Convert.FromHexString(group.KeyHex), latecomerId), "factory-7");
        var before = Db.Snapshot(server);
        using var latecomerRefused = await latecomer.SendProofAsync(http, await latecomer.ChallengeAsync(http));
        await ProblemAssert.IsProblemAsync(latecomerRefused, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);
        Assert.AreEqual(before, Db.Snapshot(server));
    }

    [TestMethod]
    public async Task KeyDerivedFromAnotherGroupIsRefused()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        await server.Admin.EnrollGroupAsync("factory-7");
        var deviceId = TestDevice.NewDeviceId();
        var device = new TestDevice(deviceId, TestDevice.DeriveKey(RandomNumberGenerator.GetBytes(32), deviceId), "factory-7");
        var before = Db.Snapshot(server);

        using var response = await device.SendProofAsync(http, await device.ChallengeAsync(http));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.AuthenticationFailed);
        Assert.AreEqual(before, Db.Snapshot(server));
    }

    [TestMethod]
    public async Task FiftyConcurrentProofsWithOneNonceLetExactlyOneThrough()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        var challenge = await device.ChallengeAsync(http);
        using var start = new ManualResetEventSlim();

        var attempts = Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            start.Wait(TimeSpan.FromSeconds(10));
            using var response = await device.SendProofAsync(http, challenge);
            return response.StatusCode;
        })).ToArray();
        start.Set();
        var statuses = await Task.WhenAll(attempts).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.AreEqual(1, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.AreEqual(49, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.AreEqual(1, Db.Count(server, "SELECT count(*) FROM certificates"));
    }

    [TestMethod]
    public async Task RevocationListNamesRevokedSerials()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        var kept = await device.AuthenticateAsync(http);
        var revoked = await device.AuthenticateAsync(http);

        await server.Admin.RevokeCertificateAsync(revoked.Serial);
        var list = await TestDevice.ReadAsync<RevocationList>(await http.GetAsync(Routes.AuthRevocations));

        CollectionAssert.AreEqual(new[] { revoked.Serial }, list.Serials);
        Assert.AreEqual("test-auth", list.Issuer);
        CollectionAssert.DoesNotContain(list.Serials, kept.Serial);
    }

    private static string StripTraceId(string problem) => System.Text.RegularExpressions.Regex.Replace(problem, "\"traceId\":\"[^\"]*\"", string.Empty);
}
