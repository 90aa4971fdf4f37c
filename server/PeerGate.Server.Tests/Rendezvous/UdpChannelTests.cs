using System.Net;
using PeerGate.Protocol;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Testing;
using PeerGate.Server.Tests.Connections;

using static PeerGate.Server.Tests.Rendezvous.UdpTestDevice;

namespace PeerGate.Server.Tests.Rendezvous;

/// <summary>
/// A device on the UDP trigger channel (F31, F38) holds no long-poll: a connection query counts it
/// on the trigger channel while its mapping is fresh and reaches it by wake and fetch; a stale mapping
/// is callee_not_connected at once, and a fresh one whose wakes are all lost is callee_unreachable
/// after the status query's bound, never a hang. Its registration names the channel.
/// </summary>
[TestClass]
public sealed class UdpChannelTests
{
    [TestMethod]
    public async Task ACalleeOnTheUdpChannelWithoutAPollIsAskedByWakeAndFetchAndGranted()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await ConnectionQueryTests.PairAsync(server, http, permit: true);
        using var device = Bound();
        Assert.IsNotNull(await RegisterAsync(server, device, callee, counter: 1));
        Assert.IsFalse(server.IsPolling(callee.TerminalId));

        var query = TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);

        // The wake, then the short fetch the device makes for it, then its answer.
        var wake = await ReceiveAsync(device, TimeSpan.FromSeconds(10));
        Assert.IsNotNull(wake, "the status query wakes the callee: " + (query.IsCompleted ? await (await query).Content.ReadAsStringAsync() : "pending"));
        var reader = new RendezvousDatagram();
        Assert.IsTrue(reader.Read(wake, wake.Length));
        Assert.AreEqual(RendezvousDatagram.TypeWake, reader.Type);
        var fetched = await TestDevice.PollAsync(http, callee.Certificate, 0);
        var question = fetched.Single(t => t.Kind == TriggerKinds.StatusQuery);
        using var replied = await TestDevice.ReplyToTriggerAsync(http, callee.Certificate, TestDevice.Reply(question.Seq));
        replied.EnsureSuccessStatusCode();

        using var response = await Eventually.Within(query);
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(response);
        Assert.AreEqual(callee.TerminalId, grant.CalleeTerminalId);
        Assert.AreEqual(PortOf(device), grant.CalleeObservedPort, "the grant names the UDP mapping");
    }

    [TestMethod]
    public async Task AStaleMappingWithoutAPollIsNotConnectedAtOnce()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await ConnectionQueryTests.PairAsync(server, http, permit: true);
        using var device = Bound();
        Assert.IsNotNull(await RegisterAsync(server, device, callee, counter: 1));

        // Past UdpMappingMaxAge (90 s), still within the HTTP registration's 300 s.
        server.Time!.Advance(TimeSpan.FromSeconds(91));
        using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, ErrorCodes.CalleeNotConnected);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM triggers"), "nothing is queued for it");
        Assert.IsNull(await ReceiveAsync(device, TimeSpan.FromMilliseconds(300)), "and no wake is sent");
    }

    [TestMethod]
    public async Task AFreshMappingWhoseWakesAreLostIsUnreachableWithinTheStatusQueryBound()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await ConnectionQueryTests.PairAsync(server, http, permit: true);
        using var device = Bound();
        Assert.IsNotNull(await RegisterAsync(server, device, callee, counter: 1));

        var query = TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);
        Assert.IsNotNull(await ReceiveAsync(device, TimeSpan.FromSeconds(10)), "a wake was sent (and is lost: nobody fetches)");
        server.Time!.Advance(TimeSpan.FromSeconds(4));
        Assert.IsFalse(query.IsCompleted);
        server.Time.Advance(TimeSpan.FromSeconds(1));
        using var response = await Eventually.Within(query);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.GatewayTimeout, ErrorCodes.CalleeUnreachable);
    }

    [TestMethod]
    public async Task TheRegistrationNamesItsTriggerChannelAndTheOperatorSeesIt()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var certificate = await (await Devices.EnrollAsync(server)).AuthenticateAsync(http);
        var request = Devices.Registration(certificate.TerminalId);

        request.TriggerChannel = TriggerChannels.Udp;
        (await TestDevice.SendRegistrationAsync(http, certificate.Certificate, request)).EnsureSuccessStatusCode();
        Assert.AreEqual("udp", (await server.Admin.ListDevicesAsync()).Single().TriggerChannel);

        request.TriggerChannel = TriggerChannels.LongPoll;
        (await TestDevice.SendRegistrationAsync(http, certificate.Certificate, request)).EnsureSuccessStatusCode();
        Assert.AreEqual("long-poll", (await server.Admin.ListDevicesAsync()).Single().TriggerChannel);

        request.TriggerChannel = "carrier-pigeon";
        using var refused = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, request);
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        Assert.AreEqual("long-poll", (await server.Admin.ListDevicesAsync()).Single().TriggerChannel, "a refused registration changes nothing");

        request.TriggerChannel = null;
        (await TestDevice.SendRegistrationAsync(http, certificate.Certificate, request)).EnsureSuccessStatusCode();
        Assert.IsNull((await server.Admin.ListDevicesAsync()).Single().TriggerChannel, "a device that does not say");
    }

    private static int PortOf(System.Net.Sockets.UdpClient client) => ((IPEndPoint)client.Client.LocalEndPoint!).Port;
}
