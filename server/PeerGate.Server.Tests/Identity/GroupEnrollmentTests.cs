using System.Net;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Identity;
using PeerGate.Server.Storage;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Identity;

/// <summary>
/// Group enrollment bounded (F3): the labelled v2 derivation for new groups, v1 kept for groups from
/// before it, the factory allowlist, the cap on automatic enrollment and the operator's stop. A device
/// the group may not enroll gets the same answer as a wrong proof; the operator sees why.
/// </summary>
[TestClass]
public sealed class GroupEnrollmentTests
{
    [TestMethod]
    public async Task GroupFromBeforeLabelledDerivationKeepsEnrollingItsV1DevicesAfterTheUpgrade()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "peergate-groups-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        var groupKey = RandomNumberGenerator.GetBytes(32);
        var memberId = TestDevice.NewDeviceId();
        var ownKey = RandomNumberGenerator.GetBytes(32);
        var individualId = TestDevice.NewDeviceId();
        try
        {
            // The database as a server of schema 8 left it: a keyed group, one member that enrolled
            // through it (its key derived, not stored) and one individually enrolled device.
            using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDirectory, "peergate.db"), Pooling = false }.ToString()))
            {
                connection.Open();
                Migrations.Apply(connection, 8);
                Assert.AreEqual(8L, connection.Scalar(null, "PRAGMA user_version;"));
                connection.Execute(
                    "INSERT INTO groups (group_id, group_key, created_at) VALUES ('factory-1', @key, 1);" +
                    "INSERT INTO devices (device_id, device_key, enrollment_group, created_at) VALUES (@member, NULL, 'factory-1', 1);" +
                    "INSERT INTO group_members (group_id, device_id) VALUES ('factory-1', @member);" +
                    "INSERT INTO devices (device_id, device_key, created_at) VALUES (@individual, @own, 1);",
                    ("@key", groupKey), ("@member", memberId), ("@individual", individualId), ("@own", ownKey));
            }

            await using var server = await TestServer.StartAsync(new TestServerOptions { Storage = "sqlite", DataDirectory = dataDirectory });
            using var http = server.CreateClient();
            var newcomerId = TestDevice.NewDeviceId();

            var member = await new TestDevice(memberId, TestDevice.DeriveKey(groupKey, memberId, AuthProofs.GroupDerivationV1), "factory-1").AuthenticateAsync(http);
            var newcomer = await new TestDevice(newcomerId, TestDevice.DeriveKey(groupKey, newcomerId, AuthProofs.GroupDerivationV1), "factory-1").AuthenticateAsync(http);
            var individual = await new TestDevice(individualId, ownKey).AuthenticateAsync(http);
            var v2Id = TestDevice.NewDeviceId();
            using var v2Refused = await SendOwnProofAsync(http, new TestDevice(v2Id, TestDevice.DeriveKey(groupKey, v2Id), "factory-1"));
            var group = await server.Admin.GetGroupAsync("factory-1");

            Assert.IsNotNull(member.Certificate);
            Assert.IsNotNull(newcomer.Certificate);
            Assert.IsNotNull(individual.Certificate);
            await ProblemAssert.IsProblemAsync(v2Refused, HttpStatusCode.Unauthorized, ErrorCodes.AuthenticationFailed);
            Assert.AreEqual(AuthProofs.GroupDerivationV1, group.Derivation);
            Assert.AreEqual(2, group.Enrolled);
            Assert.IsGreaterThanOrEqualTo(9L, Db.Count(server, "PRAGMA user_version;"));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [TestMethod]
    public async Task NewGroupDerivesWithTheLabelAndRefusesAnUnlabelledKey()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var group = await server.Admin.EnrollGroupAsync("factory-7");
        var groupKey = Convert.FromHexString(group.KeyHex);
        var labelledId = TestDevice.NewDeviceId();
        var unlabelledId = TestDevice.NewDeviceId();
        var before = Db.Snapshot(server);

        using var unlabelled = await SendOwnProofAsync(http, new TestDevice(unlabelledId, TestDevice.DeriveKey(groupKey, unlabelledId, AuthProofs.GroupDerivationV1), "factory-7"));
        var unchanged = Db.Snapshot(server);
        var labelled = await new TestDevice(labelledId, TestDevice.DeriveKey(groupKey, labelledId, AuthProofs.GroupDerivationV2), "factory-7").AuthenticateAsync(http);
        var listed = (await server.Admin.ListGroupsAsync()).Single(g => g.GroupId == "factory-7");

        Assert.AreEqual(AuthProofs.GroupDerivationV2, group.Derivation);
        await ProblemAssert.IsProblemAsync(unlabelled, HttpStatusCode.Unauthorized, ErrorCodes.AuthenticationFailed);
        Assert.AreEqual(before, unchanged);
        Assert.IsNotNull(labelled.TerminalId);
        Assert.AreEqual(AuthProofs.GroupDerivationV2, listed.Derivation);
        Assert.IsTrue(listed.HasKey);
        Assert.AreEqual(1, listed.Enrolled);
    }

    [TestMethod]
    public async Task KeyFlashedWithV1ElsewhereCanBeEnrolledAsV1()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var groupKey = RandomNumberGenerator.GetBytes(32);
        var deviceId = TestDevice.NewDeviceId();

        var enrolled = await server.Admin.EnrollGroupAsync("moved-here", Convert.ToHexString(groupKey), AuthProofs.GroupDerivationV1);
        var certificate = await new TestDevice(deviceId, TestDevice.DeriveKey(groupKey, deviceId, AuthProofs.GroupDerivationV1), "moved-here").AuthenticateAsync(http);
        var generatedV1 = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.EnrollGroupAsync("fresh", null, AuthProofs.GroupDerivationV1));
        var unknown = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.EnrollGroupAsync("future", Convert.ToHexString(groupKey), 3));

        Assert.AreEqual(AuthProofs.GroupDerivationV1, enrolled.Derivation);
        Assert.IsNotNull(certificate.Certificate);
        Assert.AreEqual(ErrorCodes.InvalidField, generatedV1.Code);
        Assert.AreEqual(ErrorCodes.InvalidField, unknown.Code);
        Assert.AreEqual(1, Db.Count(server, "SELECT count(*) FROM groups"));
    }

    [TestMethod]
    public async Task RefusedEnrollmentLooksLikeAWrongProofAndTheOperatorSeesWhy()
    {
        using var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(logs.ServerOptions(LogLevel.Information));
        using var http = server.CreateClient();
        var listedId = TestDevice.NewDeviceId();
        var allowlisted = await EnrollGroupAsync(server, "allowlisted");
        await server.Admin.AllowInGroupAsync("allowlisted", [listedId]);
        var stopped = await EnrollGroupAsync(server, "stopped");
        await server.Admin.StopGroupEnrollmentAsync("stopped");
        var full = await EnrollGroupAsync(server, "full");
        await server.Admin.SetGroupEnrollmentCapAsync("full", 0);
        var cases = new (string Reason, TestDevice Device, string? Proof)[]
        {
            ("wrong_key", Member(allowlisted, TestDevice.NewDeviceId(), "allowlisted"), Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))),
            (GroupEnrollment.NotAllowlistedReason, Member(allowlisted, TestDevice.NewDeviceId(), "allowlisted"), null),
            (GroupEnrollment.StoppedReason, Member(stopped, TestDevice.NewDeviceId(), "stopped"), null),
            (GroupEnrollment.CapReachedReason, Member(full, TestDevice.NewDeviceId(), "full"), null),
        };
        var before = Db.Snapshot(server);

        var answers = new List<(string Headers, string Body)>();
        foreach (var (_, device, proof) in cases)
        {
            using var response = await device.SendProofAsync(http, await device.ChallengeAsync(http), proof);
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.AuthenticationFailed);
            answers.Add((Headers(response), StripTraceId(await response.Content.ReadAsStringAsync())));
        }

        var after = Db.Snapshot(server);
        var listed = await Member(allowlisted, listedId, "allowlisted").AuthenticateAsync(http);
        var metrics = await http.GetStringAsync("/metrics");

        // The refused device holds the right key, yet its answer is the wrong proof's, byte for byte.
        foreach (var answer in answers.Skip(1))
        {
            Assert.AreEqual(answers[0].Headers, answer.Headers);
            Assert.AreEqual(answers[0].Body, answer.Body);
        }

        Assert.AreEqual(before, after);
        Assert.IsNotNull(listed.TerminalId);
        foreach (var (reason, device, _) in cases)
        {
            StringAssert.Contains(logs.Text, $"Authentication of device {device.DeviceId} refused: {reason}");
            if (reason != "wrong_key")
            {
                StringAssert.Contains(metrics, $"peergate_authentications_total{{outcome=\"{reason}\"}} 1");
                StringAssert.Contains(logs.Text, $"Enrollment of device {device.DeviceId} through group {device.GroupId} refused: {reason}");
            }
        }

        Assert.DoesNotContain(allowlisted.KeyHex, logs.Text);
    }

    [TestMethod]
    public async Task CapReachedRefusesTheNextDeviceAndMembersStillAuthenticate()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = o => o.GroupEnrollmentCap = 2 });
        using var http = server.CreateClient();
        var group = await EnrollGroupAsync(server, "factory-7");
        var first = Member(group, TestDevice.NewDeviceId(), "factory-7");
        var second = Member(group, TestDevice.NewDeviceId(), "factory-7");
        var third = Member(group, TestDevice.NewDeviceId(), "factory-7");
        await first.AuthenticateAsync(http);
        await second.AuthenticateAsync(http);

        using var refused = await SendOwnProofAsync(http, third);
        var again = await first.AuthenticateAsync(http);
        var atCap = await server.Admin.GetGroupAsync("factory-7");
        var raised = await server.Admin.SetGroupEnrollmentCapAsync("factory-7", 3);
        var admitted = await third.AuthenticateAsync(http);
        var back = await server.Admin.SetGroupEnrollmentCapAsync("factory-7", null);

        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, ErrorCodes.AuthenticationFailed);
        Assert.IsNotNull(again.Certificate);
        Assert.AreEqual((2, 2L, true), (atCap.Enrolled, atCap.EnrollmentCap, atCap.CapIsDefault));
        Assert.AreEqual((3L, false), (raised.EnrollmentCap, raised.CapIsDefault));
        Assert.IsNotNull(admitted.Certificate);
        Assert.AreEqual((3, 2L, true), (back.Enrolled, back.EnrollmentCap, back.CapIsDefault));
        Assert.AreEqual(3, Db.Count(server, "SELECT count(*) FROM devices WHERE enrollment_group = 'factory-7'"));
    }

    [TestMethod]
    public async Task StoppedEnrollmentRefusesNewDevicesUntilStartedWhileMembersKeepWorking()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var group = await EnrollGroupAsync(server, "factory-7");
        var member = Member(group, TestDevice.NewDeviceId(), "factory-7");
        var memberCertificate = await member.AuthenticateAsync(http);
        var newcomer = Member(group, TestDevice.NewDeviceId(), "factory-7");

        var stopped = await server.Admin.StopGroupEnrollmentAsync("factory-7");
        using var refused = await SendOwnProofAsync(http, newcomer);
        var memberAgain = await member.AuthenticateAsync(http);
        using var registered = await TestDevice.SendRegistrationAsync(http, memberCertificate.Certificate, Devices.Registration(memberCertificate.TerminalId));
        var started = await server.Admin.StartGroupEnrollmentAsync("factory-7");
        var admitted = await newcomer.AuthenticateAsync(http);
        var unknown = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.StopGroupEnrollmentAsync("no-such-group"));

        Assert.IsTrue(stopped.EnrollmentStopped);
        Assert.IsFalse(stopped.Disabled);
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, ErrorCodes.AuthenticationFailed);
        Assert.IsNotNull(memberAgain.Certificate);
        Assert.AreEqual(HttpStatusCode.OK, registered.StatusCode, await registered.Content.ReadAsStringAsync());
        Assert.IsFalse(started.EnrollmentStopped);
        Assert.IsNotNull(admitted.Certificate);
        Assert.AreEqual(ErrorCodes.NotFound, unknown.Code);
    }

    [TestMethod]
    public async Task AllowlistAdmitsOnlyItsDevicesStaysOnWhenEmptiedAndIsBounded()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var member = await EnrollGroupAsync(server, "factory-7");
        var earlyId = TestDevice.NewDeviceId();
        var early = await Member(member, earlyId, "factory-7").AuthenticateAsync(http);
        var listedId = TestDevice.NewDeviceId();

        var list = await server.Admin.AllowInGroupAsync("factory-7", [listedId, listedId]);
        var earlyAgain = await Member(member, earlyId, "factory-7").AuthenticateAsync(http);
        var emptied = await server.Admin.DisallowInGroupAsync("factory-7", [listedId]);
        using var refusedWhenEmpty = await SendOwnProofAsync(http, Member(member, listedId, "factory-7"));
        var off = await server.Admin.RemoveGroupAllowlistAsync("factory-7");
        var anyone = await Member(member, TestDevice.NewDeviceId(), "factory-7").AuthenticateAsync(http);

        // Filled to the maximum in batches a request body holds; one more is refused and adds nothing.
        var ids = Enumerable.Range(0, GroupEnrollment.MaxAllowlistEntries).Select(i => "A0" + i.ToString("X10", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        foreach (var batch in ids.Chunk(800))
        {
            await server.Admin.AllowInGroupAsync("factory-7", batch);
        }

        var overflow = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.AllowInGroupAsync("factory-7", [TestDevice.NewDeviceId(), ids[0]]));
        var badId = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.AllowInGroupAsync("factory-7", [TestDevice.NewDeviceId(), "not-hex"]));
        var none = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.AllowInGroupAsync("factory-7", []));
        var unknown = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.AllowInGroupAsync("no-such-group", [listedId]));
        var shown = await server.Admin.GetGroupAsync("factory-7");

        CollectionAssert.AreEqual(new[] { listedId }, list.DeviceIds);
        Assert.IsTrue(list.On);
        Assert.IsNotNull(earlyAgain.Certificate, "a device enrolled before the allowlist keeps working");
        Assert.AreEqual(early.TerminalId, earlyAgain.TerminalId);
        Assert.IsTrue(emptied.On);
        Assert.IsEmpty(emptied.DeviceIds);
        await ProblemAssert.IsProblemAsync(refusedWhenEmpty, HttpStatusCode.Unauthorized, ErrorCodes.AuthenticationFailed);
        Assert.IsFalse(off.On);
        Assert.IsNotNull(anyone.Certificate);
        Assert.AreEqual(ErrorCodes.AllowlistFull, overflow.Code);
        Assert.AreEqual(409, overflow.Status);
        Assert.AreEqual(ErrorCodes.InvalidField, badId.Code);
        Assert.AreEqual(ErrorCodes.InvalidField, none.Code);
        Assert.AreEqual(ErrorCodes.NotFound, unknown.Code);
        Assert.AreEqual((true, GroupEnrollment.MaxAllowlistEntries), (shown.AllowlistOn, shown.AllowlistEntries));
        Assert.AreEqual(GroupEnrollment.MaxAllowlistEntries, Db.Count(server, "SELECT count(*) FROM group_allowlist"));
    }

    [TestMethod]
    public async Task CapOutsideItsRangeIsRefusedAndChangesNothing()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        await EnrollGroupAsync(server, "factory-7");
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", server.AdminToken);

        using var negative = await http.PutAsync(AdminPaths.GroupEnrollmentCap("factory-7"), new StringContent("{\"Cap\":-1}", System.Text.Encoding.UTF8, "application/json"));
        using var huge = await http.PutAsync(AdminPaths.GroupEnrollmentCap("factory-7"), new StringContent("{\"Cap\":1000000000000}", System.Text.Encoding.UTF8, "application/json"));
        var group = await server.Admin.GetGroupAsync("factory-7");

        await ProblemAssert.IsProblemAsync(negative, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        await ProblemAssert.IsProblemAsync(huge, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        Assert.IsTrue(group.CapIsDefault);
        Assert.AreEqual(1, Db.Count(server, "SELECT count(*) FROM group_enrollment WHERE enrollment_cap IS NULL"));
    }

    private static async Task<EnrolledGroup> EnrollGroupAsync(TestServer server, string groupId) => await server.Admin.EnrollGroupAsync(groupId);

    private static TestDevice Member(EnrolledGroup group, string deviceId, string groupId) =>
        new(deviceId, TestDevice.DeriveKey(Convert.FromHexString(group.KeyHex), deviceId), groupId);

    private static async Task<HttpResponseMessage> SendOwnProofAsync(HttpClient http, TestDevice device) =>
        await device.SendProofAsync(http, await device.ChallengeAsync(http));

    private static string Headers(HttpResponseMessage response) => string.Join(
        "\n",
        response.Headers.Concat(response.Content.Headers)
            .Where(h => h.Key != "Date")
            .Select(h => h.Key + ": " + string.Join(",", h.Value))
            .Order(StringComparer.Ordinal));

    private static string StripTraceId(string problem) => System.Text.RegularExpressions.Regex.Replace(problem, "\"traceId\":\"[^\"]*\"", string.Empty);
}
