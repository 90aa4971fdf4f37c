using System.Net;
using PeerGate.Device.Api;
using PeerGate.Device.Platform;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Device.Triggers;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Triggers;

[TestClass]
public sealed class TriggerPollerTests
{
    private readonly FakeInternet _internet = new();
    private readonly FakeControlServer _server = new();
    private readonly FakeCertificateHolder _holder = new();
    private readonly MemorySettings _settings = new();
    private readonly FakeClock _clock = new();
    private readonly RecordingLog _log = new();
    private readonly RecordingHandler _handler = new();

    public TriggerPollerTests() => _internet.Add(FakeCertificateHolder.RegistryUrl, _server);

    [TestMethod]
    public void HandledTriggersMoveThePersistedCursorAndTheNextPollAcknowledgesThem()
    {
        _server.Enqueue(TriggerKinds.StatusQuery);
        _server.Enqueue(TriggerKinds.StatusQuery);
        var poller = NewPoller(_handler);

        Assert.AreEqual(0, poller.PollOnce());
        Assert.AreEqual(0, poller.PollOnce());

        CollectionAssert.AreEqual(new long[] { 1, 2 }, _handler.Handled);
        CollectionAssert.AreEqual(new long[] { 0, 2 }, _server.Afters);
        Assert.AreEqual(2, poller.Cursor);
        Assert.AreEqual("2 T-0001 " + FakeCertificateHolder.RegistryUrl, _settings.Read(TriggerCursor.SettingName));
        Assert.AreEqual("cert-1", _server.PollBearers[0]);
    }

    [TestMethod]
    public void PollAsksTheServerToAnswerBeforeTheHttpTimeout()
    {
        NewPoller(_handler).PollOnce();

        var poll = _internet.Requests.Single(r => r.Path == Routes.Triggers);
        StringAssert.Contains(new Uri(poll.Url).Query, "wait=35");
    }

    [TestMethod]
    public void CursorAheadOfTheServerStartsAgainFromZero()
    {
        _settings.Write(TriggerCursor.SettingName, "41 T-0001 " + FakeCertificateHolder.RegistryUrl);
        _server.Scripted.Enqueue(FakeInternet.Problem(HttpStatusCode.Conflict, ErrorCodes.CursorAhead));
        _server.Enqueue(TriggerKinds.StatusQuery);
        var poller = NewPoller(_handler);

        Assert.AreEqual(0, poller.PollOnce(), "no backoff: the next poll goes at once");
        poller.PollOnce();

        CollectionAssert.AreEqual(new long[] { 41, 0 }, _server.Afters);
        CollectionAssert.AreEqual(new long[] { 1 }, _handler.Handled);
    }

    [TestMethod]
    public void TriggerIsHandledOnceAcrossARestart()
    {
        _server.Enqueue(TriggerKinds.StatusQuery);
        NewPoller(_handler).PollOnce();

        // Power cut before the next poll acknowledged seq 1; a server that redelivers must not cause a second handling.
        _server.Redeliver = true;
        _server.Enqueue(TriggerKinds.SessionOffer);
        var rebooted = NewPoller(_handler);
        rebooted.PollOnce();

        CollectionAssert.AreEqual(new long[] { 1, 2 }, _handler.Handled);
        Assert.AreEqual(1, _server.Afters[1], "the first poll after the restart acknowledges what was handled before it");
        Assert.AreEqual(2, rebooted.Cursor);
    }

    [TestMethod]
    public void CursorOfAnotherTerminalOrServerIsNotUsed()
    {
        _settings.Write(TriggerCursor.SettingName, "41 T-9999 " + FakeCertificateHolder.RegistryUrl);
        _server.Enqueue(TriggerKinds.StatusQuery);

        NewPoller(_handler).PollOnce();

        Assert.AreEqual(0, _server.Afters[0]);
        CollectionAssert.AreEqual(new long[] { 1 }, _handler.Handled);
    }

    [TestMethod]
    public void SupersededPollerStopsPollingAndSaysSo()
    {
        _server.Scripted.Enqueue(FakeInternet.Problem(HttpStatusCode.Conflict, ErrorCodes.PollerSuperseded));
        _server.Enqueue(TriggerKinds.StatusQuery);
        var poller = NewPoller(_handler);

        poller.Run(new ManualResetEvent(false));

        Assert.IsTrue(poller.Superseded);
        Assert.AreEqual(1, _server.Afters.Count, "no poll after the supersede");
        Assert.AreEqual(0, _handler.Handled.Count);
        Assert.IsTrue(_log.Has("trigger.superseded"));
        poller.Start();
        Assert.IsFalse(poller.IsRunning, "a superseded poller does not start again");
    }

    [TestMethod]
    public void FailedPollsBackOffWithJitterUpToTheCeilingAndResetOnSuccess()
    {
        var random = new SeededRandom();
        _internet.Remove(FakeCertificateHolder.RegistryUrl);
        var poller = NewPoller(_handler, random);

        var delays = new List<int>();
        for (int i = 0; i < 12; i++)
        {
            delays.Add(poller.PollOnce());
        }

        Assert.AreEqual(FailureCodes.ConnectionFailed, poller.LastErrorCode);
        Assert.IsTrue(delays[0] >= TriggerPoller.InitialBackoffMillis / 2 && delays[0] <= TriggerPoller.InitialBackoffMillis, $"seed {random.Seed}: {delays[0]}");
        Assert.IsTrue(delays.All(d => d <= TriggerPoller.BackoffCeilingMillis), $"seed {random.Seed}");
        Assert.IsTrue(delays[^1] >= TriggerPoller.BackoffCeilingMillis / 2, $"seed {random.Seed}: reaches the ceiling");

        _internet.Add(FakeCertificateHolder.RegistryUrl, _server);
        Assert.AreEqual(0, poller.PollOnce());
        Assert.IsNull(poller.LastErrorCode);
        _internet.Remove(FakeCertificateHolder.RegistryUrl);
        Assert.IsTrue(poller.PollOnce() <= TriggerPoller.InitialBackoffMillis, $"seed {random.Seed}: starts again from the initial delay");
    }

    [TestMethod]
    public void RunWaitsTheBackoffBetweenFailedPolls()
    {
        _internet.Remove(FakeCertificateHolder.RegistryUrl);
        _clock.StopAtMillis = 10 * 60 * 1000;
        var poller = NewPoller(_handler);

        poller.Run(new ManualResetEvent(false));

        Assert.IsTrue(_clock.Sleeps.Count > 5);
        Assert.IsTrue(_clock.Sleeps.All(s => s <= TriggerPoller.BackoffCeilingMillis));
        Assert.AreEqual(_clock.Sleeps.Count, _internet.Requests.Count);
    }

    [TestMethod]
    public void RefusedCertificateIsReportedAndNotPresentedAgain()
    {
        _server.Scripted.Enqueue(FakeInternet.Problem(HttpStatusCode.Unauthorized, ErrorCodes.CertificateExpired));
        var poller = NewPoller(_handler);
        var refused = _holder.Certificate!;

        Assert.IsTrue(poller.PollOnce() > 0);
        Assert.AreSame(refused, _holder.Refused.Single());
        Assert.AreEqual(TriggerPoller.CertificateWaitMillis, poller.PollOnce(), "waits for a new certificate");
        Assert.AreEqual(1, _server.Afters.Count);

        _holder.Certificate = FakeCertificateHolder.Issue("cert-2");
        Assert.AreEqual(0, poller.PollOnce());
        Assert.AreEqual("cert-2", _server.PollBearers[^1]);
    }

    [TestMethod]
    public void HandlerFailureStillMovesTheCursor()
    {
        _server.Enqueue(TriggerKinds.StatusQuery);
        var poller = NewPoller(new ThrowingHandler());

        poller.PollOnce();

        Assert.AreEqual(1, poller.Cursor);
        Assert.IsTrue(_log.Has("trigger.handler-failed"));
    }

    private TriggerPoller NewPoller(ITriggerHandler handler, IRandomSource? random = null) =>
        new(new ApiClient(_internet, new TestJsonCodec(), 40000), _holder, handler, _settings, _clock, random ?? new SeededRandom(), _log);

    private sealed class ThrowingHandler : ITriggerHandler
    {
        public void Handle(Trigger trigger) => throw new InvalidOperationException("handler bug");
    }
}
