using System.Net;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Registry;

/// <summary>Device names (F22): registered against the terminal, unique, usable by callers and in permit tables.</summary>
[TestClass]
public sealed class DeviceNameTests
{
    [TestMethod]
    public async Task NameHeldByAnotherTerminalIsRefusedAndNothingIsStored()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), name: "TERM1");
        var second = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        var before = Db.Snapshot(server);

        using var taken = await TestDevice.SendRegistrationAsync(http, second.Certificate, Devices.Registration(second.TerminalId, name: "TERM1"));

        await ProblemAssert.IsProblemAsync(taken, HttpStatusCode.Conflict, ErrorCodes.NameTaken);
        Assert.AreEqual(before, Db.Snapshot(server));
        Assert.AreEqual(1, Db.Count(server, "SELECT count(*) FROM terminal_names"));
    }

    [TestMethod]
    public async Task NameIsKeptRenamedAndClearedByTheTerminalItself()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), name: "alice@example.com");
        var other = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);

        Assert.AreEqual("alice@example.com", (await server.Admin.ListDevicesAsync()).Single(d => d.TerminalId == device.TerminalId).Name);

        // Re-registering under the same name is no conflict; a new name frees the old one for others.
        using (var again = await TestDevice.SendRegistrationAsync(http, device.Certificate, Devices.Registration(device.TerminalId, name: "alice@example.com")))
        using (var renamed = await TestDevice.SendRegistrationAsync(http, device.Certificate, Devices.Registration(device.TerminalId, name: "TERM2")))
        using (var freed = await TestDevice.SendRegistrationAsync(http, other.Certificate, Devices.Registration(other.TerminalId, name: "alice@example.com")))
        {
            again.EnsureSuccessStatusCode();
            renamed.EnsureSuccessStatusCode();
            freed.EnsureSuccessStatusCode();
        }

        using (var cleared = await TestDevice.SendRegistrationAsync(http, device.Certificate, Devices.Registration(device.TerminalId, name: string.Empty)))
        {
            cleared.EnsureSuccessStatusCode();
        }

        var devices = await server.Admin.ListDevicesAsync();
        Assert.IsNull(devices.Single(d => d.TerminalId == device.TerminalId).Name);
        Assert.AreEqual("alice@example.com", devices.Single(d => d.TerminalId == other.TerminalId).Name);
    }

    [TestMethod]
    public async Task MalformedNamesAreRefused()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);

        foreach (var name in new[] { "has space", new string('n', 65), "tab\there" })
        {
            using var response = await TestDevice.SendRegistrationAsync(http, device.Certificate, Devices.Registration(device.TerminalId, name: name));
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        }

        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM registrations"));
    }

    [TestMethod]
    public async Task CallerConnectsByName()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var callee = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), name: "TERM1");
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
        var callee = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), name: "TERM1");
        var caller = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), name: "TERM9");

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

    [TestMethod]
    public async Task NamePermitEntryLetsOnlyTheTerminalWithThatNameConnect()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var callee = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        var named = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), name: "maintenance@example.com");
        var other = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), name: "someone-else");
        await TestDevice.PermitAsync(http, callee.Certificate, PermitKinds.Name, "maintenance@example.com");
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var permitted = await TestDevice.RequestConnectionAsync(http, named.Certificate, callee.TerminalId);
        using var denied = await TestDevice.RequestConnectionAsync(http, other.Certificate, callee.TerminalId);

        Assert.AreEqual(HttpStatusCode.OK, permitted.StatusCode, await permitted.Content.ReadAsStringAsync());
        await ProblemAssert.IsProblemAsync(denied, HttpStatusCode.Forbidden, ErrorCodes.PermissionDenied);
    }
}
