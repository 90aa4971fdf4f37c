using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Server.Identity;
using PeerGate.Server.Registry;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Registry;

/// <summary>Who learns whose address: inquiry by terminal (F11), by group (F12), and matching (F13).</summary>
[TestClass]
public sealed class InquiryTests
{
    [TestMethod]
    public async Task DiscoverableTerminalIsVisibleToAnyDevice()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var target = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), discoverable: true);
        var asker = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);

        using var response = await TestDevice.GetWithCertificateAsync(http, asker.Certificate, Routes.Terminals + target.TerminalId);
        var address = await TestDevice.ReadAsync<TerminalAddress>(response);

        Assert.AreEqual(target.TerminalId, address.TerminalId);
        Assert.AreEqual("192.168.1.23", address.LocalIp);
        Assert.AreEqual(7400, address.LocalPort);
        Assert.AreEqual("127.0.0.1", address.ObservedIp);
        Assert.AreEqual("sensor", address.Kind);
    }

    [TestMethod]
    public async Task HiddenTerminalIsVisibleOnlyToItsGroup()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var target = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server, "lab"));
        var colleague = await (await Devices.EnrollAsync(server, "lab", "other")).AuthenticateAsync(http);
        var stranger = await (await Devices.EnrollAsync(server, "other")).AuthenticateAsync(http);

        using var seen = await TestDevice.GetWithCertificateAsync(http, colleague.Certificate, Routes.Terminals + target.TerminalId);
        using var hidden = await TestDevice.GetWithCertificateAsync(http, stranger.Certificate, Routes.Terminals + target.TerminalId);
        using var unknown = await TestDevice.GetWithCertificateAsync(http, stranger.Certificate, Routes.Terminals + "T0000000000000000");

        Assert.AreEqual(target.TerminalId, (await TestDevice.ReadAsync<TerminalAddress>(seen)).TerminalId);
        await ProblemAssert.IsProblemAsync(hidden, HttpStatusCode.NotFound, ErrorCodes.TerminalNotFound);
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, ErrorCodes.TerminalNotFound);

        // Not permitted and not existing must be indistinguishable, body and all.
        Assert.AreEqual(Strip(await hidden.Content.ReadAsStringAsync()), Strip(await unknown.Content.ReadAsStringAsync()));
    }

    [TestMethod]
    public async Task ExpiredRegistrationIsNotReturned()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var target = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), discoverable: true);
        var asker = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);

        server.Time!.Advance(TimeSpan.FromSeconds(301));
        using var response = await TestDevice.GetWithCertificateAsync(http, asker.Certificate, Routes.Terminals + target.TerminalId);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, ErrorCodes.TerminalNotFound);
    }

    [TestMethod]
    public async Task GroupInquiryListsOnlyVisibleOnlineMembers()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var refreshing = await Devices.EnrollAsync(server, "lab");
        await Devices.RegisterAsync(server, http, refreshing);
        var offline = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server, "lab"));
        server.Time!.Advance(TimeSpan.FromSeconds(200));
        var online = await Devices.RegisterAsync(server, http, refreshing);
        var fresh = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server, "lab"));
        var outsider = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server, "other"));
        server.Time.Advance(TimeSpan.FromSeconds(101));
        var askerDevice = await Devices.EnrollAsync(server, "lab");
        var asker = await Devices.RegisterAsync(server, http, askerDevice);
        var stranger = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);

        using var forMember = await TestDevice.GetWithCertificateAsync(http, asker.Certificate, Routes.Groups + "lab" + Routes.GroupMembersSuffix);
        using var forStranger = await TestDevice.GetWithCertificateAsync(http, stranger.Certificate, Routes.Groups + "lab" + Routes.GroupMembersSuffix);

        var members = await TestDevice.ReadAsync<GroupMembers>(forMember);
        Assert.AreEqual("lab", members.GroupId);
        CollectionAssert.AreEquivalent(new[] { online.TerminalId, fresh.TerminalId }, members.Members.Select(m => m.TerminalId).ToArray());
        CollectionAssert.DoesNotContain(members.Members.Select(m => m.TerminalId).ToArray(), offline.TerminalId);
        CollectionAssert.DoesNotContain(members.Members.Select(m => m.TerminalId).ToArray(), outsider.TerminalId);
        CollectionAssert.DoesNotContain(members.Members.Select(m => m.TerminalId).ToArray(), asker.TerminalId);
        Assert.IsEmpty((await TestDevice.ReadAsync<GroupMembers>(forStranger)).Members);
    }

    [TestMethod]
    public async Task MatchingPicksAnOnlineFittingVisibleDevice()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var camera = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), discoverable: true, kind: "sensor", capabilities: ["camera", "temperature"], attributes: ["room=lab", "floor=2"]);
        await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), discoverable: true, kind: "sensor", capabilities: ["temperature"], attributes: ["room=lab"]);
        await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), discoverable: false, kind: "sensor", capabilities: ["camera"], attributes: ["room=lab"]);
        var asker = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), discoverable: true, kind: "sensor", capabilities: ["camera"], attributes: ["room=lab"]);

        using var match = await TestDevice.PostWithCertificateAsync(http, asker.Certificate, Routes.Match, new MatchRequest { Kind = "sensor", Capabilities = ["camera"], Attributes = ["room=lab"] });
        using var none = await TestDevice.PostWithCertificateAsync(http, asker.Certificate, Routes.Match, new MatchRequest { Kind = "sensor", Capabilities = ["lidar"] });
        using var wrongKind = await TestDevice.PostWithCertificateAsync(http, asker.Certificate, Routes.Match, new MatchRequest { Kind = "actuator" });

        Assert.AreEqual(camera.TerminalId, (await TestDevice.ReadAsync<TerminalAddress>(match)).TerminalId);
        await ProblemAssert.IsProblemAsync(none, HttpStatusCode.NotFound, ErrorCodes.NoMatch);
        await ProblemAssert.IsProblemAsync(wrongKind, HttpStatusCode.NotFound, ErrorCodes.NoMatch);

        server.Time!.Advance(TimeSpan.FromSeconds(301));
        var lateAsker = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        using var afterExpiry = await TestDevice.PostWithCertificateAsync(http, lateAsker.Certificate, Routes.Match, new MatchRequest { Kind = "sensor", Capabilities = ["camera"] });
        await ProblemAssert.IsProblemAsync(afterExpiry, HttpStatusCode.NotFound, ErrorCodes.NoMatch);
    }

    [TestMethod]
    public async Task MatchingPrefersTheMostRecentlySeen()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), discoverable: true);
        server.Time!.Advance(TimeSpan.FromSeconds(10));
        var recent = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), discoverable: true);
        var asker = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);

        using var match = await TestDevice.PostWithCertificateAsync(http, asker.Certificate, Routes.Match, new MatchRequest { Kind = "sensor" });

        Assert.AreEqual(recent.TerminalId, (await TestDevice.ReadAsync<TerminalAddress>(match)).TerminalId);
    }

    [TestMethod]
    public async Task MatchingFindsTheOneFittingVisibleDeviceBehindHundredsThatAreNot()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var fitting = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), discoverable: true, capabilities: ["camera"]);
        var asker = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);

        // Seen more recently, so read first: 400 the asker may not see, 400 without the capability.
        server.Time!.Advance(TimeSpan.FromSeconds(10));
        var store = server.Services.GetRequiredService<RegistryStore>();
        var now = server.Time.GetUtcNow().ToUnixTimeSeconds();
        for (var i = 0; i < 800; i++)
        {
            var terminal = $"TBULK{i:D6}";
            var certificate = new CertificatePayload(terminal, $"BULK{i:D8}", "test-auth", now, now + 3600, $"S{i}", []);
            var registration = Devices.Registration(terminal, discoverable: i % 2 == 0, capabilities: i % 2 == 0 ? ["temperature"] : ["camera"]);
            Assert.IsTrue(await store.RegisterAsync(certificate, registration, "127.0.0.1", 7000, now, now + 300));
        }

        using var match = await TestDevice.PostWithCertificateAsync(http, asker.Certificate, Routes.Match, new MatchRequest { Kind = "sensor", Capabilities = ["camera"] });

        Assert.AreEqual(fitting.TerminalId, (await TestDevice.ReadAsync<TerminalAddress>(match)).TerminalId);
    }

    private static string Strip(string problem) =>
        System.Text.RegularExpressions.Regex.Replace(problem, "\"traceId\":\"[^\"]*\"", string.Empty);
}
