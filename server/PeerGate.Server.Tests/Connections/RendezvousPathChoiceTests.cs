using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Connections;
using PeerGate.Server.Registry;
using PeerGate.Server.Rendezvous;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Connections;

/// <summary>
/// The rendezvous paths in the broker (F37): with the endpoint on, a callee behind a NAT that no caller
/// listener can reach gets the punched path with one ticket per side; the endpoint then settles the
/// path in the attempt log and the metric (relayed, with why the punch did not carry it, or punched);
/// an operator's termination ends the relay; an extension moves its limits.
/// </summary>
[TestClass]
public sealed class RendezvousPathChoiceTests
{
    private const string Lan = "192.168.1.23";

    [TestMethod]
    public void WithTheEndpointOnNeitherDirectNorReverseIsPunched()
    {
        var natted = new Registration("T1", "issuer", "D1", Lan, 7400, "203.0.113.5", 40000, false, null, [], [], [], 0, 100);
        Assert.AreEqual(ConnectionPaths.Punched, ConnectionBroker.ChoosePath(natted, 0, rendezvousOn: true));
        Assert.IsNull(ConnectionBroker.ChoosePath(natted, 0, rendezvousOn: false));
        Assert.AreEqual(ConnectionPaths.Reverse, ConnectionBroker.ChoosePath(natted, 7501, rendezvousOn: true), "reverse still wins: no server in the data path");
    }

    [TestMethod]
    public async Task ANattedCalleeGetsThePunchedPathAndARelayAfterAFailedPunchIsRecordedAsRelayed()
    {
        await using var server = await StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await ConnectionPathTests.PairAsync(server, http, Lan, reachable: false);
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId, callerPort: 0);
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(response);
        var offer = await Eventually.Within(responder.Offers.ReadAsync().AsTask());

        var port = server.Services.GetRequiredService<RendezvousEndpoint>().BoundPort;
        Assert.AreEqual(ConnectionPaths.Punched, grant.Path);
        Assert.AreEqual(ConnectionPaths.Punched, offer.Path);
        Assert.AreEqual("127.0.0.1", grant.RendezvousHost);
        Assert.AreEqual(port, grant.RendezvousPort);
        Assert.AreEqual(port, offer.RendezvousPort);
        var callerTicket = Convert.FromBase64String(grant.RendezvousTicket);
        var calleeTicket = Convert.FromBase64String(offer.RendezvousTicket);
        Assert.HasCount(RendezvousHello.TicketLength, callerTicket);
        Assert.HasCount(RendezvousHello.TicketLength, calleeTicket);
        CollectionAssert.AreNotEqual(callerTicket, calleeTicket, "each side its own ticket");
        var attempt = (await server.Admin.ListConnectionAttemptsAsync(1)).Single();
        Assert.AreEqual(ConnectionPaths.Punched, attempt.Path);
        Assert.DoesNotContain("peergate_connection_paths_total{path=\"punched\"}", await http.GetStringAsync("/metrics"), "not counted before the devices took it");

        // Both punch, the punch gets them nowhere, both come to the relay with the same tickets.
        using (var punchA = await HelloAsync(port, RendezvousHello.TypePunch, callerTicket))
        using (var punchB = await HelloAsync(port, RendezvousHello.TypePunch, calleeTicket))
        {
            await ReadAnswerAsync(punchA, 14);
            await ReadAnswerAsync(punchB, 14);
        }

        using var relayA = await HelloAsync(port, RendezvousHello.TypeRelay, callerTicket);
        using var relayB = await HelloAsync(port, RendezvousHello.TypeRelay, calleeTicket);
        await ReadAnswerAsync(relayA, 10);
        await ReadAnswerAsync(relayB, 10);

        await Eventually.TrueAsync(() => server.Admin.ListConnectionAttemptsAsync(1).Result.Single().Path == ConnectionPaths.Relayed, "the attempt records the relay");
        attempt = (await server.Admin.ListConnectionAttemptsAsync(1)).Single();
        Assert.AreEqual(RendezvousEndpoint.RelayReasons.PunchFailed, attempt.NoPath);
        Assert.AreEqual(grant.SessionId, attempt.SessionId);
        var metrics = await http.GetStringAsync("/metrics");
        StringAssert.Contains(metrics, "peergate_connection_paths_total{path=\"relayed\"} 1");
        Assert.DoesNotContain("peergate_connection_paths_total{path=\"punched\"}", metrics, "the final path only");

        // The operator ends the session: the relay stops, both sides see the end of stream.
        await server.Admin.TerminateSessionAsync(grant.SessionId);
        Assert.AreEqual(0, await ReadToEndAsync(relayA));
        Assert.AreEqual(0, await ReadToEndAsync(relayB));
        StringAssert.Contains(await http.GetStringAsync("/metrics"), "peergate_relay_sessions_total{outcome=\"ended\"} 1");
    }

    [TestMethod]
    public async Task APunchNoRelayFollowsIsCountedPunchedOnceTheTicketsRunOut()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        await using var server = await StartAsync(time);
        using var http = server.CreateClient();
        var (callee, caller) = await ConnectionPathTests.PairAsync(server, http, Lan, reachable: false);
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId, callerPort: 0);
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(response);
        var offer = await Eventually.Within(responder.Offers.ReadAsync().AsTask());
        var port = grant.RendezvousPort;
        using (var punchA = await HelloAsync(port, RendezvousHello.TypePunch, Convert.FromBase64String(grant.RendezvousTicket)))
        using (var punchB = await HelloAsync(port, RendezvousHello.TypePunch, Convert.FromBase64String(offer.RendezvousTicket)))
        {
            await ReadAnswerAsync(punchA, 14);
            await ReadAnswerAsync(punchB, 14);
        }

        await Eventually.TrueAsync(() => http.GetStringAsync("/metrics").Result.Contains("peergate_relay_sessions_total{outcome=\"punched\"} 1"), "the punch pair was answered");
        Assert.DoesNotContain("peergate_connection_paths_total{path=\"punched\"}", await http.GetStringAsync("/metrics"));
        time.Advance(RelayTickets.ClaimWindow);
        await Eventually.TrueAsync(() => http.GetStringAsync("/metrics").Result.Contains("peergate_connection_paths_total{path=\"punched\"} 1"), "counted punched once no relay can follow");
        var attempt = (await server.Admin.ListConnectionAttemptsAsync(1)).Single();
        Assert.AreEqual(ConnectionPaths.Punched, attempt.Path);
        Assert.IsNull(attempt.NoPath);
    }

    [TestMethod]
    public async Task AnExtensionMovesTheRelaysEndTime()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        await using var server = await StartAsync(time);
        using var http = server.CreateClient();
        var (callee, caller) = await ConnectionPathTests.PairAsync(server, http, Lan, reachable: false);
        await using var responder = new TriggerResponder(http, callee.Certificate);
        await Eventually.PollingAsync(server, callee.TerminalId);

        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, new ConnectionRequest { CalleeTerminalId = callee.TerminalId, TimeLimitSeconds = 60 });
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(response);
        var offer = await Eventually.Within(responder.Offers.ReadAsync().AsTask());
        var port = grant.RendezvousPort;
        using var relayA = await HelloAsync(port, RendezvousHello.TypeRelay, Convert.FromBase64String(grant.RendezvousTicket));
        using var relayB = await HelloAsync(port, RendezvousHello.TypeRelay, Convert.FromBase64String(offer.RendezvousTicket));
        await ReadAnswerAsync(relayA, 10);
        await ReadAnswerAsync(relayB, 10);
        var endpoint = server.Services.GetRequiredService<RendezvousEndpoint>();
        await Eventually.TrueAsync(() => endpoint.RelayTimers == 1, "the relay's end timer is armed");

        using (var extended = await TestDevice.ExtendSessionAsync(http, caller.Certificate, grant.SessionId, addSeconds: 60))
        {
            Assert.AreEqual(HttpStatusCode.OK, extended.StatusCode, await extended.Content.ReadAsStringAsync());
        }

        // Past the old end, before the new one: the relay still forwards.
        time.Advance(TimeSpan.FromSeconds(90));
        await relayA.GetStream().WriteAsync(new byte[] { 1, 2, 3 });
        var echo = new byte[3];
        await relayB.GetStream().ReadExactlyAsync(echo).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, echo);
        Assert.AreEqual(1, endpoint.ActiveRelays);

        time.Advance(TimeSpan.FromSeconds(40));
        Assert.AreEqual(0, await ReadToEndAsync(relayA), "the relay ends at the extended end");
    }

    private static Task<TestServer> StartAsync(Microsoft.Extensions.Time.Testing.FakeTimeProvider? time = null) =>
        TestServer.StartAsync(new TestServerOptions
        {
            Time = time,
            Configure = options =>
            {
                options.RendezvousAddress = "127.0.0.1";
                options.RendezvousPort = 0;
            },
        });

    private static async Task<TcpClient> HelloAsync(int port, byte type, byte[] ticket)
    {
        var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(10));
        var hello = new byte[RendezvousHello.HelloLength];
        RendezvousHello.WriteHello(hello, type, ticket);
        await client.GetStream().WriteAsync(hello);
        return client;
    }

    private static async Task ReadAnswerAsync(TcpClient client, int length)
    {
        var answer = new byte[length];
        await client.GetStream().ReadExactlyAsync(answer).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
    }

    private static async Task<int> ReadToEndAsync(TcpClient client)
    {
        var buffer = new byte[256];
        var total = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var read = await client.GetStream().ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                return total;
            }

            total += read;
        }
    }
}
