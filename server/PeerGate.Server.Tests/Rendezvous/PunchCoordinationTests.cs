using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Rendezvous;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Rendezvous;

/// <summary>
/// Hole-punch coordination on the rendezvous endpoint (F37), and the endpoint in the server: each side of
/// a punch pair is answered with the address and port the server observed for the other, then closed;
/// the same tickets still relay afterwards; TLS works with a certificate chaining to a test CA.
/// </summary>
[TestClass]
public sealed class PunchCoordinationTests
{
    [TestMethod]
    public async Task EachSideIsAnsweredWithTheOthersObservedEndpointThenClosed()
    {
        await using var rig = await RelayRig.StartAsync();
        var pair = rig.Issue();
        using var caller = await rig.PunchAsync(pair.Caller);
        await Eventually.TrueAsync(() => rig.Endpoint.WaitTimers == 1, "the caller waits");
        using var callee = await rig.PunchAsync(pair.Callee);

        AssertPeer(await caller.ReadToEndAsync(), callee.LocalEndPoint);
        AssertPeer(await callee.ReadToEndAsync(), caller.LocalEndPoint);
        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.Punched) == 1, "one punch pair");

        // A punch ticket is spent, but its relay is the fallback: the same tickets still relay.
        using (var again = await rig.PunchAsync(pair.Caller))
        {
            Assert.IsTrue(await again.ClosedSilentlyAsync());
        }

        var (relayCaller, relayCallee) = await rig.PairAsync(pair);
        using (relayCaller)
        using (relayCallee)
        {
            await relayCallee.WriteAsync("after the punch"u8.ToArray());
            Assert.AreEqual("after the punch", Encoding.ASCII.GetString(await relayCaller.ReadExactlyAsync(15)));
        }
    }

    [TestMethod]
    public async Task APunchSideWhosePeerNeverArrivesIsClosedAfterTheWait()
    {
        await using var rig = await RelayRig.StartAsync();
        using var caller = await rig.PunchAsync(rig.Issue().Caller);
        await Eventually.TrueAsync(() => rig.Endpoint.WaitTimers == 1, "the caller waits");
        rig.Time.Advance(RendezvousEndpoint.PeerWait);
        Assert.IsTrue(await caller.ClosedSilentlyAsync());
        await Eventually.TrueAsync(() => rig.Metrics.RelaySessions(RendezvousEndpoint.PeerMissing) == 1, "a lone side");
    }

    [TestMethod]
    public async Task OverTlsTheRelayWorksAndAClientPinnedToAnotherCaRefusesIt()
    {
        using var ca = new TestCertificateAuthority();
        using var other = new TestCertificateAuthority("another CA");
        await using var rig = await RelayRig.StartAsync(certificate: ca.IssueServer(ipAddresses: [System.Net.IPAddress.Loopback], dnsNames: ["localhost"]).Certificate, root: ca.Certificate);
        Assert.IsTrue(rig.Endpoint.UsesTls);
        var (caller, callee) = await rig.PairAsync(rig.Issue());
        using (caller)
        using (callee)
        {
            await caller.WriteAsync("over tls"u8.ToArray());
            Assert.AreEqual("over tls", Encoding.ASCII.GetString(await callee.ReadExactlyAsync(8)));
        }

        await using var wrong = await RelayRig.StartAsync(certificate: ca.IssueServer(ipAddresses: [System.Net.IPAddress.Loopback], dnsNames: ["localhost"]).Certificate, root: other.Certificate);
        await Assert.ThrowsExactlyAsync<System.Security.Authentication.AuthenticationException>(() => wrong.ConnectAsync(null));
    }

    [TestMethod]
    public async Task TheServerRunsTheEndpointWhenARendezvousPortIsSet()
    {
        await using (var off = await TestServer.StartAsync())
        {
            Assert.AreEqual(0, off.Services.GetRequiredService<RendezvousEndpoint>().BoundPort, "off by default");
        }

        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = options => options.RendezvousPort = 0 });
        var endpoint = server.Services.GetRequiredService<RendezvousEndpoint>();
        var tickets = server.Services.GetRequiredService<RelayTickets>();
        Assert.IsTrue(endpoint.BoundPort > 0);
        var pair = tickets.Issue("S-HOSTED", 0, 0)!;
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, endpoint.BoundPort);
        var stream = client.GetStream();
        await stream.WriteAsync(RelayRig.Hello(RendezvousHello.TypeRelay, pair.Caller));
        await Eventually.TrueAsync(() => endpoint.WaitTimers == 1, "the hosted endpoint took the hello");
        using var http = server.CreateClient();
        endpoint.End("S-HOSTED");
        await Eventually.TrueAsync(() => endpoint.WaitTimers == 0, "ended");
        var metrics = await http.GetStringAsync("/metrics");
        StringAssert.Contains(metrics, "peergate_relay_sessions_total{outcome=\"ended\"} 1");
        StringAssert.Contains(metrics, "peergate_relay_bytes_total 0");
    }

    private static void AssertPeer(byte[] answer, IPEndPoint expected)
    {
        var reader = new RendezvousHello();
        Assert.IsTrue(reader.Read(answer, answer.Length), "exactly one answer, then the end of stream");
        Assert.AreEqual(RendezvousHello.TypePunchPeer, reader.Type);
        Assert.AreEqual(expected.Address.MapToIPv4(), IPAddress.Parse(reader.AddressText()));
        Assert.AreEqual(expected.Port, reader.Port);
        Assert.AreEqual(RendezvousEndpoint.StartDelayMillis, reader.StartDelayMillis);
    }
}
