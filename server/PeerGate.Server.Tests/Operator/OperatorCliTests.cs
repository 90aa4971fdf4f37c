using System.Net;
using PeerGate.CliSupport;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Operator;

/// <summary>peergate-op's commands against a real server: what the operator types, what the server then holds.</summary>
[TestClass]
public sealed class OperatorCliTests
{
    [TestMethod]
    public async Task EnrollAllocateAndListFromTheCommandLine()
    {
        await using var server = await TestServer.StartAsync();

        var enrolled = await RunAsync(server, "enroll", "device", "24A160C3D4E5", "--group", "lab", "--group", "floor2");
        await RunAsync(server, "enroll", "group", "factory-7", "--key", new string('A', 64));
        await RunAsync(server, "alloc", "service-entry", "--url", "http://alloc1.example:5080");
        await RunAsync(server, "alloc", "entry", "set", "--level", "1", "--key", "acme", "--role", "allocation", "--url", "http://alloc2.example:5080");
        await RunAsync(server, "alloc", "entry", "set", "--level", "2", "--key", "sensor-v2", "--role", "authentication", "--url", "http://auth.example:5080");
        var table = await RunAsync(server, "alloc", "list");
        var devices = await RunAsync(server, "devices");

        StringAssert.Contains(enrolled, "device key (shown once");
        StringAssert.Contains(table, "service entry: allocation http://alloc1.example:5080 (level 1)");
        StringAssert.Contains(table, "acme       allocation      http://alloc2.example:5080  2");
        StringAssert.Contains(devices, "24A160C3D4E5  -         floor2,lab");
        StringAssert.Matches(devices, new System.Text.RegularExpressions.Regex(@"CHANNEL +PATHS +LAST ANSWER\n"), "the reachable paths and the last Accept/Busy answer come last");
        StringAssert.Matches(devices, new System.Text.RegularExpressions.Regex(@"24A160C3D4E5 .* - +- +-\n"), "never registered: no channel, no path, no answer");

        var stored = await server.Admin.GetAllocationTableAsync();
        Assert.AreEqual(new AllocationEntry(1, "acme", HopRoles.Allocation, "http://alloc2.example:5080", 2), stored.Entries[0]);
        Assert.AreEqual(new AllocationEntry(2, "sensor-v2", HopRoles.Authentication, "http://auth.example:5080", 0), stored.Entries[1]);
    }

    [TestMethod]
    public async Task RevocationsAndDisablingTakeEffect()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server);
        var certificate = await device.AuthenticateAsync(http);

        await RunAsync(server, "revoke", "cert", certificate.Serial);
        await RunAsync(server, "disable", "device", device.DeviceId);
        var disabled = await RunAsync(server, "devices");
        await RunAsync(server, "enable", "device", device.DeviceId);
        await RunAsync(server, "revoke", "device", device.DeviceId);

        StringAssert.Contains(disabled, "disabled");
        Assert.AreEqual(1, Db.Count(server, "SELECT count(*) FROM certificates WHERE revoked = 1"));
        Assert.IsTrue((await server.Admin.ListDevicesAsync()).Single().Disabled);
    }

    [TestMethod]
    public async Task DisablingAGroupRefusesItsMembersUntilEnabled()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server, "lab");
        var certificate = await device.AuthenticateAsync(http);

        var said = await RunAsync(server, "disable", "group", "lab");
        var listed = await RunAsync(server, "devices");
        using var refused = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, Devices.Registration(certificate.TerminalId));
        await RunAsync(server, "enable", "group", "lab");
        using var accepted = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, Devices.Registration(certificate.TerminalId));

        StringAssert.Contains(said, "disabled group lab");
        StringAssert.Contains(listed, "disabled");
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);
        Assert.AreEqual(HttpStatusCode.OK, accepted.StatusCode, await accepted.Content.ReadAsStringAsync());
        Assert.IsFalse((await server.Admin.ListDevicesAsync()).Single().Disabled);
    }

    [TestMethod]
    public async Task NamesAreBoundReboundReservedAndReleasedFromTheCommandLine()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();

        var enrolled = await RunAsync(server, "enroll", "device", "24A160C3D4E5", "--name", "TERM1");
        await RunAsync(server, "enroll", "device", "24A160C3D4E6");
        var bound = await RunAsync(server, "names", "bind", "door@example.com", "24A160C3D4E6");
        var refused = await Op.FailsAsync(server, ExitCodes.Failure, "names", "bind", "TERM1", "24A160C3D4E6");
        var rebound = await RunAsync(server, "names", "rebind", "TERM1", "24A160C3D4E6");
        var reserved = await RunAsync(server, "names", "reserve", "lobby");
        var badName = await Op.FailsAsync(server, ExitCodes.Usage, "names", "reserve", "\u202eTERM1");
        var list = await RunAsync(server, "names");
        var released = await RunAsync(server, "names", "release", "lobby");
        var devices = await RunAsync(server, "devices");

        StringAssert.Contains(enrolled, "enrolled device 24A160C3D4E5 as TERM1");
        StringAssert.Contains(bound, "name door@example.com belongs to device 24A160C3D4E6 (test-auth)");
        StringAssert.Contains(refused, ErrorCodes.NameTaken);
        StringAssert.Contains(rebound, "name TERM1 belongs to device 24A160C3D4E6");
        StringAssert.Contains(reserved, "name lobby is reserved");
        StringAssert.Contains(badName, "Name '\\u202ETERM1' must be");
        StringAssert.Contains(list, "lobby  reserved  -");
        StringAssert.Contains(list, "TERM1  bound     24A160C3D4E6  test-auth  -         operator");
        StringAssert.Contains(released, "name lobby released");
        StringAssert.Contains(devices, "TERM1");

        // The rebind replaced the device's other name; the first device holds none now.
        var names = await server.Admin.ListNamesAsync();
        CollectionAssert.AreEqual(new[] { "TERM1" }, names.Select(n => n.Name).ToArray());
        Assert.IsNull((await server.Admin.ListDevicesAsync()).Single(d => d.DeviceId == "24A160C3D4E5").Name);
    }

    [TestMethod]
    public async Task MistakesAreReportedWithTheirCause()
    {
        await using var server = await TestServer.StartAsync();

        var unknownCommand = await Op.FailsAsync(server, ExitCodes.Usage, "enrol", "device", "24A160C3D4E5");
        var unknownOption = await Op.FailsAsync(server, ExitCodes.Usage, "devices", "--colour", "red");
        var missingOption = await Op.FailsAsync(server, ExitCodes.Usage, "alloc", "entry", "set", "--level", "1", "--key", "acme");
        var refused = await Op.FailsAsync(server, ExitCodes.Failure, "revoke", "group", "nobody");

        StringAssert.Contains(unknownCommand, "'enrol'");
        StringAssert.Contains(unknownOption, "--colour");
        StringAssert.Contains(missingOption, "--role");
        StringAssert.Contains(refused, ErrorCodes.NotFound);
    }

    private static Task<string> RunAsync(TestServer server, params string[] args) => Op.RunAsync(server, args);
}
