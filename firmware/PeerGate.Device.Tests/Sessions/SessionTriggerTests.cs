using PeerGate.Device.Api;
using PeerGate.Device.Load;
using PeerGate.Device.Permits;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Device.Triggers;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Sessions;

[TestClass]
public sealed class SessionTriggerTests
{
    private readonly FakeInternet _internet = new();
    private readonly FakeControlServer _server = new();
    private readonly RecordingLog _log = new();

    public SessionTriggerTests() => _internet.Add(FakeCertificateHolder.RegistryUrl, _server);

    [TestMethod]
    public void SessionEndTriggerClosesTheNamedSessionOnBothSides()
    {
        var rig = new SessionRig(endsAt: 0, byteLimit: 0);
        var dispatcher = Dispatcher(rig);
        var payload = SessionRig.Pattern(800);
        rig.Caller.Send(payload, 0, payload.Length);
        var callerReader = Task.Run(() => SessionRig.ReceiveAll(rig.Caller));
        var buffer = new byte[1000];
        Assert.AreEqual(800, rig.Callee.Receive(buffer, 0, buffer.Length, SessionRig.WaitMillis));

        dispatcher.Handle(new Trigger { Seq = 4, Kind = TriggerKinds.SessionEnd, SessionId = SessionRig.SessionId });

        Assert.IsTrue(callerReader.Wait(SessionRig.WaitMillis), "the caller's blocked reader wakes");
        Assert.AreEqual(0, rig.Callee.Receive(buffer, 0, buffer.Length, SessionRig.WaitMillis));
        Assert.AreEqual(0, rig.Caller.Send(payload, 0, payload.Length));
        Assert.AreEqual(SessionEndReasons.Terminated, rig.Caller.Session.EndReason);
        Assert.AreEqual(SessionEndReasons.Terminated, rig.Callee.Session.EndReason);
        Assert.AreEqual(800, rig.Caller.Session.ToEndNotice().BytesSent);
        Assert.AreEqual(800, rig.Callee.Session.ToEndNotice().BytesReceived);
    }

    [TestMethod]
    public void SessionEndForAnUnknownSessionChangesNothing()
    {
        var rig = new SessionRig(endsAt: 0, byteLimit: 0);

        Dispatcher(rig).Handle(new Trigger { Seq = 4, Kind = TriggerKinds.SessionEnd, SessionId = "S-OTHER" });

        Assert.IsFalse(rig.Caller.IsClosed);
        Assert.IsNull(rig.Caller.Session.EndReason);
        Assert.IsTrue(_log.Has("trigger.session-unknown"));
    }

    [TestMethod]
    public void SessionLimitsTriggerAppliesTheNewLimits()
    {
        var rig = new SessionRig(endsAt: FakeClock.Epoch + 60, byteLimit: 1000);

        Dispatcher(rig).Handle(new Trigger
        {
            Seq = 5,
            Kind = TriggerKinds.SessionLimits,
            SessionId = SessionRig.SessionId,
            SessionEndsAt = FakeClock.Epoch + 120,
            SessionByteLimit = 5000,
        });

        Assert.AreEqual(FakeClock.Epoch + 120, rig.Caller.Session.EndsAt);
        Assert.AreEqual(5000, rig.Caller.Session.ByteLimit);
        Assert.AreEqual(3000, rig.Caller.Send(SessionRig.Pattern(3000), 0, 3000));
    }

    [TestMethod]
    public void PermitQueryIsAnsweredWithTheDeviceHeldListsFromConfig()
    {
        var config = DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k\nDevicePermits=group:lab,terminal:T-0009\nDeviceDenies=terminal:T-0666");
        var dispatcher = new TriggerDispatcher(new ApiClient(_internet, new TestJsonCodec(), 5000), new FakeCertificateHolder(), new LoadMonitor(new FakeLoadSource(), config), _log)
        {
            DevicePermits = config.DevicePermits,
            DeviceDenies = config.DeviceDenies,
        };

        dispatcher.Handle(new Trigger { Seq = 9, Kind = TriggerKinds.PermitQuery, PeerTerminalId = "T-0666", PeerGroups = ["lab"] });

        var reply = _server.Replies.Single();
        Assert.AreEqual(9, reply.Seq);
        CollectionAssert.AreEqual(new[] { "group:lab", "terminal:T-0009" }, reply.Permits.Select(PermitEntries.Format).ToArray());
        CollectionAssert.AreEqual(new[] { "terminal:T-0666" }, reply.Denies.Select(PermitEntries.Format).ToArray());
    }

    [TestMethod]
    public void PermitQueryWithoutListsAnswersEmptyLists()
    {
        var dispatcher = new TriggerDispatcher(new ApiClient(_internet, new TestJsonCodec(), 5000), new FakeCertificateHolder(), new LoadMonitor(new FakeLoadSource(), new DeviceConfig()), _log);

        dispatcher.Handle(new Trigger { Seq = 2, Kind = TriggerKinds.PermitQuery, PeerTerminalId = "T-0003" });

        var reply = _server.Replies.Single();
        Assert.IsEmpty(reply.Permits);
        Assert.IsEmpty(reply.Denies);
    }

    private TriggerDispatcher Dispatcher(SessionRig rig) =>
        new(new ApiClient(_internet, new TestJsonCodec(), 5000), new FakeCertificateHolder(), new LoadMonitor(new FakeLoadSource(), new DeviceConfig()), _log)
        {
            // Both sides' tables: in the field each device has its own dispatcher; the caller's is enough here.
            Sessions = rig.CallerSessions,
        };
}
