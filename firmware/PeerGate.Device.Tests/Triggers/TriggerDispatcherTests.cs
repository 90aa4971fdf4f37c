using PeerGate.Device.Api;
using PeerGate.Device.Load;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Device.Triggers;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Triggers;

[TestClass]
public sealed class TriggerDispatcherTests
{
    private const string Password = "cGFzc3dvcmQtMTIzNDU2Nw==";
    private const string Key = "a2V5LWtleS1rZXkta2V5LWtleS1rZXkta2V5LWtleS0=";

    private readonly FakeInternet _internet = new();
    private readonly FakeControlServer _server = new();
    private readonly FakeCertificateHolder _holder = new();
    private readonly FakeLoadSource _load = new();
    private readonly RecordingLog _log = new();
    private readonly TriggerDispatcher _dispatcher;

    public TriggerDispatcherTests()
    {
        _internet.Add(FakeCertificateHolder.RegistryUrl, _server);
        _dispatcher = new TriggerDispatcher(new ApiClient(_internet, new TestJsonCodec(), 5000), _holder, new LoadMonitor(_load, new DeviceConfig()), _log);
    }

    [TestMethod]
    public void StatusQueryIsAnsweredWithTheSameSeqAndTheLoad()
    {
        _dispatcher.Handle(new Trigger { Seq = 7, Kind = TriggerKinds.StatusQuery });

        var reply = _server.Replies.Single();
        Assert.AreEqual(7, reply.Seq);
        Assert.AreEqual(AcceptStatus.Acceptable, reply.Status);
        Assert.AreEqual(_load.FreeHeapBytes, reply.FreeHeapBytes);
        Assert.AreEqual("cert-1", _internet.Requests.Single().Bearer);
    }

    [TestMethod]
    public void ForcedBusyIsAnsweredBusyWithReasonAndRetryAfter()
    {
        _load.ForcedBusy = true;

        _dispatcher.Handle(new Trigger { Seq = 3, Kind = TriggerKinds.StatusQuery });

        var reply = _server.Replies.Single();
        Assert.AreEqual(AcceptStatus.Busy, reply.Status);
        Assert.AreEqual(BusyReasons.Forced, reply.Reason);
        Assert.AreEqual(LoadMonitor.ForcedRetryAfterSeconds, reply.RetryAfterSeconds);
    }

    [TestMethod]
    public void AnAcceptableAnswerAnnouncesItsSessionAndABusyOneDoesNot()
    {
        var sink = new RecordingSink();
        _dispatcher.Offers = sink;

        _dispatcher.Handle(new Trigger { Seq = 1, Kind = TriggerKinds.StatusQuery, SessionId = "S-yes" });
        _load.ForcedBusy = true;
        _dispatcher.Handle(new Trigger { Seq = 2, Kind = TriggerKinds.StatusQuery, SessionId = "S-busy" });

        CollectionAssert.AreEqual(new[] { "S-yes" }, sink.Expected);
    }

    [TestMethod]
    public void StatusQueriesCanBeLeftUnanswered()
    {
        _dispatcher.AnswerStatusQueries = false;

        _dispatcher.Handle(new Trigger { Seq = 3, Kind = TriggerKinds.StatusQuery });

        Assert.AreEqual(0, _internet.Requests.Count);
    }

    [TestMethod]
    public void SessionOfferGoesToTheSinkAndItsSecretsStayOutOfTheLog()
    {
        var sink = new RecordingSink();
        _dispatcher.Offers = sink;

        _dispatcher.Handle(Offer());

        Assert.AreEqual("S-1", sink.Offers.Single().SessionId);
        Assert.IsTrue(_log.Has("trigger.session-offer"));
        Assert.IsFalse(_log.Lines.Any(l => l.Contains(Password) || l.Contains(Key)), string.Join("\n", _log.Lines));
    }

    [TestMethod]
    public void IncompleteOfferIsSkipped()
    {
        var sink = new RecordingSink();
        _dispatcher.Offers = sink;
        var offer = Offer();
        offer.Key = null!;

        _dispatcher.Handle(offer);

        Assert.AreEqual(0, sink.Offers.Count);
        Assert.IsTrue(_log.Has("trigger.offer-invalid"));
    }

    [TestMethod]
    public void UnknownKindIsLoggedAndSkipped()
    {
        _dispatcher.Handle(new Trigger { Seq = 9, Kind = "end-session-v9" });

        Assert.AreEqual(0, _internet.Requests.Count);
        Assert.IsTrue(_log.Has("trigger.unknown"));
    }

    private static Trigger Offer() => new()
    {
        Seq = 4,
        Kind = TriggerKinds.SessionOffer,
        SessionId = "S-1",
        PeerTerminalId = "T-0002",
        PeerLocalIp = "192.168.1.30",
        PeerLocalPort = 7001,
        Password = Password,
        Key = Key,
        ExpiresAt = FakeClock.Epoch + 60,
    };

    private sealed class RecordingSink : ISessionOfferSink
    {
        public List<Trigger> Offers { get; } = [];

        public List<string> Expected { get; } = [];

        public void Offer(Trigger offer) => Offers.Add(offer);

        public void Expect(string sessionId) => Expected.Add(sessionId);
    }
}
