using PeerGate.Device.Api;
using PeerGate.Device.Load;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Device.Triggers;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Triggers;

/// <summary>
/// The session offer in the answer to an Acceptable status reply: taken from there once, not handed on
/// again when a poll brings it, acknowledged by the next poll's cursor; from a server that answers 204
/// it comes by poll as before.
/// </summary>
[TestClass]
public sealed class AnsweredOfferTests
{
    private const string Password = "cGFzc3dvcmQtMTIzNDU2Nw==";
    private const string Key = "a2V5LWtleS1rZXkta2V5LWtleS1rZXkta2V5LWtleS0=";

    private readonly FakeInternet _internet = new();
    private readonly FakeControlServer _server = new();
    private readonly FakeCertificateHolder _holder = new();
    private readonly MemorySettings _settings = new();
    private readonly RecordingLog _log = new();
    private readonly RecordingSink _sink = new();
    private readonly TriggerDispatcher _dispatcher;
    private readonly TriggerPoller _poller;

    public AnsweredOfferTests()
    {
        _internet.Add(FakeCertificateHolder.RegistryUrl, _server);
        var api = new ApiClient(_internet, new TestJsonCodec(), 40000);
        _dispatcher = new TriggerDispatcher(api, _holder, new LoadMonitor(new FakeLoadSource(), new DeviceConfig()), _log) { Offers = _sink };
        _poller = new TriggerPoller(api, _holder, _dispatcher, _settings, new FakeClock(), new SeededRandom(), _log) { AnsweredOffers = _dispatcher.Answered };
    }

    [TestMethod]
    public void TheOfferInTheReplyAnswerIsTakenOnceAndTheNextPollAcknowledgesIt()
    {
        _server.OfferOnReply = _ => Fill("S-1");
        _server.Enqueue(TriggerKinds.StatusQuery, t => t.SessionId = "S-1");

        _poller.PollOnce();

        Assert.AreEqual("S-1", _sink.Offers.Single().SessionId, "taken from the answer, before any poll brought it");
        Assert.AreEqual(2, _poller.Cursor, "the offer right after the status query is passed: the next poll acknowledges it");

        _poller.PollOnce();

        CollectionAssert.AreEqual(new long[] { 0, 2 }, _server.Afters);
        Assert.AreEqual(1, _sink.Offers.Count);
    }

    [TestMethod]
    public void AnOfferAPollBringsAgainIsNotHandedOnTwice()
    {
        // Another caller's query is queued before the offer: the cursor cannot pass the offer, so the next poll brings it again.
        _server.OfferOnReply = reply =>
        {
            if (reply.Seq != 1)
            {
                return null;
            }

            _server.Enqueue(TriggerKinds.StatusQuery, t => t.SessionId = "S-2");
            return Fill("S-1");
        };
        _server.Enqueue(TriggerKinds.StatusQuery, t => t.SessionId = "S-1");
        _poller.PollOnce();
        Assert.AreEqual(1, _poller.Cursor);

        _poller.PollOnce();

        Assert.AreEqual(1, _sink.Offers.Count, "the offer came in the answer; its copy in the poll is skipped");
        Assert.AreEqual(3, _poller.Cursor);
        CollectionAssert.AreEqual(new long[] { 1, 2 }, _server.Replies.Select(r => r.Seq).ToArray());
    }

    [TestMethod]
    public void FromAServerThatAnswers204TheOfferComesByPoll()
    {
        _server.Enqueue(TriggerKinds.StatusQuery, t => t.SessionId = "S-1");
        _poller.PollOnce();
        Assert.AreEqual(0, _sink.Offers.Count);
        _server.Enqueue(TriggerKinds.SessionOffer, Fill("S-1"));

        _poller.PollOnce();

        Assert.AreEqual("S-1", _sink.Offers.Single().SessionId);
        Assert.AreEqual(2, _poller.Cursor);
    }

    [TestMethod]
    public void AnAnswerForAnotherSessionIsNotTaken()
    {
        _server.OfferOnReply = _ => Fill("S-other");
        _server.Enqueue(TriggerKinds.StatusQuery, t => t.SessionId = "S-1");

        _poller.PollOnce();

        Assert.AreEqual(0, _sink.Offers.Count);
        Assert.AreEqual(1, _poller.Cursor, "the offer stays queued for the poll to deliver and be checked there");
    }

    private static Action<Trigger> Fill(string sessionId) => t =>
    {
        t.SessionId = sessionId;
        t.PeerTerminalId = "T-CALLER";
        t.PeerObservedIp = "127.0.0.1";
        t.PeerObservedPort = 7400;
        t.Password = Password;
        t.Key = Key;
        t.ExpiresAt = FakeClock.Epoch + 60;
    };

    private sealed class RecordingSink : ISessionOfferSink
    {
        public List<Trigger> Offers { get; } = [];

        public void Offer(Trigger offer) => Offers.Add(offer);

        public void Expect(string sessionId)
        {
        }
    }
}
