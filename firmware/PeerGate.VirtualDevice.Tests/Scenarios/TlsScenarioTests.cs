using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using PeerGate.Device;
using PeerGate.Server.Observability;
using PeerGate.Server.Testing;
using PeerGate.VirtualDevice.Adapters;
using PeerGate.VirtualDevice.Commands;
using PeerGate.VirtualDevice.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace PeerGate.VirtualDevice.Tests.Scenarios;

/// <summary>
/// The whole device path over real HTTPS (Kestrel on 127.0.0.1 with a certificate from a CA made
/// here) with the CA pinned, and every server certificate the pin must refuse: refused before any
/// request reaches the server, with the reason named.
/// </summary>
[TestClass]
public sealed class TlsScenarioTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Cancel => TestContext.CancellationToken;

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task DevicesAuthenticateRegisterPollAndConnectOverHttpsWithThePinnedCa()
    {
        using var ca = new TestCertificateAuthority();
        await using var lab = await ConnectionLab.StartAsync(Cancel, tls: ca.IssueServer(ipAddresses: [IPAddress.Loopback]));
        StringAssert.StartsWith(lab.Server.BaseUrl, "https://127.0.0.1:");
        var callee = await lab.AddDeviceAsync(listens: true, Cancel);
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);

        // Authenticated, registered and long-polling, all over TLS.
        var calleeAgent = await callee.StartAsync(Cancel);
        Assert.AreEqual(DeviceState.Registered, calleeAgent.State);
        StringAssert.StartsWith(calleeAgent.AuthServerUrl, "https://", callee.Log);
        Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => lab.Server.IsPolling(calleeAgent.TerminalId!), Cancel), callee.Log);

        var callerId = await caller.TerminalIdAsync();
        Assert.AreEqual(Cli.Ok, Cli.Run(["permit", "add", "terminal:" + callerId, .. callee.CliOptions], out var permitted), permitted);

        var exit = Cli.Run(["connect", calleeAgent.TerminalId!, "--message", "over tls", .. caller.CliOptions], out var message);

        Assert.AreEqual(Cli.Ok, exit, message + callee.Log);
        Assert.Contains("handshake: accepted", message);
        Assert.Contains("bytes match", message);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task AServerCertificateFromAnotherCaIsRefusedAndTheServerGetsNoRequest()
    {
        using var pinned = new TestCertificateAuthority("Pinned CA");
        using var other = new TestCertificateAuthority("Other CA");
        await using var lab = await ConnectionLab.StartAsync(Cancel, tls: other.IssueServer(ipAddresses: [IPAddress.Loopback]));
        var device = await lab.AddDeviceAsync(listens: false, Cancel);
        var before = await SettledResponsesAsync(lab.Server);

        var exit = Cli.Run(["run", "--once", "--image", device.Device.ImagePath, "--config", device.ConfigPath, "--state", device.Device.StateFolder, "--ca", pinned.CertificatePath], out var output);

        Assert.AreEqual(Cli.Unreachable, exit, output);
        Assert.Contains("untrusted CA", output);
        Assert.AreEqual(before, Responses(lab.Server), "the server answered a request the device should never have sent");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task AServerCertificateForAnotherNameIsRefused()
    {
        using var ca = new TestCertificateAuthority();
        await using var lab = await ConnectionLab.StartAsync(Cancel, tls: ca.IssueServer(ipAddresses: [IPAddress.Parse("127.0.0.2")], dnsNames: ["peergate.example"]));
        var device = await lab.AddDeviceAsync(listens: false, Cancel);
        var before = await SettledResponsesAsync(lab.Server);

        var exit = Cli.Run(["run", "--once", .. device.CliOptions], out var output);

        Assert.AreEqual(Cli.Unreachable, exit, output);
        Assert.Contains("name mismatch", output);
        Assert.AreEqual(before, Responses(lab.Server));
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task AnExpiredServerCertificateIsRefused()
    {
        using var ca = new TestCertificateAuthority();
        var expired = ca.IssueServer(ipAddresses: [IPAddress.Loopback], notBefore: DateTimeOffset.UtcNow.AddDays(-10), notAfter: DateTimeOffset.UtcNow.AddDays(-1));
        await using var lab = await ConnectionLab.StartAsync(Cancel, tls: expired);
        var device = await lab.AddDeviceAsync(listens: false, Cancel);

        var exit = Cli.Run(["run", "--once", .. device.CliOptions], out var output);

        Assert.AreEqual(Cli.Unreachable, exit, output);
        Assert.Contains("expired", output);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task TheConfigsCaFileIsPinnedLikeTheCaOption()
    {
        using var pinned = new TestCertificateAuthority("Pinned CA");
        using var other = new TestCertificateAuthority("Other CA");
        await using var lab = await ConnectionLab.StartAsync(Cancel, tls: other.IssueServer(ipAddresses: [IPAddress.Loopback]));
        var device = await lab.AddDeviceAsync(listens: false, Cancel);
        var config = device.Device.File("with-ca.conf");
        File.Copy(pinned.CertificatePath, device.Device.File("pinned.pem"));
        await File.WriteAllTextAsync(config, device.ConfigText + "\nCaFile=pinned.pem\n", Cancel);

        var exit = Cli.Run(["run", "--once", "--image", device.Device.ImagePath, "--config", config, "--state", device.Device.StateFolder], out var output);

        Assert.AreEqual(Cli.Unreachable, exit, output);
        Assert.Contains("untrusted CA", output);

        File.Copy(other.CertificatePath, device.Device.File("pinned.pem"), overwrite: true);
        exit = Cli.Run(["run", "--once", "--image", device.Device.ImagePath, "--config", config, "--state", device.Device.StateFolder], out output);

        Assert.AreEqual(Cli.Ok, exit, output);
        Assert.Contains("registered terminal", output);
    }

    [TestMethod]
    [Timeout(30_000, CooperativeCancellation = true)]
    public async Task AnSslStreamWithThePinnedCaOptionsAcceptsOnlyThePinnedCasServer()
    {
        using var pinned = new TestCertificateAuthority("Pinned CA");
        using var other = new TestCertificateAuthority("Other CA");
        var good = pinned.IssueServer(ipAddresses: [IPAddress.Loopback]);
        var bad = other.IssueServer(ipAddresses: [IPAddress.Loopback]);
        var pin = PinnedCa.FromFile(pinned.CertificatePath);

        Assert.IsNull(await HandshakeAsync(good, pin));
        var refusal = await HandshakeAsync(bad, pin);
        Assert.IsInstanceOfType<PinnedCaException>(refusal);
        Assert.Contains("untrusted CA", refusal.Message);
    }

    /// <summary>One TLS handshake against a listener serving <paramref name="server"/>; the client's exception, or null.</summary>
    private async Task<Exception?> HandshakeAsync(ServerCertificate server, PinnedCa pin)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepting = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync(Cancel);
            using var ssl = new SslStream(socket.GetStream());
            try
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = server.Certificate }, Cancel);
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
            {
                // The client walked away: what the refusal looks like from here.
            }
        });

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port, Cancel);
        using var stream = new SslStream(client.GetStream());
        Exception? failure = null;
        try
        {
            await stream.AuthenticateAsClientAsync(pin.ClientOptions("127.0.0.1"), Cancel);
        }
        catch (Exception e)
        {
            failure = e;
        }

        client.Close();
        await accepting.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
        return failure;
    }

    /// <summary>
    /// The response count once the operator's last answer has been counted (the count is taken just
    /// after the answer is written): the same on two reads 200 ms apart, within 5 s.
    /// </summary>
    private async Task<long> SettledResponsesAsync(TestServer server)
    {
        var last = Responses(server);
        for (int i = 0; i < 25; i++)
        {
            await Task.Delay(200, Cancel);
            var now = Responses(server);
            if (now == last)
            {
                return now;
            }

            last = now;
        }

        Assert.Fail("the server's response count did not settle");
        return last;
    }

    /// <summary>Every HTTP response the server has counted so far.</summary>
    private static long Responses(TestServer server) =>
        server.Services.GetRequiredService<ServerMetrics>().Render().Split('\n')
            .Where(line => line.StartsWith("peergate_http_responses_total{", StringComparison.Ordinal))
            .Sum(line => long.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
}
