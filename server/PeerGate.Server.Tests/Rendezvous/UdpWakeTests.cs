using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Observability;
using PeerGate.Server.Rendezvous;
using PeerGate.Server.Testing;
using PeerGate.Server.Triggers;

using static PeerGate.Server.Tests.Rendezvous.UdpTestDevice;

namespace PeerGate.Server.Tests.Rendezvous;

/// <summary>
/// The UDP wake over real sockets on 127.0.0.1: a trigger queued for a device with a fresh mapping
/// sends it a wake, from the listener's socket, carrying the newest seq under its UDP key; the wake
/// is retried on the fake clock until the device fetches past that seq, and never sent without a
/// fresh mapping.
/// </summary>
[TestClass]
public sealed class UdpWakeTests
{
    [TestMethod]
    public async Task AQueuedTriggerWakesAUdpRegisteredDeviceWithTheNewestSeq()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var certificate = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        using var device = Bound();
        await RegisterAsync(server, device, certificate);

        Queue(server, certificate.TerminalId, wake: false);
        var seq = Queue(server, certificate.TerminalId);

        var wake = await ReceiveAsync(device, TimeSpan.FromSeconds(10));
        Assert.IsNotNull(wake, "a wake datagram reaches the device's mapping");
        AssertWake(wake, certificate, seq);
        Assert.AreEqual(1, Metrics(server).UdpWakes(UdpWaker.Sent));
        StringAssert.Contains(Metrics(server).Render(), "peergate_udp_wakes_total{outcome=\"sent\"} 1");
    }

    [TestMethod]
    public async Task ALostWakeIsRetriedWithBackoffUntilTheDeviceFetchesPastItsSeq()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var certificate = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        using var device = Bound();
        await RegisterAsync(server, device, certificate);
        var seq = Queue(server, certificate.TerminalId);
        AssertWake(await ReceiveAsync(device, TimeSpan.FromSeconds(10)), certificate, seq);

        // Not yet due: nothing before the first delay.
        server.Time!.Advance(TimeSpan.FromMilliseconds(900));
        Assert.IsNull(await ReceiveAsync(device, TimeSpan.FromMilliseconds(300)), "no retry before 1 s");
        server.Time.Advance(TimeSpan.FromMilliseconds(100));
        AssertWake(await ReceiveAsync(device, TimeSpan.FromSeconds(10)), certificate, seq);
        server.Time.Advance(TimeSpan.FromSeconds(2));
        AssertWake(await ReceiveAsync(device, TimeSpan.FromSeconds(10)), certificate, seq);
        Assert.AreEqual(2, Metrics(server).UdpWakes(UdpWaker.Retried));

        // The device fetches: the poll hands it the trigger, and the retries end.
        var fetched = await TestDevice.PollAsync(http, certificate.Certificate, 0);
        Assert.AreEqual(seq, fetched[^1].Seq);
        Assert.AreEqual(0, Waker(server).PendingCount);
        server.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.IsNull(await ReceiveAsync(device, TimeSpan.FromMilliseconds(300)), "no wake once the device has the seq");
        Assert.AreEqual(2, Metrics(server).UdpWakes(UdpWaker.Retried));
        Assert.AreEqual(0, Metrics(server).UdpWakes(UdpWaker.GivenUp));

        // A trigger at or below the cursor the device polled with wakes nothing.
        using var cursorPoll = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var poll = TestDevice.PollTriggersAsync(http, certificate.Certificate, seq, cursorPoll.Token);
        await Eventually.TrueAsync(() => server.Services.GetRequiredService<TriggerHub>().IsPolling(certificate.TerminalId), "the device polls past the seq");
        Waker(server).Wake(certificate.TerminalId);
        Assert.IsNull(await ReceiveAsync(device, TimeSpan.FromMilliseconds(300)), "nothing newer than the cursor");
        cursorPoll.Cancel();
        await Assert.ThrowsAsync<OperationCanceledException>(() => poll);
    }

    [TestMethod]
    public async Task AWakeNobodyFetchesIsGivenUpAfterItsRetriesAndTheTriggerStaysQueued()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var certificate = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        using var device = Bound();
        await RegisterAsync(server, device, certificate);
        var seq = Queue(server, certificate.TerminalId);
        AssertWake(await ReceiveAsync(device, TimeSpan.FromSeconds(10)), certificate, seq);

        // Retries 1, 3, 7 and 15 s after the first send.
        foreach (var delay in new[] { 1, 2, 4, 8 })
        {
            server.Time!.Advance(TimeSpan.FromSeconds(delay));
            AssertWake(await ReceiveAsync(device, TimeSpan.FromSeconds(10)), certificate, seq);
        }

        server.Time!.Advance(TimeSpan.FromSeconds(16));
        Assert.IsNull(await ReceiveAsync(device, TimeSpan.FromMilliseconds(300)), "given up");
        Assert.AreEqual(4, Metrics(server).UdpWakes(UdpWaker.Retried));
        Assert.AreEqual(1, Metrics(server).UdpWakes(UdpWaker.GivenUp));
        Assert.AreEqual(0, Waker(server).PendingCount);
        Assert.AreEqual(seq, (await TestDevice.PollAsync(http, certificate.Certificate, 0))[^1].Seq, "the trigger is still delivered");
    }

    [TestMethod]
    public async Task NoWakeForADeviceWithoutAFreshMapping()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var never = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        var stale = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        using var device = Bound();
        await RegisterAsync(server, device, stale);
        server.Time!.Advance(TimeSpan.FromSeconds(91));

        Queue(server, never.TerminalId);
        Queue(server, stale.TerminalId);

        Assert.IsNull(await ReceiveAsync(device, TimeSpan.FromMilliseconds(300)), "a stale mapping is not woken");
        Assert.AreEqual(0, Metrics(server).UdpWakes(UdpWaker.Sent));
        Assert.AreEqual(0, Waker(server).PendingCount);
    }

    [TestMethod]
    public async Task ADisabledDeviceIsNotWoken()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var enrolled = await Devices.EnrollAsync(server);
        var certificate = await enrolled.AuthenticateAsync(http);
        using var device = Bound();
        await RegisterAsync(server, device, certificate);
        await server.Admin.DisableDeviceAsync(enrolled.DeviceId);

        Queue(server, certificate.TerminalId);

        Assert.IsNull(await ReceiveAsync(device, TimeSpan.FromMilliseconds(300)), "a refused device is not woken");
        Assert.AreEqual(0, Metrics(server).UdpWakes(UdpWaker.Sent));
    }

    [TestMethod]
    public async Task WakeRecordsOfDevicesWhoseMappingExpiredAreForgottenWithinTwiceTheMappingLimit()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = options => options.UdpMappingsMax = 2 });
        using var http = server.CreateClient();
        var mappings = server.Services.GetRequiredService<UdpMappings>();
        var tracked = new List<int>();
        for (var round = 0; round < 3; round++)
        {
            // Two devices register, each fetches a trigger (a record of what it reached), then their mappings expire.
            for (var i = 0; i < (round < 2 ? 2 : 1); i++)
            {
                var certificate = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
                using var device = Bound();
                await RegisterAsync(server, device, certificate);
                var seq = Queue(server, certificate.TerminalId, wake: false);
                Assert.AreEqual(seq, (await TestDevice.PollAsync(http, certificate.Certificate, 0)).Single().Seq);
            }

            tracked.Add(Waker(server).TrackedCount);
            mappings.Flush();
            server.Time!.Advance(TimeSpan.FromMinutes(16));
            mappings.Expire(server.Time.GetUtcNow().ToUnixTimeSeconds());
            Assert.AreEqual(0, mappings.Count, "the mappings expired from memory");
        }

        CollectionAssert.AreEqual(new[] { 2, 4, 1 }, tracked, "the fifth device's record found four without a mapping, and they went");
    }

    private static void AssertWake(byte[]? datagram, CertificateResponse certificate, long seq)
    {
        Assert.IsNotNull(datagram, "a wake");
        var reader = new RendezvousDatagram();
        Assert.IsTrue(reader.Read(datagram, datagram.Length));
        Assert.AreEqual(RendezvousDatagram.TypeWake, reader.Type);
        Assert.IsTrue(reader.TerminalIdIs(certificate.TerminalId));
        Assert.IsTrue(reader.SerialIs(certificate.Serial));
        Assert.IsTrue(reader.Verify(Convert.FromBase64String(certificate.UdpKey), Crypto, new byte[RendezvousDatagram.WorkLength]), "tagged with the UDP key");
        Assert.AreEqual(seq, reader.Counter, "carries the newest seq");
    }

    /// <summary>Queues a status query straight into the store and wakes as the connection broker does.</summary>
    private static long Queue(TestServer server, string terminalId, bool wake = true)
    {
        var now = server.Time!.GetUtcNow().ToUnixTimeSeconds();
        var seq = server.Services.GetRequiredService<TriggerStore>().Enqueue(terminalId, new Trigger { Kind = TriggerKinds.StatusQuery, CreatedAt = now }, now + 3600);
        if (wake)
        {
            server.Services.GetRequiredService<TriggerHub>().Wake(terminalId);
        }

        return seq;
    }

    private static async Task RegisterAsync(TestServer server, UdpClient device, CertificateResponse certificate) =>
        Assert.IsNotNull(await UdpTestDevice.RegisterAsync(server, device, certificate, 1), "registered");

    private static ServerMetrics Metrics(TestServer server) => server.Services.GetRequiredService<ServerMetrics>();

    private static UdpWaker Waker(TestServer server) => server.Services.GetRequiredService<UdpWaker>();
}
