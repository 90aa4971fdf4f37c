using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Server.Testing;
using PeerGate.Server.Triggers;

namespace PeerGate.Server.Tests.Triggers;

/// <summary>The long-poll trigger channel (F21): the queue is the truth, wake-ups only hurry it along.</summary>
[TestClass]
public sealed class TriggerChannelTests
{
    [TestMethod]
    public async Task TriggerQueuedWhileNotPollingIsDeliveredOnceWhenItPolls()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));

        // Queued and woken while nobody polls: the wake-up is dropped, the row is not.
        var seq = await QueueAsync(server, device.TerminalId);

        var first = await Eventually.Within(TestDevice.PollAsync(http, device.Certificate, 0));
        Assert.HasCount(1, first);
        Assert.AreEqual(seq, first[0].Seq);
        Assert.AreEqual(TriggerKinds.StatusQuery, first[0].Kind);

        // The cursor acknowledges it: deleted, and the next poll waits until its timeout with nothing.
        var next = TestDevice.PollAsync(http, device.Certificate, seq);
        await Eventually.PollingAsync(server, device.TerminalId);
        await Eventually.TrueAsync(() => Db.Count(server, "SELECT count(*) FROM triggers") == 0, "the acknowledged trigger is deleted");
        server.Time!.Advance(TimeSpan.FromSeconds(25));
        Assert.IsEmpty(await Eventually.Within(next));
    }

    [TestMethod]
    public async Task UnacknowledgedTriggerIsDeliveredAgain()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        var seq = await QueueAsync(server, device.TerminalId);

        var lost = await Eventually.Within(TestDevice.PollAsync(http, device.Certificate, 0));
        var again = await Eventually.Within(TestDevice.PollAsync(http, device.Certificate, 0));

        Assert.AreEqual(seq, lost.Single().Seq);
        Assert.AreEqual(seq, again.Single().Seq);
    }

    [TestMethod]
    public async Task WakeUpAnswersAWaitingPollAtOnce()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));

        var poll = TestDevice.PollAsync(http, device.Certificate, 0);
        await Eventually.PollingAsync(server, device.TerminalId);
        var seq = await QueueAsync(server, device.TerminalId);

        // No clock advance: only the wake-up can have answered it.
        Assert.AreEqual(seq, (await Eventually.Within(poll)).Single().Seq);
    }

    [TestMethod]
    public async Task TriggerWhoseWakeUpIsLostIsDeliveredAtThePollTimeout()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));

        var poll = TestDevice.PollAsync(http, device.Certificate, 0);
        await Eventually.PollingAsync(server, device.TerminalId);
        var seq = await QueueAsync(server, device.TerminalId, wake: false);
        server.Time!.Advance(TimeSpan.FromSeconds(25));

        Assert.AreEqual(seq, (await Eventually.Within(poll)).Single().Seq);
    }

    [TestMethod]
    public async Task PollTimeoutOnTheClockAnswersAnEmptyBatch()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));

        var poll = TestDevice.PollTriggersAsync(http, device.Certificate, 0);
        await Eventually.PollingAsync(server, device.TerminalId);
        server.Time!.Advance(TimeSpan.FromSeconds(24));
        Assert.IsFalse(poll.IsCompleted);
        server.Time.Advance(TimeSpan.FromSeconds(1));

        await IsEmptyBatchAsync(poll);
    }

    [TestMethod]
    public async Task StoppingServerAnswersAnOpenPollAtOnce()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        var poll = TestDevice.PollTriggersAsync(http, device.Certificate, 0);
        await Eventually.PollingAsync(server, device.TerminalId);

        // The fake clock never moves: only the shutdown can answer the poll, and without that answer
        // the host would abort it when its stop timeout runs out.
        await server.StopAsync();

        await IsEmptyBatchAsync(poll);
    }

    [TestMethod]
    public async Task PollAskingForAShorterWaitAnswersAtThatWait()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));

        var poll = TestDevice.GetWithCertificateAsync(http, device.Certificate, Routes.Triggers + "?after=0&wait=10");
        await Eventually.PollingAsync(server, device.TerminalId);
        server.Time!.Advance(TimeSpan.FromSeconds(9));
        Assert.IsFalse(poll.IsCompleted);
        server.Time.Advance(TimeSpan.FromSeconds(1));

        await IsEmptyBatchAsync(poll);
    }

    [TestMethod]
    public async Task PollAskingForMoreThanTheServerAllowsGetsTheServersLimit()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));

        var poll = TestDevice.GetWithCertificateAsync(http, device.Certificate, Routes.Triggers + "?after=0&wait=3600");
        await Eventually.PollingAsync(server, device.TerminalId);
        server.Time!.Advance(TimeSpan.FromSeconds(25));

        using var response = await Eventually.Within(poll);
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
    }

    [TestMethod]
    [DataRow("0")]
    [DataRow("-1")]
    [DataRow("ten")]
    public async Task PollWaitThatIsNotAPositiveNumberIsRefused(string wait)
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));

        using var response = await TestDevice.GetWithCertificateAsync(http, device.Certificate, Routes.Triggers + "?after=0&wait=" + wait);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
    }

    [TestMethod]
    public async Task CursorPastEverythingIssuedIsRefusedSoTheDeviceStartsAgain()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        var seq = await QueueAsync(server, device.TerminalId, wake: false);

        using var ahead = await TestDevice.PollTriggersAsync(http, device.Certificate, seq + 40);

        await ProblemAssert.IsProblemAsync(ahead, HttpStatusCode.Conflict, ErrorCodes.CursorAhead);
        Assert.AreEqual(seq, (await TestDevice.PollAsync(http, device.Certificate, 0)).Single().Seq, "nothing was acknowledged by the refused poll");
    }

    [TestMethod]
    public async Task ACursorAtATriggerMemoryWasNotYetToldOfIsTakenNotRefused()
    {
        // Memory learns the queue, then a trigger commits without reaching memory yet: the device may
        // already hold it (an offer in the answer to its reply, a wake still on its way from another instance).
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        var first = await QueueAsync(server, device.TerminalId);
        Assert.AreEqual(first, (await TestDevice.PollAsync(http, device.Certificate, 0)).Single().Seq);
        var unseen = await QueueAsync(server, device.TerminalId, wake: false);

        var poll = TestDevice.PollTriggersAsync(http, device.Certificate, unseen);
        await Eventually.PollingAsync(server, device.TerminalId);
        server.Time!.Advance(TimeSpan.FromSeconds(30));

        await IsEmptyBatchAsync(poll);
        var next = await QueueAsync(server, device.TerminalId);
        Assert.AreEqual(next, (await TestDevice.PollAsync(http, device.Certificate, unseen)).Single().Seq, "the cursor acknowledged what it named, and the queue goes on from there");
    }

    [TestMethod]
    public async Task SecondPollerSupersedesTheFirst()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));

        var older = TestDevice.PollTriggersAsync(http, device.Certificate, 0);
        await Eventually.PollingAsync(server, device.TerminalId);
        var newer = TestDevice.PollTriggersAsync(http, device.Certificate, 0);

        using var superseded = await Eventually.Within(older);
        await ProblemAssert.IsProblemAsync(superseded, HttpStatusCode.Conflict, ErrorCodes.PollerSuperseded);

        // The newer poll is the terminal's poller now and gets what is queued.
        await Eventually.PollingAsync(server, device.TerminalId);
        var seq = await QueueAsync(server, device.TerminalId);
        using var delivered = await Eventually.Within(newer);
        Assert.AreEqual(seq, (await TestDevice.ReadAsync<TriggerBatch>(delivered)).Triggers.Single().Seq);
    }

    [TestMethod]
    public async Task ReplyForNoWaitingRequestIsUnknown()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        var seq = await QueueAsync(server, device.TerminalId);

        // Queued by hand, so nobody waits for its answer.
        using var unknown = await TestDevice.ReplyToTriggerAsync(http, device.Certificate, TestDevice.Reply(seq));
        using var never = await TestDevice.ReplyToTriggerAsync(http, device.Certificate, TestDevice.Reply(seq + 100));

        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, ErrorCodes.TriggerUnknown);
        await ProblemAssert.IsProblemAsync(never, HttpStatusCode.NotFound, ErrorCodes.TriggerUnknown);
    }

    [TestMethod]
    public async Task MalformedPollsAndRepliesAreRefusedWithTheirCodes()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));

        using var badCursor = await TestDevice.GetWithCertificateAsync(http, device.Certificate, Routes.Triggers + "?after=-1");
        using var noCertificate = await http.GetAsync(Routes.Triggers);
        using var badStatus = await TestDevice.ReplyToTriggerAsync(http, device.Certificate, TestDevice.Reply(1, status: "maybe"));
        using var busyWithoutReason = await TestDevice.ReplyToTriggerAsync(http, device.Certificate, TestDevice.Reply(1, status: AcceptStatus.Busy));

        await ProblemAssert.IsProblemAsync(badCursor, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        await ProblemAssert.IsProblemAsync(noCertificate, HttpStatusCode.Unauthorized, ErrorCodes.CertificateMissing);
        await ProblemAssert.IsProblemAsync(badStatus, HttpStatusCode.BadRequest, ErrorCodes.InvalidField);
        await ProblemAssert.IsProblemAsync(busyWithoutReason, HttpStatusCode.BadRequest, ErrorCodes.MissingField);
    }

    /// <summary>Queues a status query straight into the store, as the connection broker would.</summary>
    private static async Task<long> QueueAsync(TestServer server, string terminalId, bool wake = true)
    {
        var now = server.Time!.GetUtcNow().ToUnixTimeSeconds();
        var seq = await server.Services.GetRequiredService<TriggerStore>().EnqueueAsync(terminalId, new Trigger { Kind = TriggerKinds.StatusQuery, CreatedAt = now }, now + 3600);
        if (wake)
        {
            server.Services.GetRequiredService<TriggerHub>().Wake(terminalId);
        }

        return seq;
    }

    /// <summary>The poll is answered (within 10 s) with 200 and no triggers.</summary>
    private static async Task IsEmptyBatchAsync(Task<HttpResponseMessage> poll)
    {
        using var response = await Eventually.Within(poll);
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.IsEmpty((await TestDevice.ReadAsync<TriggerBatch>(response)).Triggers);
    }
}
