using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Observability;
using PeerGate.Server.Rendezvous;
using PeerGate.Server.Testing;

using static PeerGate.Server.Tests.Rendezvous.UdpTestDevice;

namespace PeerGate.Server.Tests.Rendezvous;

/// <summary>
/// The lifetime probe (F31) over real sockets on 127.0.0.1 with the server's clock injected: an
/// authentic, fresh probe at the probe port gets a receipt at once and its answer only once the delay
/// it asked for has passed, both from the probe port; it never moves the mapping. A forged, replayed
/// or unregistered probe gets nothing, is counted and leaves nothing pending.
/// </summary>
[TestClass]
public sealed class UdpProbeTests
{
    [TestMethod]
    public async Task AProbeIsReceiptedAtOnceAndAnsweredAfterItsDelayFromTheProbePort()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var certificate = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        using var device = Bound();
        Assert.IsNotNull(await RegisterAsync(server, device, certificate, counter: 1));
        Assert.AreNotEqual(0, server.UdpProbePort);
        Assert.AreNotEqual(server.UdpPort, server.UdpProbePort);

        // From another socket than the registration's, so a moved mapping would show.
        using var prober = Bound();
        await prober.SendAsync(Probe(certificate, counter: 2, delaySeconds: 30), new IPEndPoint(IPAddress.Loopback, server.UdpProbePort));
        var receipt = await ReceiveFromAsync(prober, TimeSpan.FromSeconds(10));
        Assert.IsNotNull(receipt, "the receipt comes at once");
        AssertAnswer(certificate, receipt.Value.Buffer, counter: 2, delaySeconds: 0);
        Assert.AreEqual(server.UdpProbePort, receipt.Value.RemoteEndPoint.Port, "from the probe port");

        server.Time!.Advance(TimeSpan.FromSeconds(29));
        Assert.IsNull(await ReceiveFromAsync(prober, TimeSpan.FromMilliseconds(300)), "nothing before the delay");
        server.Time.Advance(TimeSpan.FromSeconds(1));
        var answer = await ReceiveFromAsync(prober, TimeSpan.FromSeconds(10));
        Assert.IsNotNull(answer, "the answer after the delay");
        AssertAnswer(certificate, answer.Value.Buffer, counter: 2, delaySeconds: 30);
        Assert.AreEqual(server.UdpProbePort, answer.Value.RemoteEndPoint.Port);
        await Eventually.TrueAsync(() => Metrics(server).UdpProbes(UdpRegistrar.Answered) == 1, "the answer is counted");
        Assert.AreEqual(1, Metrics(server).UdpProbes(UdpRegistrar.Accepted));

        var mapping = server.Services.GetRequiredService<UdpMappings>().Find(certificate.TerminalId)!;
        Assert.AreEqual(PortOf(device), mapping.ObservedPort, "a probe never moves the mapping");
        Assert.AreEqual(1L, mapping.Counter);

        // The next registration must rank above the probe.
        Assert.IsNull(await RegisterAsync(server, device, certificate, counter: 2), "a registration at the probe's counter is a replay");
        Assert.IsNotNull(await RegisterAsync(server, device, certificate, counter: 3));
    }

    [TestMethod]
    public async Task ForgedReplayedAndUnregisteredProbesGetNothingAreCountedAndLeaveNothingPending()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var certificate = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        var registrar = server.Services.GetRequiredService<UdpRegistrar>();
        using var device = Bound();
        var probePort = new IPEndPoint(IPAddress.Loopback, server.UdpProbePort);

        await device.SendAsync(Probe(certificate, counter: 1, delaySeconds: 5), probePort);
        Assert.IsNull(await ReceiveAsync(device, TimeSpan.FromMilliseconds(500)), "no probe before a registration");
        await Eventually.TrueAsync(() => Metrics(server).UdpProbes(UdpRegistrar.Replayed) == 1, "counted");

        Assert.IsNotNull(await RegisterAsync(server, device, certificate, counter: 5));
        var wrongKey = Convert.FromBase64String(certificate.UdpKey);
        wrongKey[0] ^= 1;
        await device.SendAsync(Probe(certificate.TerminalId, certificate.Serial, 6, 5, wrongKey), probePort);
        await device.SendAsync(Probe(certificate, counter: 5, delaySeconds: 5), probePort);
        await device.SendAsync(Register(certificate, 6), probePort);
        await Eventually.TrueAsync(() => Metrics(server).UdpProbes(UdpRegistrar.BadTag) == 1 && Metrics(server).UdpProbes(UdpRegistrar.Replayed) == 2
            && Metrics(server).UdpProbes(UdpRegistrar.Malformed) == 1, "forged, replayed and a registration at the probe port are counted");

        // A probe sent to the registration port is not a registration.
        await device.SendAsync(Probe(certificate, counter: 6, delaySeconds: 5), new IPEndPoint(IPAddress.Loopback, server.UdpPort));
        await Eventually.TrueAsync(() => Metrics(server).UdpDatagrams(UdpRegistrar.Malformed) == 1, "a probe at the registration port is malformed there");

        server.Time!.Advance(TimeSpan.FromSeconds(10));
        Assert.IsNull(await ReceiveAsync(device, TimeSpan.FromMilliseconds(500)), "nothing was answered");
        Assert.AreEqual(0, registrar.PendingProbes);
        Assert.AreEqual(0, Metrics(server).UdpProbes(UdpRegistrar.Accepted));

        // The genuine one still works, and a replay of it after it is answered gets nothing.
        var genuine = Probe(certificate, counter: 6, delaySeconds: 5);
        await device.SendAsync(genuine, probePort);
        Assert.IsNotNull(await ReceiveAsync(device, TimeSpan.FromSeconds(10)));
        Assert.AreEqual(1, registrar.PendingProbes);
        await device.SendAsync(genuine, probePort);
        await Eventually.TrueAsync(() => Metrics(server).UdpProbes(UdpRegistrar.Replayed) == 3, "the replay is counted");
        Assert.AreEqual(1, registrar.PendingProbes, "a replay does not replace the pending probe");
        Assert.AreEqual(5L, server.Services.GetRequiredService<UdpMappings>().Find(certificate.TerminalId)!.Counter);
        StringAssert.Contains(await http.GetStringAsync("/metrics"), "peergate_udp_probes_total{outcome=\"replayed\"} 3");
    }

    private static byte[] Probe(CertificateResponse certificate, long counter, int delaySeconds) =>
        Probe(certificate.TerminalId, certificate.Serial, counter, delaySeconds, Convert.FromBase64String(certificate.UdpKey));

    private static byte[] Probe(string terminalId, string serial, long counter, int delaySeconds, byte[] key)
    {
        var buffer = new byte[RendezvousDatagram.MaxLength];
        var length = RendezvousDatagram.WriteProbe(buffer, terminalId, serial, counter, delaySeconds, key, Crypto, new byte[RendezvousDatagram.WorkLength]);
        return buffer[..length];
    }

    private static void AssertAnswer(CertificateResponse certificate, byte[] datagram, long counter, int delaySeconds)
    {
        var reader = new RendezvousDatagram();
        Assert.IsTrue(reader.Read(datagram, datagram.Length));
        Assert.AreEqual(RendezvousDatagram.TypeProbeAnswer, reader.Type);
        Assert.IsTrue(reader.Verify(Convert.FromBase64String(certificate.UdpKey), Crypto, new byte[RendezvousDatagram.WorkLength]));
        Assert.AreEqual(counter, reader.Counter);
        Assert.AreEqual(delaySeconds, reader.DelaySeconds);
    }

    private static async Task<UdpReceiveResult?> ReceiveFromAsync(UdpClient socket, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            return await socket.ReceiveAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static int PortOf(UdpClient client) => ((IPEndPoint)client.Client.LocalEndPoint!).Port;

    private static ServerMetrics Metrics(TestServer server) => server.Services.GetRequiredService<ServerMetrics>();
}
