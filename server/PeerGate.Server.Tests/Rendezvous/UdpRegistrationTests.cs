using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Observability;
using PeerGate.Server.Rendezvous;
using PeerGate.Server.Testing;

using static PeerGate.Server.Tests.Rendezvous.UdpTestDevice;

namespace PeerGate.Server.Tests.Rendezvous;

/// <summary>
/// UDP registration (F27) over real sockets on 127.0.0.1: only an authentic, fresh datagram moves a
/// device's mapping to the source it came from, and is acknowledged with that source; everything
/// else is dropped unanswered, counted by reason, and leaves the mapping where it was.
/// </summary>
[TestClass]
public sealed class UdpRegistrationTests
{
    [TestMethod]
    public async Task AValidRegistrationRecordsTheObservedPortAndIsAcknowledgedWithIt()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var certificate = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        using var device = Bound();

        var ack = await RegisterAsync(server, device, certificate, counter: 1);

        Assert.IsNotNull(ack, "an acknowledgement");
        var reader = new RendezvousDatagram();
        Assert.IsTrue(reader.Read(ack, ack.Length));
        Assert.AreEqual(RendezvousDatagram.TypeAck, reader.Type);
        Assert.IsTrue(reader.Verify(Convert.FromBase64String(certificate.UdpKey), Crypto, new byte[RendezvousDatagram.WorkLength]));
        Assert.AreEqual(1L, reader.Counter);
        Assert.AreEqual(PortOf(device), reader.Port, "the ack tells the device the port the server saw");
        Assert.AreEqual("7F000001", Convert.ToHexString(ack, reader.AddressOffset, reader.AddressLength));
        Assert.AreEqual(25, reader.IntervalSeconds);

        var mapping = server.Services.GetRequiredService<UdpMappings>().Find(certificate.TerminalId);
        Assert.IsNotNull(mapping);
        Assert.AreEqual("127.0.0.1", mapping.ObservedIp);
        Assert.AreEqual(PortOf(device), mapping.ObservedPort);
        Assert.AreEqual("192.168.1.20", mapping.LocalIp);
        // Counted once handled, just after the ack leaves.
        await Eventually.TrueAsync(() => Metrics(server).UdpDatagrams(UdpRegistrar.Accepted) == 1, "the registration is counted");

        // Written to SQLite at the next flush, not per datagram.
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM udp_mappings"));
        server.Time!.Advance(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => Db.Count(server, "SELECT count(*) FROM udp_mappings WHERE observed_port = @p AND counter = 1", ("@p", PortOf(device))) == 1, "the mapping is persisted");
    }

    [TestMethod]
    public async Task ForgedReplayedMalformedOversizedAndUnknownDatagramsAreDroppedCountedAndMoveNothing()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var certificate = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        var other = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        using var device = Bound();
        Assert.IsNotNull(await RegisterAsync(server, device, certificate, counter: 5));
        var key = Convert.FromBase64String(certificate.UdpKey);

        var wrongKey = (byte[])key.Clone();
        wrongKey[3] ^= 0x40;
        var replay = Register(certificate.TerminalId, certificate.Serial, 5, key);
        var garbage = new byte[40];
        garbage[0] = (byte)'P';
        var oversized = new byte[RendezvousDatagram.MaxLength + 1];
        Register(certificate.TerminalId, certificate.Serial, 6, key).CopyTo(oversized, 0);
        var wake = new byte[RendezvousDatagram.MaxLength];
        var wakeLength = RendezvousDatagram.WriteWake(wake, certificate.TerminalId, certificate.Serial, 9, key, Crypto, new byte[RendezvousDatagram.WorkLength]);

        var cases = new (string Reason, byte[] Datagram)[]
        {
            (UdpRegistrar.BadTag, Register(certificate.TerminalId, certificate.Serial, 6, wrongKey)),
            (UdpRegistrar.Replayed, replay),
            (UdpRegistrar.Replayed, Register(certificate.TerminalId, certificate.Serial, 4, key)),
            (UdpRegistrar.Malformed, garbage),
            (UdpRegistrar.Malformed, wake[..wakeLength]),
            (UdpRegistrar.Oversized, oversized),
            (UdpRegistrar.UnknownTerminal, Register(certificate.TerminalId, "00112233445566778899AABB", 6, key)),
            (UdpRegistrar.UnknownTerminal, Register(other.TerminalId, certificate.Serial, 6, key)),
            (UdpRegistrar.UnknownTerminal, Register(certificate.TerminalId, other.Serial, 6, key)),
        };

        using var attacker = Bound();
        foreach (var (reason, datagram) in cases)
        {
            await AssertDroppedAsync(server, attacker, datagram, reason, certificate.TerminalId, PortOf(device), 5);
        }

        // One device's key cannot move another's mapping.
        using var otherDevice = Bound();
        Assert.IsNotNull(await RegisterAsync(server, otherDevice, other, counter: 1));
        await AssertDroppedAsync(server, attacker, Register(other.TerminalId, other.Serial, 2, key), UdpRegistrar.BadTag, other.TerminalId, PortOf(otherDevice), 1);
    }

    [TestMethod]
    public async Task ADisabledDeviceRevokedOrExpiredCertificateMovesNothing()
    {
        // The clock goes on to the certificate's expiry: the mappings are kept in memory that long to be looked at.
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = o => o.UdpMappingRetention = TimeSpan.FromDays(400) });
        using var http = server.CreateClient();
        var disabled = await Devices.EnrollAsync(server);
        var disabledCertificate = await disabled.AuthenticateAsync(http);
        var revoked = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        using var device = Bound();
        using var attacker = Bound();
        Assert.IsNotNull(await RegisterAsync(server, device, disabledCertificate, counter: 1));
        Assert.IsNotNull(await RegisterAsync(server, device, revoked, counter: 1));

        await server.Admin.DisableDeviceAsync(disabled.DeviceId);
        await server.Admin.RevokeCertificateAsync(revoked.Serial);
        server.Time!.Advance(TimeSpan.FromSeconds(5));

        await AssertDroppedAsync(server, attacker, Register(disabledCertificate, 2), UdpRegistrar.Refused, disabledCertificate.TerminalId, PortOf(device), 1);
        await AssertDroppedAsync(server, attacker, Register(revoked, 2), UdpRegistrar.Refused, revoked.TerminalId, PortOf(device), 1);

        var expiring = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        Assert.IsNotNull(await RegisterAsync(server, device, expiring, counter: 1));
        server.Time.Advance(TimeSpan.FromSeconds(expiring.ExpiresAt - server.Time.GetUtcNow().ToUnixTimeSeconds()));
        await AssertDroppedAsync(server, attacker, Register(expiring, 2), UdpRegistrar.Expired, expiring.TerminalId, PortOf(device), 1);
    }

    [TestMethod]
    public async Task AChangedSourcePortIsPickedUpByTheNextRegistrationAndANewCertificateOutranksTheOld()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var enrolled = await Devices.EnrollAsync(server);
        var first = await enrolled.AuthenticateAsync(http);
        using var before = Bound();
        using var after = Bound();
        var mappings = server.Services.GetRequiredService<UdpMappings>();

        Assert.IsNotNull(await RegisterAsync(server, before, first, counter: 10));
        Assert.AreEqual(PortOf(before), mappings.Find(first.TerminalId)!.ObservedPort);
        var ack = await RegisterAsync(server, after, first, counter: 11);
        Assert.IsNotNull(ack);
        Assert.AreEqual(PortOf(after), mappings.Find(first.TerminalId)!.ObservedPort, "the NAT rebinding is followed");

        // A new certificate starts its counter again; the old certificate's datagrams no longer count.
        var second = await enrolled.AuthenticateAsync(http);
        Assert.IsNotNull(await RegisterAsync(server, before, second, counter: 1));
        Assert.AreEqual(PortOf(before), mappings.Find(first.TerminalId)!.ObservedPort);
        await AssertDroppedAsync(server, after, Register(first, 12), UdpRegistrar.Replayed, first.TerminalId, PortOf(before), 1);
    }

    [TestMethod]
    public async Task TheCounterOutlivesARestartSoAnEarlierDatagramIsStillAReplay()
    {
        var data = Path.Combine(Path.GetTempPath(), "peergate-udp-" + Guid.NewGuid().ToString("N"));
        try
        {
            CertificateResponse certificate;
            int port;
            await using (var server = await TestServer.StartAsync(new TestServerOptions { DataDirectory = data }))
            {
                using var http = server.CreateClient();
                certificate = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
                using var device = Bound();
                port = PortOf(device);
                Assert.IsNotNull(await RegisterAsync(server, device, certificate, counter: 7));
            }

            await using var restarted = await TestServer.StartAsync(new TestServerOptions { DataDirectory = data });
            using var attacker = Bound();
            await AssertDroppedAsync(restarted, attacker, Register(certificate, 7), UdpRegistrar.Replayed, certificate.TerminalId, port, 7);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    [TestMethod]
    public async Task TheRegistryGivesTheFreshMappingNotAStaleOne()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var callee = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server), discoverable: true);
        var asker = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        var httpObserved = await ObservedAsync(http, asker, callee.TerminalId);
        using var device = Bound();

        Assert.IsNotNull(await RegisterAsync(server, device, callee, counter: 1));
        Assert.AreEqual(("127.0.0.1", PortOf(device)), await ObservedAsync(http, asker, callee.TerminalId), "the UDP mapping is fresher");

        // Stale after UdpMappingMaxAge without a datagram: the HTTP registration's address again.
        server.Time!.Advance(TimeSpan.FromSeconds(91));
        using (var refresh = await TestDevice.SendRegistrationAsync(http, callee.Certificate, Devices.Registration(callee.TerminalId, discoverable: true)))
        {
            await TestDevice.ReadAsync<RegistrationResponse>(refresh);
        }

        Assert.AreNotEqual(PortOf(device), (await ObservedAsync(http, asker, callee.TerminalId)).Port);
        Assert.AreEqual(httpObserved.Ip, (await ObservedAsync(http, asker, callee.TerminalId)).Ip);

        Assert.IsNotNull(await RegisterAsync(server, device, callee, counter: 2));
        Assert.AreEqual(PortOf(device), (await ObservedAsync(http, asker, callee.TerminalId)).Port);
        server.Time.Advance(TimeSpan.FromSeconds(91));
        Assert.AreNotEqual(PortOf(device), (await ObservedAsync(http, asker, callee.TerminalId)).Port, "a stale mapping is not handed out");
    }

    [TestMethod]
    public async Task TheConnectionGrantGivesTheCalleesFreshMapping()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await Connections.ConnectionQueryTests.PairAsync(server, http, permit: true);
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);
        using var device = Bound();
        Assert.IsNotNull(await RegisterAsync(server, device, callee, counter: 1));

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId, callerPort: 7501);
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(response);

        Assert.AreEqual("127.0.0.1", grant.CalleeObservedIp);
        Assert.AreEqual(PortOf(device), grant.CalleeObservedPort, "the callee's NAT mapping from UDP");
        Assert.AreEqual(7400, grant.CalleeLocalPort, "the declared address stays the HTTP registration's");
    }

    [TestMethod]
    public async Task TheListenerIsOffUnlessAPortIsSet()
    {
        Assert.IsLessThan(0, new ServerOptions().UdpPort, "off by default");
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = options => options.UdpPort = -1 });

        Assert.AreEqual(0, server.UdpPort);
    }

    private static async Task<(string? Ip, int Port)> ObservedAsync(HttpClient http, CertificateResponse asker, string terminalId)
    {
        using var response = await TestDevice.GetWithCertificateAsync(http, asker.Certificate, Routes.Terminals + terminalId);
        var address = await TestDevice.ReadAsync<TerminalAddress>(response);
        return (address.ObservedIp, address.ObservedPort);
    }

    private static async Task AssertDroppedAsync(TestServer server, UdpClient sender, byte[] datagram, string reason, string terminalId, int expectedPort, long expectedCounter)
    {
        var metrics = Metrics(server);
        var before = metrics.UdpDatagrams(reason);
        await sender.SendAsync(datagram, new IPEndPoint(IPAddress.Loopback, server.UdpPort));
        await Eventually.TrueAsync(() => metrics.UdpDatagrams(reason) == before + 1, $"a {reason} datagram is counted");

        var mapping = server.Services.GetRequiredService<UdpMappings>().Find(terminalId);
        Assert.IsNotNull(mapping, reason);
        Assert.AreEqual(expectedPort, mapping.ObservedPort, $"{reason} must not move the mapping");
        Assert.AreEqual(expectedCounter, mapping.Counter, reason);

        // The ack would have been sent before the count: nothing waits on a dropped datagram.
        Assert.AreEqual(0, sender.Available, $"{reason} is not answered");
    }

    private static int PortOf(UdpClient client) => ((IPEndPoint)client.Client.LocalEndPoint!).Port;

    private static ServerMetrics Metrics(TestServer server) => server.Services.GetRequiredService<ServerMetrics>();
}
