using System.Net;
using System.Net.Http.Json;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Registry;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Registry;

/// <summary>
/// Device names (F22): a name belongs to one device, bound by the operator (or claimed once where
/// self-claim is on); permits and connections by name reach that owner only.
/// </summary>
[TestClass]
public sealed class DeviceNameTests
{
    private static readonly TestServerOptions SelfClaim = new() { Configure = options => options.DeviceNameSelfClaim = true };

    [TestMethod]
    public async Task StrangerThatRegistersTheNameFirstIsRefusedAndTheOwnerIsLetIn()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var callee = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        var owner = await Devices.EnrollAsync(server);
        await server.Admin.BindNameAsync("TERM1", owner.DeviceId);
        await TestDevice.PermitAsync(http, callee.Certificate, PermitKinds.Name, "TERM1");

        // The stranger registers first, stating TERM1: refused, and nothing of it is stored.
        var stranger = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        var before = Db.Snapshot(server);
        using (var squat = await TestDevice.SendRegistrationAsync(http, stranger.Certificate, Devices.Registration(stranger.TerminalId, name: "TERM1")))
        {
            await ProblemAssert.IsProblemAsync(squat, HttpStatusCode.Conflict, ErrorCodes.NameTaken);
        }

        Assert.AreEqual(before, Db.Snapshot(server));

        // The real TERM1 registers under its name; the stranger registers without one.
        var real = await Devices.RegisterAsync(server, http, owner, name: "TERM1");
        using (var plain = await TestDevice.SendRegistrationAsync(http, stranger.Certificate, Devices.Registration(stranger.TerminalId)))
        {
            plain.EnsureSuccessStatusCode();
        }

        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var refused = await TestDevice.RequestConnectionAsync(http, stranger.Certificate, callee.TerminalId);
        using var admitted = await TestDevice.RequestConnectionAsync(http, real.Certificate, callee.TerminalId);

        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden, ErrorCodes.PermissionDenied);
        Assert.AreEqual(HttpStatusCode.OK, admitted.StatusCode, await admitted.Content.ReadAsStringAsync());
        Assert.AreEqual(real.TerminalId, (await server.Admin.ListDevicesAsync()).Single(d => d.Name == "TERM1").TerminalId);
    }

    [TestMethod]
    public async Task WithoutSelfClaimAnUnboundNameIsRefusedAndNothingIsStored()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);

        using var claim = await TestDevice.SendRegistrationAsync(http, device.Certificate, Devices.Registration(device.TerminalId, name: "TERM1"));

        await ProblemAssert.IsProblemAsync(claim, HttpStatusCode.Forbidden, ErrorCodes.NameNotBound);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM registrations"));
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM device_names"));
    }

    [TestMethod]
    public async Task SelfClaimedNameStaysTheDevicesUntilTheOperatorReleasesIt()
    {
        await using var server = await TestServer.StartAsync(SelfClaim);
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), name: "alice@example.com");
        var other = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);

        Assert.AreEqual("alice@example.com", (await server.Admin.ListDevicesAsync()).Single(d => d.TerminalId == device.TerminalId).Name);
        Assert.AreEqual(DeviceNameStore.ByClaim, (await server.Admin.ListNamesAsync()).Single().BoundBy);

        // The same name again is no conflict; a registration without one keeps it; a rename is the operator's.
        using (var again = await TestDevice.SendRegistrationAsync(http, device.Certificate, Devices.Registration(device.TerminalId, name: "ALICE@example.com")))
        using (var none = await TestDevice.SendRegistrationAsync(http, device.Certificate, Devices.Registration(device.TerminalId, name: string.Empty)))
        using (var renamed = await TestDevice.SendRegistrationAsync(http, device.Certificate, Devices.Registration(device.TerminalId, name: "TERM2")))
        using (var taken = await TestDevice.SendRegistrationAsync(http, other.Certificate, Devices.Registration(other.TerminalId, name: "Alice@Example.com")))
        {
            again.EnsureSuccessStatusCode();
            none.EnsureSuccessStatusCode();
            await ProblemAssert.IsProblemAsync(renamed, HttpStatusCode.Forbidden, ErrorCodes.NameNotBound);
            await ProblemAssert.IsProblemAsync(taken, HttpStatusCode.Conflict, ErrorCodes.NameTaken);
        }

        await server.Admin.ReleaseNameAsync("alice@example.com");
        using (var freed = await TestDevice.SendRegistrationAsync(http, other.Certificate, Devices.Registration(other.TerminalId, name: "alice@example.com")))
        {
            freed.EnsureSuccessStatusCode();
        }

        var devices = await server.Admin.ListDevicesAsync();
        Assert.IsNull(devices.Single(d => d.TerminalId == device.TerminalId).Name);
        Assert.AreEqual("alice@example.com", devices.Single(d => d.TerminalId == other.TerminalId).Name);
    }

    [TestMethod]
    public async Task NameFollowsTheDeviceAcrossReauthenticationAndALapsedRegistration()
    {
        await using var server = await TestServer.StartAsync(SelfClaim);
        using var http = server.CreateClient();
        var owner = await Devices.EnrollNamedAsync(server, "TERM1");
        var first = await Devices.RegisterAsync(server, http, owner, name: "TERM1");

        // Past the registration's lifetime the device is offline; a stranger still cannot claim its name.
        server.Time!.Advance(TimeSpan.FromMinutes(30));
        var stranger = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        using (var squat = await TestDevice.SendRegistrationAsync(http, stranger.Certificate, Devices.Registration(stranger.TerminalId, name: "term1")))
        {
            await ProblemAssert.IsProblemAsync(squat, HttpStatusCode.Conflict, ErrorCodes.NameTaken);
        }

        // A new certificate, the same device: the name is still its own, without stating it.
        var second = await Devices.RegisterAsync(server, http, owner);
        Assert.AreNotEqual(first.Serial, second.Serial);
        var caller = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        await TestDevice.PermitAsync(http, second.Certificate, PermitKinds.Terminal, caller.TerminalId);
        await using var responder = new TriggerResponder(http, second.Certificate);
        await Eventually.PollingAsync(server, second.TerminalId);

        using var byName = await TestDevice.RequestConnectionAsync(http, caller.Certificate, new ConnectionRequest { CalleeName = "Term1", CallerPort = 7500 });
        Assert.AreEqual(second.TerminalId, (await TestDevice.ReadAsync<ConnectionGrant>(byName)).CalleeTerminalId);
    }

    [TestMethod]
    public async Task RebindingMovesTheNameAndPermitsFollowTheNewOwner()
    {
        await using var server = await TestServer.StartAsync(SelfClaim);
        using var http = server.CreateClient();
        var callee = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        var squatter = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), name: "TERM1");
        var realDevice = await Devices.EnrollAsync(server);
        var real = await Devices.RegisterAsync(server, http, realDevice);
        await TestDevice.PermitAsync(http, callee.Certificate, PermitKinds.Name, "term1");
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        using (var claimed = await TestDevice.RequestConnectionAsync(http, squatter.Certificate, callee.TerminalId))
        {
            Assert.AreEqual(HttpStatusCode.OK, claimed.StatusCode, "the first claim held the name until the operator acted");
        }

        var plainBind = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.BindNameAsync("TERM1", realDevice.DeviceId));
        Assert.AreEqual(ErrorCodes.NameTaken, plainBind.Code);
        var moved = await server.Admin.BindNameAsync("TERM1", realDevice.DeviceId, rebind: true);

        using var squatterNow = await TestDevice.RequestConnectionAsync(http, squatter.Certificate, callee.TerminalId);
        using var realNow = await TestDevice.RequestConnectionAsync(http, real.Certificate, callee.TerminalId);
        using var reclaim = await TestDevice.SendRegistrationAsync(http, squatter.Certificate, Devices.Registration(squatter.TerminalId, name: "TERM1"));

        Assert.AreEqual(DeviceNameStore.ByOperator, moved.BoundBy);
        Assert.AreEqual(real.TerminalId, moved.TerminalId);
        await ProblemAssert.IsProblemAsync(squatterNow, HttpStatusCode.Forbidden, ErrorCodes.PermissionDenied);
        Assert.AreEqual(HttpStatusCode.OK, realNow.StatusCode, await realNow.Content.ReadAsStringAsync());
        await ProblemAssert.IsProblemAsync(reclaim, HttpStatusCode.Conflict, ErrorCodes.NameTaken);
    }

    [TestMethod]
    public async Task OperatorBindsReservesAndReleasesThroughTheAdminApi()
    {
        await using var server = await TestServer.StartAsync(SelfClaim);
        using var http = server.CreateClient();
        var a = await Devices.EnrollNamedAsync(server, "TERM-A");
        var b = await Devices.EnrollAsync(server);

        var duplicateEnrollment = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.EnrollDeviceAsync(TestDevice.NewDeviceId(), name: "term-a"));
        var again = await server.Admin.BindNameAsync("TERM-A", a.DeviceId);
        var secondName = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.BindNameAsync("TERM-A2", a.DeviceId));
        var taken = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.BindNameAsync("TERM-A", b.DeviceId));
        var reserved = await server.Admin.ReserveNameAsync("lobby");
        var reserveBound = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.ReserveNameAsync("term-a"));

        // A reserved name is no device's to claim, even with self-claim on; the operator may bind it.
        var bDevice = await b.AuthenticateAsync(http);
        using (var claim = await TestDevice.SendRegistrationAsync(http, bDevice.Certificate, Devices.Registration(bDevice.TerminalId, name: "LOBBY")))
        {
            await ProblemAssert.IsProblemAsync(claim, HttpStatusCode.Conflict, ErrorCodes.NameTaken);
        }

        var lobby = await server.Admin.BindNameAsync("Lobby", b.DeviceId);
        await server.Admin.ReleaseNameAsync("TERM-A");
        var releaseAgain = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.ReleaseNameAsync("TERM-A"));
        var names = await server.Admin.ListNamesAsync();

        Assert.AreEqual(ErrorCodes.NameTaken, duplicateEnrollment.Code);
        Assert.AreEqual(DeviceNameStore.Bound, again.State);
        Assert.AreEqual("test-auth", again.Issuer);
        Assert.AreEqual(ErrorCodes.AlreadyExists, secondName.Code);
        Assert.AreEqual(ErrorCodes.NameTaken, taken.Code);
        Assert.AreEqual(DeviceNameStore.Reserved, reserved.State);
        Assert.IsNull(reserved.DeviceId);
        Assert.AreEqual(ErrorCodes.NameTaken, reserveBound.Code);
        Assert.AreEqual(b.DeviceId, lobby.DeviceId);
        Assert.AreEqual(bDevice.TerminalId, lobby.TerminalId);
        Assert.AreEqual(404, releaseAgain.Status);
        Assert.AreEqual("Lobby", names.Single().Name);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM devices WHERE device_id NOT IN (@a, @b)", ("@a", a.DeviceId), ("@b", b.DeviceId)), "the refused enrollment stored nothing");
    }

    [TestMethod]
    public async Task ReleasedNameMatchesNobody()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var callee = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        var named = await Devices.RegisterAsync(server, http, await Devices.EnrollNamedAsync(server, "maintenance@example.com"), name: "maintenance@example.com");
        var other = await Devices.RegisterAsync(server, http, await Devices.EnrollNamedAsync(server, "someone-else"));
        await TestDevice.PermitAsync(http, callee.Certificate, PermitKinds.Name, "Maintenance@Example.com");
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var permitted = await TestDevice.RequestConnectionAsync(http, named.Certificate, callee.TerminalId);
        using var denied = await TestDevice.RequestConnectionAsync(http, other.Certificate, callee.TerminalId);
        await server.Admin.ReleaseNameAsync("maintenance@example.com");
        using var afterRelease = await TestDevice.RequestConnectionAsync(http, named.Certificate, callee.TerminalId);
        using var byName = await TestDevice.RequestConnectionAsync(http, other.Certificate, new ConnectionRequest { CalleeName = "maintenance@example.com", CallerPort = 7500 });

        Assert.AreEqual(HttpStatusCode.OK, permitted.StatusCode, await permitted.Content.ReadAsStringAsync());
        await ProblemAssert.IsProblemAsync(denied, HttpStatusCode.Forbidden, ErrorCodes.PermissionDenied);
        await ProblemAssert.IsProblemAsync(afterRelease, HttpStatusCode.Forbidden, ErrorCodes.PermissionDenied);
        await ProblemAssert.IsProblemAsync(byName, HttpStatusCode.NotFound, ErrorCodes.CalleeNotFound);
    }

    [TestMethod]
    public async Task CallerConnectsByName()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var callee = await Devices.RegisterAsync(server, http, await Devices.EnrollNamedAsync(server, "TERM1"), name: "TERM1");
        var caller = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        await TestDevice.PermitAsync(http, callee.Certificate, PermitKinds.Terminal, caller.TerminalId);
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, new ConnectionRequest { CalleeName = "TERM1", CallerPort = 7500 });
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(response);

        Assert.AreEqual(callee.TerminalId, grant.CalleeTerminalId);
        Assert.AreEqual(grant.SessionId, (await Eventually.Within(responder.Offers.ReadAsync().AsTask())).SessionId);
        Assert.AreEqual(callee.TerminalId, (await server.Admin.ListConnectionAttemptsAsync(1)).Single().Callee);
    }

    [TestMethod]
    public async Task CalleeMustBeNamedExactlyOnce()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var callee = await Devices.RegisterAsync(server, http, await Devices.EnrollNamedAsync(server, "TERM1"));
        var caller = await Devices.RegisterAsync(server, http, await Devices.EnrollNamedAsync(server, "TERM9"));

        using var neither = await TestDevice.RequestConnectionAsync(http, caller.Certificate, new ConnectionRequest { CallerPort = 7500 });
        using var both = await TestDevice.RequestConnectionAsync(http, caller.Certificate, new ConnectionRequest { CalleeTerminalId = callee.TerminalId, CalleeName = "TERM1" });
        using var unknown = await TestDevice.RequestConnectionAsync(http, caller.Certificate, new ConnectionRequest { CalleeName = "nobody" });
        using var self = await TestDevice.RequestConnectionAsync(http, caller.Certificate, new ConnectionRequest { CalleeName = "TERM9" });

        await ProblemAssert.IsProblemAsync(neither, HttpStatusCode.BadRequest, ErrorCodes.MissingField);
        await ProblemAssert.IsProblemAsync(both, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, ErrorCodes.CalleeNotFound);
        await ProblemAssert.IsProblemAsync(self, HttpStatusCode.BadRequest, ErrorCodes.SelfConnection);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM sessions"));
    }

    public static IEnumerable<object[]> BadNames =>
    [
        ["\u202eTERM1", "bidi override"],
        ["TERM1\u200b", "zero-width space"],
        ["\ufeffTERM1", "byte order mark"],
        ["\u0422ERM1", "Cyrillic Te"],
        ["TERM\u00001", "NUL"],
        ["TERM1\n", "newline"],
        ["TERM\u007f1", "DEL"],
        [string.Empty, "empty"],
        [new string('n', 65), "65 characters"],
        ["TERM 1", "space"],
        ["TERM\t1", "tab"],
        ["-TERM1", "starts like an option"],
    ];

    [TestMethod]
    [DynamicData(nameof(BadNames))]
    public async Task BadNameIsRefusedAtEveryEntryAndNothingIsStored(string name, string what)
    {
        await using var server = await TestServer.StartAsync(SelfClaim);
        using var http = server.CreateClient();
        using var admin = server.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", server.AdminToken);
        var callee = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        var device = await Devices.EnrollAsync(server);
        var certificate = await device.AuthenticateAsync(http);
        var before = Db.Snapshot(server);

        // The empty name means "none" where a name is optional: a registration without a name, and connect's "name neither nor ID".
        var registrationCode = name.Length == 0 ? null : ErrorCodes.InvalidField;
        using (var registration = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, Devices.Registration(certificate.TerminalId, name: name)))
        {
            if (registrationCode is not null)
            {
                await ProblemAssert.IsProblemAsync(registration, HttpStatusCode.BadRequest, registrationCode);
            }
        }

        using (var permit = await TestDevice.SendPermitsAsync(http, callee.Certificate, TestDevice.Operation(PermitOps.Add, TestDevice.Entry(PermitKinds.Name, name))))
        {
            await ProblemAssert.IsProblemAsync(permit, HttpStatusCode.BadRequest, ErrorCodes.PermitInvalid);
        }

        using (var connect = await TestDevice.RequestConnectionAsync(http, certificate.Certificate, new ConnectionRequest { CalleeName = name, CallerPort = 7500 }))
        {
            await ProblemAssert.IsProblemAsync(connect, HttpStatusCode.BadRequest, name.Length == 0 ? ErrorCodes.MissingField : ErrorCodes.InvalidField);
        }

        foreach (var path in new[] { AdminPaths.NameBind, AdminPaths.NameReserve, AdminPaths.NameRelease })
        {
            var body = path == AdminPaths.NameBind ? new NameBindingRequest(name, device.DeviceId) : new NameBindingRequest(name);
            using var response = await admin.PostAsJsonAsync(path, body, WireJson.Options);
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        }

        using (var enroll = await admin.PostAsJsonAsync(AdminPaths.Devices, new EnrollDeviceRequest(TestDevice.NewDeviceId(), null, null, name), WireJson.Options))
        {
            await ProblemAssert.IsProblemAsync(enroll, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        }

        if (registrationCode is not null)
        {
            Assert.AreEqual(before, Db.Snapshot(server), what);
        }

        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM device_names"), what);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM permits"), what);
    }
}
