using System.Net;
using System.Text.Json;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Permits;

/// <summary>REGISTER on a terminal's own permit table (F14) and what a permit lets others see (F11).</summary>
[TestClass]
public sealed class PermitTableTests
{
    [TestMethod]
    public async Task CreateAddAndDeleteApplyInOrderInOneRequest()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);

        using var response = await TestDevice.SendPermitsAsync(
            http,
            device.Certificate,
            TestDevice.Operation(PermitOps.Create, TestDevice.Entry(PermitKinds.Terminal, "T00000000000000AA"), TestDevice.Entry(PermitKinds.Group, "lab")),
            TestDevice.Operation(PermitOps.Add, TestDevice.Entry(PermitKinds.Name, "TERM1"), TestDevice.Entry(PermitKinds.Terminal, "T00000000000000BB")),
            TestDevice.Operation(PermitOps.Delete, TestDevice.Entry(PermitKinds.Terminal, "T00000000000000AA")));
        var result = await TestDevice.ReadAsync<PermitResult>(response);
        using var read = await TestDevice.GetWithCertificateAsync(http, device.Certificate, Routes.Permits);
        var table = await TestDevice.ReadAsync<PermitTable>(read);

        string[] expected = ["group:lab", "name:TERM1", "terminal:T00000000000000BB"];
        Assert.AreEqual("complete", result.Result);
        CollectionAssert.AreEqual(expected, Flatten(result.Entries));
        CollectionAssert.AreEqual(expected, Flatten(table.Entries));
        Assert.IsFalse(table.UniformDenial);
        Assert.AreEqual(3, Db.Count(server, "SELECT count(*) FROM permits WHERE terminal_id = @t", ("@t", device.TerminalId)));
    }

    [TestMethod]
    public async Task RepeatedAddAndAbsentDeleteChangeNothing()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        await TestDevice.PermitAsync(http, device.Certificate, PermitKinds.Group, "lab");

        using var response = await TestDevice.SendPermitsAsync(
            http,
            device.Certificate,
            TestDevice.Operation(PermitOps.Add, TestDevice.Entry(PermitKinds.Group, "lab")),
            TestDevice.Operation(PermitOps.Delete, TestDevice.Entry(PermitKinds.Group, "never-added")));

        CollectionAssert.AreEqual(new[] { "group:lab" }, Flatten((await TestDevice.ReadAsync<PermitResult>(response)).Entries));
    }

    [TestMethod]
    public async Task InvalidOperationIsRefusedNamingItAndNothingChanges()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        await TestDevice.PermitAsync(http, device.Certificate, PermitKinds.Group, "lab");
        var before = Db.Snapshot(server);

        // The first operation is fine and would replace the table: it must not be applied either.
        using var badKind = await TestDevice.SendPermitsAsync(
            http,
            device.Certificate,
            TestDevice.Operation(PermitOps.Create, TestDevice.Entry(PermitKinds.Group, "floor2")),
            TestDevice.Operation(PermitOps.Add, TestDevice.Entry(PermitKinds.Terminal, "T00000000000000AA"), TestDevice.Entry("planet", "mars")));
        using var badOp = await TestDevice.SendPermitsAsync(http, device.Certificate, TestDevice.Operation("replace", TestDevice.Entry(PermitKinds.Group, "x")));
        using var badValue = await TestDevice.SendPermitsAsync(http, device.Certificate, TestDevice.Operation(PermitOps.Add, TestDevice.Entry(PermitKinds.Terminal, "has space")));
        using var emptyAdd = await TestDevice.SendPermitsAsync(http, device.Certificate, TestDevice.Operation(PermitOps.Add));
        using var noOperations = await TestDevice.PostWithCertificateAsync(http, device.Certificate, Routes.Permits, new { Other = 1 });

        await ProblemAssert.IsProblemAsync(badKind, HttpStatusCode.BadRequest, ErrorCodes.PermitInvalid);
        var detail = await DetailAsync(badKind);
        StringAssert.Contains(detail, "Operation 1 (add), entry 1 (planet:mars)");
        await ProblemAssert.IsProblemAsync(badOp, HttpStatusCode.BadRequest, ErrorCodes.PermitInvalid);
        StringAssert.Contains(await DetailAsync(badOp), "Operation 0");
        await ProblemAssert.IsProblemAsync(badValue, HttpStatusCode.BadRequest, ErrorCodes.PermitInvalid);
        StringAssert.Contains(await DetailAsync(badValue), "terminal:has space");
        await ProblemAssert.IsProblemAsync(emptyAdd, HttpStatusCode.BadRequest, ErrorCodes.PermitInvalid);
        await ProblemAssert.IsProblemAsync(noOperations, HttpStatusCode.BadRequest, ErrorCodes.MissingField);
        Assert.AreEqual(before, Db.Snapshot(server));
        using var read = await TestDevice.GetWithCertificateAsync(http, device.Certificate, Routes.Permits);
        CollectionAssert.AreEqual(new[] { "group:lab" }, Flatten((await TestDevice.ReadAsync<PermitTable>(read)).Entries));
    }

    [TestMethod]
    public async Task TableCannotGrowPastItsLimit()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        var first = Enumerable.Range(0, 200).Select(i => TestDevice.Entry(PermitKinds.Group, "g" + i)).ToArray();
        var second = Enumerable.Range(200, 100).Select(i => TestDevice.Entry(PermitKinds.Group, "g" + i)).ToArray();

        using var response = await TestDevice.SendPermitsAsync(http, device.Certificate, TestDevice.Operation(PermitOps.Add, first), TestDevice.Operation(PermitOps.Add, second));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.PermitInvalid);
        StringAssert.Contains(await DetailAsync(response), "Operation 1 (add) would grow the table past 256");
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM permits"));
    }

    [TestMethod]
    public async Task PolicyIsStoredAndShownWithTheTable()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);

        using var on = await TestDevice.SetPolicyAsync(http, device.Certificate, uniformDenial: true);
        Assert.IsTrue((await TestDevice.ReadAsync<PermitTable>(on)).UniformDenial);
        Assert.IsTrue((await server.Admin.GetPermitsAsync(device.TerminalId)).UniformDenial);

        using var off = await TestDevice.SetPolicyAsync(http, device.Certificate, uniformDenial: false);
        Assert.IsFalse((await TestDevice.ReadAsync<PermitTable>(off)).UniformDenial);
    }

    [TestMethod]
    public async Task PermitMakesAHiddenTerminalVisibleToWhomItNames()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var target = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server, "vault"));
        var byTerminal = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        var byGroup = await (await Devices.EnrollAsync(server, "maintenance")).AuthenticateAsync(http);
        var stranger = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);

        using var before = await TestDevice.GetWithCertificateAsync(http, byTerminal.Certificate, Routes.Terminals + target.TerminalId);
        await ProblemAssert.IsProblemAsync(before, HttpStatusCode.NotFound, ErrorCodes.TerminalNotFound);

        await TestDevice.PermitAsync(http, target.Certificate, PermitKinds.Terminal, byTerminal.TerminalId);
        await TestDevice.PermitAsync(http, target.Certificate, PermitKinds.Group, "maintenance");
        using var seenByTerminal = await TestDevice.GetWithCertificateAsync(http, byTerminal.Certificate, Routes.Terminals + target.TerminalId);
        using var seenByGroup = await TestDevice.GetWithCertificateAsync(http, byGroup.Certificate, Routes.Groups + "vault" + Routes.GroupMembersSuffix);
        using var hidden = await TestDevice.GetWithCertificateAsync(http, stranger.Certificate, Routes.Terminals + target.TerminalId);

        Assert.AreEqual(target.TerminalId, (await TestDevice.ReadAsync<TerminalAddress>(seenByTerminal)).TerminalId);
        Assert.AreEqual(target.TerminalId, (await TestDevice.ReadAsync<GroupMembers>(seenByGroup)).Members.Single().TerminalId);
        await ProblemAssert.IsProblemAsync(hidden, HttpStatusCode.NotFound, ErrorCodes.TerminalNotFound);
    }

    private static string[] Flatten(PermitEntry[] entries) => entries.Select(e => e.Kind + ":" + e.Value).ToArray();

    private static async Task<string> DetailAsync(HttpResponseMessage response)
    {
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return problem.RootElement.GetProperty("detail").GetString()!;
    }
}
