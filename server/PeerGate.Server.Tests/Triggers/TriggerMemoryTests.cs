using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Server.Testing;
using PeerGate.Server.Triggers;

namespace PeerGate.Server.Tests.Triggers;

/// <summary>
/// The terminal's memory of its queue (<see cref="TerminalLine"/>): a committed trigger handed over
/// reaches the waiting poll without a read, an idle re-poll reads nothing until its timeout, and the
/// queue stays the truth, so delivery is still exactly once.
/// </summary>
[TestClass]
public sealed class TriggerMemoryTests
{
    [TestMethod]
    public async Task AnIdleRePollReadsTheQueueOnlyOnceAtItsTimeout()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        var store = server.Services.GetRequiredService<TriggerStore>();

        // The first poll reads the queue and learns it.
        await IdleCycleAsync(server, http, device);
        Assert.IsTrue(server.Services.GetRequiredService<TriggerHub>().Line(device.TerminalId).KnowsQueue);

        for (var cycle = 0; cycle < 3; cycle++)
        {
            var before = store.Reads;
            await IdleCycleAsync(server, http, device);

            // Nothing when it began; one check of the last seq at its timeout, for a wake-up that never came.
            Assert.AreEqual(before + 1, store.Reads, $"reads of idle re-poll {cycle}");
        }
    }

    [TestMethod]
    public async Task ATriggerHandedToAWaitingPollIsDeliveredFromMemoryAndStillExactlyOnce()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        var store = server.Services.GetRequiredService<TriggerStore>();
        await IdleCycleAsync(server, http, device);

        var poll = TestDevice.PollAsync(http, device.Certificate, 0);
        await Eventually.PollingAsync(server, device.TerminalId);
        var reads = store.Reads;
        var seq = await HandoffAsync(server, device.TerminalId);

        Assert.AreEqual(seq, (await Eventually.Within(poll)).Single().Seq);
        Assert.AreEqual(reads, store.Reads, "answered from memory");

        // Not acknowledged: delivered again, from memory; then acknowledged: deleted, never again.
        Assert.AreEqual(seq, (await Eventually.Within(TestDevice.PollAsync(http, device.Certificate, 0))).Single().Seq);
        var after = TestDevice.PollAsync(http, device.Certificate, seq);
        await Eventually.PollingAsync(server, device.TerminalId);
        await Eventually.TrueAsync(() => Db.Count(server, "SELECT count(*) FROM triggers") == 0, "the acknowledged trigger is deleted");
        server.Time!.Advance(TimeSpan.FromSeconds(25));
        Assert.IsEmpty(await Eventually.Within(after));
    }

    [TestMethod]
    public async Task TriggersHandedOverOutOfOrderMakeMemoryForgetAndThePollReadsTheQueue()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        await IdleCycleAsync(server, http, device);
        var store = server.Services.GetRequiredService<TriggerStore>();
        var hub = server.Services.GetRequiredService<TriggerHub>();
        var now = server.Time!.GetUtcNow().ToUnixTimeSeconds();

        // Two commits whose hand-overs arrive in the wrong order, as concurrent writers may deliver them.
        var first = new Trigger { Kind = TriggerKinds.StatusQuery, CreatedAt = now };
        var second = new Trigger { Kind = TriggerKinds.StatusQuery, CreatedAt = now };
        await store.EnqueueAsync(device.TerminalId, first, now + 3600);
        await store.EnqueueAsync(device.TerminalId, second, now + 3600);
        hub.Wake(device.TerminalId, second, now + 3600);
        Assert.IsFalse(hub.Line(device.TerminalId).KnowsQueue, "a gap in the seqs: memory forgets");
        hub.Wake(device.TerminalId, first, now + 3600);

        var delivered = await Eventually.Within(TestDevice.PollAsync(http, device.Certificate, 0));
        CollectionAssert.AreEqual(new[] { first.Seq, second.Seq }, delivered.Select(trigger => trigger.Seq).ToArray());
    }

    /// <summary>Queues a status query as the broker does: committed, then handed to the terminal's line.</summary>
    private static async Task<long> HandoffAsync(TestServer server, string terminalId)
    {
        var now = server.Time!.GetUtcNow().ToUnixTimeSeconds();
        var trigger = new Trigger { Kind = TriggerKinds.StatusQuery, CreatedAt = now };
        var seq = await server.Services.GetRequiredService<TriggerStore>().EnqueueAsync(terminalId, trigger, now + 3600);
        server.Services.GetRequiredService<TriggerHub>().Wake(terminalId, trigger, now + 3600);
        return seq;
    }

    /// <summary>One poll with nothing queued, answered empty at its timeout.</summary>
    private static async Task IdleCycleAsync(TestServer server, HttpClient http, CertificateResponse device)
    {
        var poll = TestDevice.PollAsync(http, device.Certificate, 0);
        await Eventually.PollingAsync(server, device.TerminalId);
        server.Time!.Advance(TimeSpan.FromSeconds(25));
        Assert.IsEmpty(await Eventually.Within(poll));
        await Eventually.TrueAsync(() => !server.Services.GetRequiredService<TriggerHub>().Line(device.TerminalId).IsPolling, "the poll ended");
    }
}
