using System.Net;
using System.Net.Http.Json;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Allocation;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Allocation;

/// <summary>
/// A two-level chain over three instances: the service entry and level 1 on the first, level 2 on
/// the second, authentication on the third (F6), walked hop by hop and by the service server (F8).
/// </summary>
[TestClass]
public sealed class AllocationChainTests
{
    private static TestServer s_service = null!;
    private static TestServer s_level2 = null!;
    private static TestServer s_auth = null!;
    private static HttpClient s_http = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_service = await TestServer.StartAsync(new TestServerOptions { IssuerName = "service" });
        s_level2 = await TestServer.StartAsync(new TestServerOptions { IssuerName = "level2" });
        s_auth = await TestServer.StartAsync(new TestServerOptions { IssuerName = "auth" });
        s_http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        await s_service.Admin.SetServiceEntryAsync(new AllocationHop { Role = HopRoles.Allocation, Url = s_service.BaseUrl, Level = 1 });
        await s_service.Admin.SetAllocationEntryAsync(new AllocationEntry(1, "acme", HopRoles.Allocation, s_level2.BaseUrl, 2));
        await s_level2.Admin.SetAllocationEntryAsync(new AllocationEntry(2, "sensor-v2", HopRoles.Authentication, s_auth.BaseUrl, 0));
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        s_http.Dispose();
        await s_service.DisposeAsync();
        await s_level2.DisposeAsync();
        await s_auth.DisposeAsync();
    }

    [TestMethod]
    public async Task ChainIsWalkedHopByHopToTheAuthenticationServer()
    {
        var entry = await TestDevice.ReadAsync<AllocationHop>(await s_http.GetAsync(s_service.BaseUrl + Routes.ServiceEntry));
        Assert.AreEqual(HopRoles.Allocation, entry.Role);
        Assert.AreEqual(1, entry.Level);

        var second = await ResolveAsync(entry.Url, entry.Level, "acme");
        Assert.AreEqual(HopRoles.Allocation, second.Role);
        Assert.AreEqual(s_level2.BaseUrl, second.Url);
        Assert.AreEqual(2, second.Level);

        var auth = await ResolveAsync(second.Url, second.Level, "sensor-v2");
        Assert.AreEqual(HopRoles.Authentication, auth.Role);
        Assert.AreEqual(s_auth.BaseUrl, auth.Url);
        Assert.AreEqual(0, auth.Level);

        // And the end of the chain really authenticates.
        var device = await Devices.EnrollAsync(s_auth);
        using var authHttp = new HttpClient { BaseAddress = new Uri(auth.Url) };
        Assert.IsFalse(string.IsNullOrEmpty((await device.AuthenticateAsync(authHttp)).TerminalId));
    }

    [TestMethod]
    public async Task ServiceServerWalksTheChainForTheDevice()
    {
        using var response = await s_http.PostAsJsonAsync(s_service.BaseUrl + Routes.ServiceResolve, new DelegatedAllocationRequest { Keys = ["acme", "sensor-v2"] }, WireJson.Options);
        var hop = await TestDevice.ReadAsync<AllocationHop>(response);

        Assert.AreEqual(HopRoles.Authentication, hop.Role);
        Assert.AreEqual(s_auth.BaseUrl, hop.Url);
    }

    [TestMethod]
    public async Task UnknownKeyIsRefusedOnEachPath()
    {
        using var direct = await s_http.PostAsJsonAsync(s_level2.BaseUrl + Routes.AllocationResolve, new AllocationRequest { Level = 2, Key = "toaster" }, WireJson.Options);
        using var wrongLevel = await s_http.PostAsJsonAsync(s_level2.BaseUrl + Routes.AllocationResolve, new AllocationRequest { Level = 1, Key = "sensor-v2" }, WireJson.Options);
        using var delegated = await s_http.PostAsJsonAsync(s_service.BaseUrl + Routes.ServiceResolve, new DelegatedAllocationRequest { Keys = ["acme", "toaster"] }, WireJson.Options);

        await ProblemAssert.IsProblemAsync(direct, HttpStatusCode.NotFound, ErrorCodes.AllocationKeyUnknown);
        await ProblemAssert.IsProblemAsync(wrongLevel, HttpStatusCode.NotFound, ErrorCodes.AllocationKeyUnknown);
        await ProblemAssert.IsProblemAsync(delegated, HttpStatusCode.NotFound, ErrorCodes.AllocationKeyUnknown);
    }

    [TestMethod]
    public async Task DelegatedWalkReportsABrokenChain()
    {
        using var tooFewKeys = await s_http.PostAsJsonAsync(s_service.BaseUrl + Routes.ServiceResolve, new DelegatedAllocationRequest { Keys = ["acme"] }, WireJson.Options);
        await ProblemAssert.IsProblemAsync(tooFewKeys, HttpStatusCode.BadGateway, ErrorCodes.AllocationChainBroken);

        // A hop pointing at a port nobody listens on.
        await using var lonely = await TestServer.StartAsync();
        var deadUrl = "http://127.0.0.1:" + LoopbackPorts.Free();
        await lonely.Admin.SetServiceEntryAsync(new AllocationHop { Role = HopRoles.Allocation, Url = deadUrl, Level = 1 });
        using var unreachable = await s_http.PostAsJsonAsync(lonely.BaseUrl + Routes.ServiceResolve, new DelegatedAllocationRequest { Keys = ["acme"] }, WireJson.Options);
        await ProblemAssert.IsProblemAsync(unreachable, HttpStatusCode.BadGateway, ErrorCodes.AllocationChainBroken);
    }

    [TestMethod]
    public async Task ChainLongerThanFourLevelsIsBroken()
    {
        // Level 1..4 entries that keep pointing back at themselves: the walk must stop at 4 hops.
        await using var loop = await TestServer.StartAsync();
        await loop.Admin.SetServiceEntryAsync(new AllocationHop { Role = HopRoles.Allocation, Url = loop.BaseUrl, Level = 1 });
        for (var level = 1; level <= 4; level++)
        {
            await loop.Admin.SetAllocationEntryAsync(new AllocationEntry(level, "k", HopRoles.Allocation, loop.BaseUrl, level == 4 ? 1 : level + 1));
        }

        using var response = await s_http.PostAsJsonAsync(loop.BaseUrl + Routes.ServiceResolve, new DelegatedAllocationRequest { Keys = ["k", "k", "k", "k"] }, WireJson.Options);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadGateway, ErrorCodes.AllocationChainBroken);
    }

    [TestMethod]
    public async Task HopAnswerLargerThanTheBoundIsBroken()
    {
        // A next hop whose answer is a good hop followed by more whitespace than any hop needs (still
        // valid JSON): the walk stops reading at the bound instead of buffering it all.
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        Microsoft.AspNetCore.Hosting.HostingAbstractionsWebHostBuilderExtensions.UseUrls(builder.WebHost, "http://127.0.0.1:0");
        await using var flood = builder.Build();
        var hop = System.Text.Json.JsonSerializer.Serialize(new AllocationHop { Role = HopRoles.Authentication, Url = "http://auth.example", Level = 0 }, WireJson.Options);
        var answer = hop + new string(' ', ChainWalker.MaxAnswerBytes);
        Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions.MapPost(flood, Routes.AllocationResolve, () => Microsoft.AspNetCore.Http.Results.Text(answer, "application/json"));
        await flood.StartAsync();
        var floodUrl = flood.Urls.First();
        await using var front = await TestServer.StartAsync();
        await front.Admin.SetServiceEntryAsync(new AllocationHop { Role = HopRoles.Allocation, Url = front.BaseUrl, Level = 1 });
        await front.Admin.SetAllocationEntryAsync(new AllocationEntry(1, "k", HopRoles.Allocation, floodUrl, 2));

        using var response = await s_http.PostAsJsonAsync(front.BaseUrl + Routes.ServiceResolve, new DelegatedAllocationRequest { Keys = ["k", "k"] }, WireJson.Options);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadGateway, ErrorCodes.AllocationChainBroken);
    }

    [TestMethod]
    public async Task MissingServiceEntryHasItsOwnCode()
    {
        await using var empty = await TestServer.StartAsync();

        using var response = await s_http.GetAsync(empty.BaseUrl + Routes.ServiceEntry);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, ErrorCodes.ServiceEntryMissing);
    }

    [TestMethod]
    public async Task OperatorEditsTheTable()
    {
        await using var server = await TestServer.StartAsync();
        await server.Admin.SetAllocationEntryAsync(new AllocationEntry(1, "acme", HopRoles.Authentication, "http://auth.example:8080", 0));
        await server.Admin.SetAllocationEntryAsync(new AllocationEntry(1, "acme", HopRoles.Allocation, "http://alloc.example:8080", 2));
        await server.Admin.SetAllocationEntryAsync(new AllocationEntry(1, "other", HopRoles.Authentication, "http://auth.example:8080", 0));
        await server.Admin.DeleteAllocationEntryAsync(1, "other");

        var table = await server.Admin.GetAllocationTableAsync();
        var missing = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.DeleteAllocationEntryAsync(1, "other"));
        var invalid = await Assert.ThrowsExactlyAsync<AdminApiException>(() => server.Admin.SetAllocationEntryAsync(new AllocationEntry(5, "x", HopRoles.Allocation, "http://a.example", 1)));

        Assert.IsNull(table.ServiceEntry);
        Assert.HasCount(1, table.Entries);
        Assert.AreEqual(new AllocationEntry(1, "acme", HopRoles.Allocation, "http://alloc.example:8080", 2), table.Entries[0]);
        Assert.AreEqual(ErrorCodes.NotFound, missing.Code);
        Assert.AreEqual(ErrorCodes.InvalidField, invalid.Code);
    }

    private static async Task<AllocationHop> ResolveAsync(string url, int level, string key)
    {
        using var response = await s_http.PostAsJsonAsync(url + Routes.AllocationResolve, new AllocationRequest { Level = level, Key = key }, WireJson.Options);
        return await TestDevice.ReadAsync<AllocationHop>(response);
    }
}
