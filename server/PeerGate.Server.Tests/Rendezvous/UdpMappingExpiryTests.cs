using Microsoft.Extensions.DependencyInjection;
using PeerGate.Server.Observability;
using PeerGate.Server.Rendezvous;
using PeerGate.Server.Testing;

using static PeerGate.Server.Tests.Rendezvous.UdpTestDevice;

namespace PeerGate.Server.Tests.Rendezvous;

/// <summary>
/// The mappings in memory are bounded: one older than <c>UdpMappingRetention</c> (no NAT keeps an idle
/// UDP mapping that long) leaves memory at the next flush, its row staying as the replay floor, and a
/// full table drops a new device's registration as <c>busy</c>. Time is the test's clock.
/// </summary>
[TestClass]
public sealed class UdpMappingExpiryTests
{
    [TestMethod]
    public async Task AMappingPastItsRetentionLeavesMemoryAndItsRowStillRefusesAReplay()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = o => o.UdpMappingRetention = TimeSpan.FromMinutes(15) });
        using var http = server.CreateClient();
        var certificate = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        using var device = Bound();
        var mappings = server.Services.GetRequiredService<UdpMappings>();
        Assert.IsNotNull(await RegisterAsync(server, device, certificate, counter: 7));

        // Ten minutes on (past the 90 s freshness, within the retention), flushed: still held.
        server.Time!.Advance(TimeSpan.FromMinutes(10));
        await Eventually.TrueAsync(() => Db.Count(server, "SELECT count(*) FROM udp_mappings WHERE counter = 7") == 1, "the mapping is persisted");
        Assert.IsNotNull(mappings.Find(certificate.TerminalId), "within the retention the mapping is kept");

        // Past fifteen minutes since the registration: the next flush drops it from memory, not from SQLite.
        server.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(20));
        await Eventually.TrueAsync(() => mappings.Find(certificate.TerminalId) is null, "the expired mapping leaves memory");
        Assert.AreEqual(0, mappings.Count);
        Assert.AreEqual(1, Db.Count(server, "SELECT count(*) FROM udp_mappings WHERE counter = 7"), "its row stays, the replay floor");

        Assert.IsNull(await RegisterAsync(server, device, certificate, counter: 7), "the old registration replayed after the expiry is still a replay");
        Assert.IsNull(mappings.Find(certificate.TerminalId));
        var ack = await RegisterAsync(server, device, certificate, counter: 8);
        Assert.IsNotNull(ack, "the device's next registration is taken");
        Assert.AreEqual(8L, mappings.Find(certificate.TerminalId)!.Counter);
    }

    [TestMethod]
    public async Task AFullTableDropsANewDeviceAsBusyUntilExpiryMakesRoom()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = o => o.UdpMappingsMax = 1 });
        using var http = server.CreateClient();
        var first = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        var second = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        using var device = Bound();
        var mappings = server.Services.GetRequiredService<UdpMappings>();

        Assert.IsNotNull(await RegisterAsync(server, device, first, counter: 1));
        Assert.IsNull(await RegisterAsync(server, device, second, counter: 1), "no room for a second device");
        await Eventually.TrueAsync(() => Metrics(server).UdpDatagrams(UdpRegistrar.Busy) == 1, "counted busy");
        Assert.IsNull(mappings.Find(second.TerminalId));
        Assert.IsNotNull(await RegisterAsync(server, device, first, counter: 2), "a device already held goes on registering");

        server.Time!.Advance(TimeSpan.FromMinutes(16));
        await Eventually.TrueAsync(() => mappings.Count == 0, "the first device's mapping expired");
        Assert.IsNotNull(await RegisterAsync(server, device, second, counter: 2), "room again");
    }

    private static ServerMetrics Metrics(TestServer server) => server.Services.GetRequiredService<ServerMetrics>();
}
