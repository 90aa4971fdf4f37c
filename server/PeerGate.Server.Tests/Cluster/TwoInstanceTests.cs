using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PeerGate.Protocol;
using PeerGate.Server.Cluster;
using PeerGate.Server.Storage;
using PeerGate.Server.Testing;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Tests.Connections;
using PeerGate.Server.Tests.Rendezvous;
using PeerGate.Server.Triggers;

namespace PeerGate.Server.Tests.Cluster;

/// <summary>
/// Two server instances on one PostgreSQL database, sharing a signing key and a clock: a device may
/// poll one and reply to the other, a caller may use either. The clock never moves unless a test moves
/// it, so a poll that answers proves a wake-up came through the bus, not a poll timeout.
/// Runs in the PostgreSQL pass.
/// </summary>
[TestClass]
public sealed class TwoInstanceTests
{
    [TestMethod]
    public async Task ACalleePollingOneInstanceIsReachedFromTheOtherAndItsReplyThereIsForwarded()
    {
        await using var pair = await InstancePair.StartAsync();
        using var atA = pair.A.CreateClient();
        using var atB = pair.B.CreateClient();
        var (callee, caller) = await ConnectionQueryTests.PairAsync(pair.A, atA, permit: true);

        var polling = TestDevice.PollAsync(atA, callee.Certificate, 0);
        await Eventually.PollingAsync(pair.A, callee.TerminalId);
        await Eventually.TrueAsync(() => pair.B.Services.GetRequiredService<TriggerHub>().IsConnected(callee.TerminalId), "B counts the callee connected");

        var connecting = TestDevice.RequestConnectionAsync(atB, caller.Certificate, callee.TerminalId);
        var query = (await Eventually.Within(polling)).Single();
        Assert.AreEqual(TriggerKinds.StatusQuery, query.Kind);

        // B waits for the reply; A takes it, and the instance that waits checks it as it would its own.
        using (var noStatus = await TestDevice.ReplyToTriggerAsync(atA, callee.Certificate, new TriggerReply { Seq = query.Seq }))
        {
            await ProblemAssert.IsProblemAsync(noStatus, HttpStatusCode.BadRequest, ErrorCodes.MissingField);
        }

        using var replied = await TestDevice.ReplyToTriggerAsync(atA, callee.Certificate, TestDevice.Reply(query.Seq));
        Assert.AreEqual(HttpStatusCode.OK, replied.StatusCode, await replied.Content.ReadAsStringAsync());
        var offer = (await TestDevice.ReadAsync<TriggerReplyAnswer>(replied)).Offer!;

        using var granted = await Eventually.Within(connecting);
        Assert.AreEqual(HttpStatusCode.OK, granted.StatusCode, await granted.Content.ReadAsStringAsync());
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(granted);
        Assert.AreEqual(TriggerKinds.SessionOffer, offer.Kind);
        Assert.AreEqual(grant.Key, offer.Key, "the offer in the forwarded reply's answer is the caller's session");
    }

    [TestMethod]
    public async Task AReplyNoInstanceWaitsForIsUnknownOnceTheForwardTimesOut()
    {
        await using var pair = await InstancePair.StartAsync();
        using var atA = pair.A.CreateClient();
        var device = await Devices.RegisterAsync(pair.A, atA, await Devices.EnrollAsync(pair.A));

        var replying = TestDevice.ReplyToTriggerAsync(atA, device.Certificate, TestDevice.Reply(41));
        for (var i = 0; i < 200 && !replying.IsCompleted; i++)
        {
            await Task.Delay(20);
            pair.Time.Advance(TimeSpan.FromMilliseconds(100));
        }

        using var unknown = await Eventually.Within(replying);
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, ErrorCodes.TriggerUnknown);
    }

    [TestMethod]
    public async Task ANewerPollAtOneInstanceSupersedesTheOlderAtTheOther()
    {
        await using var pair = await InstancePair.StartAsync();
        using var atA = pair.A.CreateClient();
        using var atB = pair.B.CreateClient();
        var device = await Devices.RegisterAsync(pair.A, atA, await Devices.EnrollAsync(pair.A));

        using var older = TestDevice.PollTriggersAsync(atA, device.Certificate, 0);
        await Eventually.PollingAsync(pair.A, device.TerminalId);
        pair.Time.Advance(TimeSpan.FromSeconds(1));
        var newer = TestDevice.PollTriggersAsync(atB, device.Certificate, 0);
        await Eventually.PollingAsync(pair.B, device.TerminalId);

        using var superseded = await Eventually.Within(older);
        await ProblemAssert.IsProblemAsync(superseded, HttpStatusCode.Conflict, ErrorCodes.PollerSuperseded);
        Assert.IsTrue(pair.B.IsPolling(device.TerminalId), "the newer poll still waits");
        Assert.IsFalse(newer.IsCompleted);

        pair.Time.Advance(TimeSpan.FromSeconds(30));
        using var timedOut = await Eventually.Within(newer);
        Assert.AreEqual(HttpStatusCode.OK, timedOut.StatusCode);
    }

    [TestMethod]
    [DataRow("device", HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled)]
    [DataRow("group", HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled)]
    [DataRow("revoke-device", HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked)]
    [DataRow("revoke-certificate", HttpStatusCode.Unauthorized, ErrorCodes.CertificateRevoked)]
    public async Task ARefusalAtOneInstanceEndsThePollAtTheOtherAndHoldsThere(string what, HttpStatusCode status, string code)
    {
        await using var pair = await InstancePair.StartAsync();
        using var atA = pair.A.CreateClient();
        using var atB = pair.B.CreateClient();
        var enrolled = await Devices.EnrollAsync(pair.A, Identity.DisabledDeviceTests.Group);
        var device = await Devices.RegisterAsync(pair.A, atA, enrolled);

        using var poll = TestDevice.PollTriggersAsync(atB, device.Certificate, 0);
        await Eventually.PollingAsync(pair.B, device.TerminalId);
        await (what switch
        {
            "device" => pair.A.Admin.DisableDeviceAsync(enrolled.DeviceId),
            "group" => pair.A.Admin.DisableGroupAsync(Identity.DisabledDeviceTests.Group),
            "revoke-device" => pair.A.Admin.RevokeDeviceAsync(enrolled.DeviceId),
            _ => pair.A.Admin.RevokeCertificateAsync(device.Serial),
        });

        using var refused = await Eventually.Within(poll);
        await ProblemAssert.IsProblemAsync(refused, status, code);
        using var again = await TestDevice.PollTriggersAsync(atB, device.Certificate, 0);
        await ProblemAssert.IsProblemAsync(again, status, code);
    }

    [TestMethod]
    public async Task ADeviceEnabledAgainAtOneInstancePollsAtTheOther()
    {
        await using var pair = await InstancePair.StartAsync();
        using var atA = pair.A.CreateClient();
        using var atB = pair.B.CreateClient();
        var enrolled = await Devices.EnrollAsync(pair.A);
        var device = await Devices.RegisterAsync(pair.A, atA, enrolled);
        await pair.A.Admin.DisableDeviceAsync(enrolled.DeviceId);
        await Eventually.TrueAsync(() => pair.B.Services.GetRequiredService<PeerGate.Server.Identity.StandingSet>().Counts.DisabledDevices == 1, "B holds the device disabled");

        await pair.A.Admin.EnableDeviceAsync(enrolled.DeviceId);
        await Eventually.TrueAsync(() => pair.B.Services.GetRequiredService<PeerGate.Server.Identity.StandingSet>().Counts.DisabledDevices == 0, "B holds the device enabled");
        var poll = TestDevice.PollTriggersAsync(atB, device.Certificate, 0);
        await Eventually.PollingAsync(pair.B, device.TerminalId);
        Assert.IsFalse(poll.IsCompleted);
    }

    [TestMethod]
    public async Task ADeviceOnUdpAtOneInstanceIsReachedFromTheOtherAndWokenByTheOneItRegisteredWith()
    {
        await using var pair = await InstancePair.StartAsync();
        using var atA = pair.A.CreateClient();
        using var atB = pair.B.CreateClient();
        var (callee, caller) = await ConnectionQueryTests.PairAsync(pair.A, atA, permit: true);
        using var device = UdpTestDevice.Bound();
        Assert.IsNotNull(await UdpTestDevice.RegisterAsync(pair.A, device, callee, counter: 1), "A acknowledges the registration");
        var now = pair.Time.GetUtcNow().ToUnixTimeSeconds();
        await Eventually.TrueAsync(() => pair.B.Services.GetRequiredService<UdpPresence>().IsFresh(callee.TerminalId, now), "B counts the device reachable over UDP");

        // Not polling anywhere: B queues the status query, and A, which holds the mapping, sends the wake.
        var connecting = TestDevice.RequestConnectionAsync(atB, caller.Certificate, callee.TerminalId);
        var wake = await UdpTestDevice.ReceiveAsync(device, TimeSpan.FromSeconds(10));
        Assert.IsNotNull(wake, "a wake datagram from A");
        var reader = new RendezvousDatagram();
        Assert.IsTrue(reader.Read(wake, wake.Length));
        Assert.AreEqual(RendezvousDatagram.TypeWake, reader.Type);

        var query = (await Eventually.Within(TestDevice.PollAsync(atB, callee.Certificate, 0))).Single();
        Assert.AreEqual(TriggerKinds.StatusQuery, query.Kind);
        using (var replied = await TestDevice.ReplyToTriggerAsync(atB, callee.Certificate, TestDevice.Reply(query.Seq)))
        {
            Assert.IsTrue(replied.IsSuccessStatusCode);
        }

        using var granted = await Eventually.Within(connecting);
        Assert.AreEqual(HttpStatusCode.OK, granted.StatusCode, await granted.Content.ReadAsStringAsync());
    }

    /// <summary>Instances A and B on one database, knowing each other.</summary>
    private sealed class InstancePair : IAsyncDisposable
    {
        private readonly string _dataB;

        private InstancePair(TestServer a, TestServer b, FakeTimeProvider time, string dataB)
        {
            A = a;
            B = b;
            Time = time;
            _dataB = dataB;
        }

        public TestServer A { get; }

        public TestServer B { get; }

        public FakeTimeProvider Time { get; }

        public static async Task<InstancePair> StartAsync()
        {
            if (TestStorage.Engine != StorageEngine.Postgres)
            {
                Assert.Inconclusive($"Two instances share a PostgreSQL database: this runs in the PostgreSQL pass ({TestStorage.Variable}=postgres).");
            }

            var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
            var a = await TestServer.StartAsync(new TestServerOptions { Time = time });
            var dataB = Path.Combine(Path.GetTempPath(), "peergate-test-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dataB);
            File.Copy(Path.Combine(a.DataDirectory, "issuer-key.pem"), Path.Combine(dataB, "issuer-key.pem"));
            var b = await TestServer.StartAsync(new TestServerOptions
            {
                Time = time,
                DataDirectory = dataB,
                Configure = options => options.StorageConnectionString = a.StorageConnectionString,
            });
            var pair = new InstancePair(a, b, time, dataB);
            await Eventually.TrueAsync(() => Bus(a).PeerCount == 1 && Bus(b).PeerCount == 1, "the instances know each other");
            return pair;
        }

        private static PostgresClusterBus Bus(TestServer server) => (PostgresClusterBus)server.Services.GetRequiredService<ClusterBus>();

        public async ValueTask DisposeAsync()
        {
            await B.DisposeAsync();
            await A.DisposeAsync();
            await TestStorage.DropAsync(_dataB);
            Directory.Delete(_dataB, recursive: true);
        }
    }
}
