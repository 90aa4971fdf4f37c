using PeerGate.Device.Api;
using PeerGate.Device.Platform;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Device.Triggers;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Api;

/// <summary>
/// The board's one HTTP lane: a short call never waits behind more than one poll, and a poll holds the
/// lane for at most the lane's hold, measured on a fake clock that the transport moves forward by the
/// time each request takes.
/// </summary>
[TestClass]
public sealed class HttpLaneTests
{
    private const int Hold = 15000;
    private const string Registry = "https://registry.test";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly SharedClock _clock = new();
    private readonly GatedTransport _transport;
    private readonly HttpLane _lane;

    public HttpLaneTests()
    {
        _transport = new GatedTransport(_clock);
        _lane = new HttpLane(_transport, _clock, Hold);
    }

    [TestMethod]
    public void EachRequestKeepsItsOwnTimeoutAndAPollIsCutToTheHold()
    {
        _lane.Calls.Send("GET", Registry + "/short", null, null, 3000);
        _lane.Calls.Send("POST", Registry + "/long", "{}", "cert", 20000);
        _lane.Polls.Send("GET", Registry + "/poll-long", null, "cert", 40000);
        _lane.Polls.Send("GET", Registry + "/poll-short", null, "cert", 8000);

        CollectionAssert.AreEqual(new[] { 3000, 20000, Hold, 8000 }, _transport.Timeouts());
    }

    [TestMethod]
    public void CallArrivingDuringAPollGoesBeforeTheNextPollAndWaitsNoLongerThanTheHold()
    {
        _transport.Hold("/poll-1");
        _transport.Hold("/poll-2");

        // The poller: two polls back to back, the second asked for the moment the first returns.
        var poller = new Thread(() =>
        {
            _lane.Polls.Send("GET", Registry + "/poll-1", null, "cert", 40000);
            _lane.Polls.Send("GET", Registry + "/poll-2", null, "cert", 40000);
        });
        poller.Start();
        WaitUntil(() => _transport.InFlight == "/poll-1", "the first poll is in flight");

        var call = new Thread(() => _lane.Calls.Send("POST", Registry + "/extend", "{}", "cert", 15000));
        call.Start();
        WaitUntil(() => _lane.CallsWaiting == 1, "the extension request waits for the lane");

        // The server never answers: the poll ends at its (cut) timeout.
        _transport.Release("/poll-1");
        Assert.IsTrue(call.Join(Bound), "the call got the lane after the poll");
        WaitUntil(() => _transport.InFlight == "/poll-2", "the poller polls again");
        _transport.Release("/poll-2");
        Assert.IsTrue(poller.Join(Bound));

        CollectionAssert.AreEqual(new[] { "/poll-1", "/extend", "/poll-2" }, _transport.Paths());
        Assert.AreEqual(0, _transport.Overlaps, "one exchange at a time");
        Assert.AreEqual(Hold, _lane.LongestCallWaitMillis, "the call waited exactly one poll's hold, not the 40 s the poller asked for");
        Assert.IsTrue(_lane.LongestCallWaitMillis <= _lane.PollHoldMillis);
    }

    [TestMethod]
    public void AWaitingPollYieldsToEveryCallThatIsWaiting()
    {
        _transport.Hold("/register");
        var first = new Thread(() => _lane.Calls.Send("POST", Registry + "/register", "{}", "cert", 15000));
        first.Start();
        WaitUntil(() => _transport.InFlight == "/register", "the registration refresh is in flight");

        var poll = new Thread(() => _lane.Polls.Send("GET", Registry + "/poll", null, "cert", 40000));
        poll.Start();
        WaitUntil(() => _lane.PollsWaiting == 1, "the poll waits");

        var end = new Thread(() => _lane.Calls.Send("POST", Registry + "/end", "{}", "cert", 15000));
        end.Start();
        WaitUntil(() => _lane.CallsWaiting == 1, "the end notice waits");

        _transport.Release("/register");
        Assert.IsTrue(first.Join(Bound) && end.Join(Bound) && poll.Join(Bound));

        CollectionAssert.AreEqual(new[] { "/register", "/end", "/poll" }, _transport.Paths(), "the end notice asked after the poll and still went first");
        Assert.AreEqual(0, _transport.Overlaps, "one exchange at a time");
    }

    [TestMethod]
    public void ALaneThatFreesUpIsTakenAtOnce()
    {
        _lane.Polls.Send("GET", Registry + "/poll", null, "cert", 40000);
        _lane.Calls.Send("GET", Registry + "/status", null, null, 15000);

        Assert.AreEqual(0, _lane.CallsWaiting);
        Assert.AreEqual(0, _lane.PollsWaiting);
        Assert.AreEqual(0, _lane.LongestCallWaitMillis);
    }

    [TestMethod]
    public void ATransportThatThrowsFreesTheLane()
    {
        _transport.ThrowOn("/broken");

        Assert.ThrowsExactly<InvalidOperationException>(() => _lane.Calls.Send("GET", Registry + "/broken", null, null, 15000));
        var after = new Thread(() => _lane.Polls.Send("GET", Registry + "/poll", null, "cert", 40000));
        after.Start();

        Assert.IsTrue(after.Join(Bound), "the lane was left busy");
    }

    [TestMethod]
    public void BoardAgentPollsWithinTheLaneHoldAndAsksTheServerToAnswerSooner()
    {
        var rig = DeviceRig.WithChain(1);
        var recorder = new RecordingTransport(rig.Internet);
        var lane = new HttpLane(recorder, rig.Clock, Hold);
        var platform = new DevicePlatform(rig.Clock, new FakeIdentity(DeviceRig.DeviceId), new HmacSigner(rig.SigningKey), lane.Calls, new TestJsonCodec(),
            rig.Settings, rig.Network, rig.Log, rig.Random, new NoPeerNetwork(), new UnusedPeerCrypto(), rig.Load);
        platform.ShareOneLane(lane);
        var agent = new DeviceAgent(platform, rig.Config);

        Assert.IsTrue(agent.RunOnce(), "registered");
        agent.Poller.PollOnce();

        var poll = recorder.Sent.Single(s => new Uri(s.Url).AbsolutePath == Routes.Triggers);
        Assert.AreEqual(Hold, poll.Timeout);
        StringAssert.Contains(new Uri(poll.Url).Query, "wait=" + ((Hold - TriggerPoller.PollAnswerMarginMillis) / 1000));
        Assert.IsTrue(recorder.Sent.Where(s => s != poll).All(s => s.Timeout == rig.Config.HttpTimeoutMillis), "every other call keeps the configured timeout");
    }

    [TestMethod]
    public void PlatformWithoutALaneKeepsTheConfiguredPollTimeout()
    {
        var rig = DeviceRig.WithChain(1);
        var platform = new DevicePlatform(rig.Clock, new FakeIdentity(DeviceRig.DeviceId), new HmacSigner(rig.SigningKey), rig.Internet, new TestJsonCodec(),
            rig.Settings, rig.Network, rig.Log, rig.Random, new NoPeerNetwork(), new UnusedPeerCrypto(), rig.Load);

        Assert.AreSame(platform.Http, platform.PollHttp);
        Assert.AreEqual(rig.Config.TriggerPollTimeoutMillis, DeviceAgent.PollTimeoutMillis(platform, rig.Config));
    }

    [TestMethod]
    public void LaneMustCarryEveryCallOfThePlatform()
    {
        var rig = DeviceRig.WithChain(1);
        var lane = new HttpLane(rig.Internet, rig.Clock, Hold);
        var platform = new DevicePlatform(rig.Clock, new FakeIdentity(DeviceRig.DeviceId), new HmacSigner(rig.SigningKey), rig.Internet, new TestJsonCodec(),
            rig.Settings, rig.Network, rig.Log, rig.Random, new NoPeerNetwork(), new UnusedPeerCrypto(), rig.Load);

        Assert.ThrowsExactly<ArgumentException>(() => platform.ShareOneLane(lane));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new HttpLane(rig.Internet, rig.Clock, 0));
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            Assert.IsTrue(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            Thread.Sleep(2);
        }
    }

    /// <summary>Uptime that several threads may read and move.</summary>
    private sealed class SharedClock : IClock
    {
        private long _uptimeMillis;

        public long UtcNowSeconds => FakeClock.Epoch + (UptimeMillis / 1000);

        public long UptimeMillis => Interlocked.Read(ref _uptimeMillis);

        public void Advance(long millis) => Interlocked.Add(ref _uptimeMillis, millis);

        public bool Sleep(int millis, WaitHandle cancel) => throw new InvalidOperationException("the lane never sleeps on the clock");
    }

    /// <summary>
    /// Answers at once, except for held paths: those stay in flight until released and then time out,
    /// moving the clock forward by the timeout the request was given, as a silent server would.
    /// </summary>
    private sealed class GatedTransport(SharedClock clock) : IHttpTransport
    {
        private readonly object _lock = new();
        private readonly Dictionary<string, ManualResetEventSlim> _held = new(StringComparer.Ordinal);
        private readonly List<(string Path, int Timeout)> _sent = [];
        private readonly HashSet<string> _throwing = new(StringComparer.Ordinal);
        private string? _inFlight;

        /// <summary>Requests that reached the transport while another was in flight; the lane allows none.</summary>
        public int Overlaps { get; private set; }

        public string? InFlight
        {
            get
            {
                lock (_lock)
                {
                    return _inFlight;
                }
            }
        }

        public void Hold(string path)
        {
            lock (_lock)
            {
                _held[path] = new ManualResetEventSlim(false);
            }
        }

        public void Release(string path)
        {
            lock (_lock)
            {
                _held[path].Set();
            }
        }

        public void ThrowOn(string path)
        {
            lock (_lock)
            {
                _throwing.Add(path);
            }
        }

        public string[] Paths()
        {
            lock (_lock)
            {
                return _sent.Select(s => s.Path).ToArray();
            }
        }

        public int[] Timeouts()
        {
            lock (_lock)
            {
                return _sent.Select(s => s.Timeout).ToArray();
            }
        }

        public HttpReply Send(string method, string url, string jsonBody, string bearerToken, int timeoutMillis)
        {
            string path = new Uri(url).AbsolutePath;
            ManualResetEventSlim? gate;
            lock (_lock)
            {
                if (_inFlight is not null)
                {
                    Overlaps++;
                }

                _inFlight = path;
                _sent.Add((path, timeoutMillis));
                _held.TryGetValue(path, out gate);
            }

            try
            {
                if (_throwing.Contains(path))
                {
                    throw new InvalidOperationException("transport broke");
                }

                if (gate is null)
                {
                    return new HttpReply(200, "{}");
                }

                if (!gate.Wait(Bound))
                {
                    return HttpReply.NetworkFailure(path + " was never released");
                }

                clock.Advance(timeoutMillis);
                return HttpReply.NetworkFailure("timed out");
            }
            finally
            {
                lock (_lock)
                {
                    _inFlight = null;
                }
            }
        }
    }

    /// <summary>Passes everything on and notes each request's URL and timeout.</summary>
    private sealed class RecordingTransport(IHttpTransport inner) : IHttpTransport
    {
        public List<(string Url, int Timeout)> Sent { get; } = [];

        public HttpReply Send(string method, string url, string jsonBody, string bearerToken, int timeoutMillis)
        {
            Sent.Add((url, timeoutMillis));
            return inner.Send(method, url, jsonBody, bearerToken, timeoutMillis);
        }
    }
}
