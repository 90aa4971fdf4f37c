using PeerGate.Device.Api;
using PeerGate.Device.Platform;
using PeerGate.Device.Rendezvous;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Device.Triggers;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Rendezvous;

namespace PeerGate.Device.Tests.Rendezvous;

/// <summary>
/// The adaptive keepalive (F31) against an in-memory server and NAT on the fake clock: the device
/// measures how long an idle mapping lives with probes of growing delay, registers at half of it within
/// the floor and the ceiling, measures again when the mapping is lost, falls back to the long-poll when
/// no ack comes, and while UDP works its poller holds no long-poll.
/// </summary>
[TestClass]
public sealed class UdpKeepaliveTests
{
    private const int ServerPort = 5081;
    private const int ProbePort = 5082;
    private static readonly HostPeerCrypto Crypto = new();
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)(0x40 + i)).ToArray();

    private readonly FakeClock _clock = new();
    private readonly RecordingLog _log = new();
    private readonly FakeCertificateHolder _holder = new();

    public UdpKeepaliveTests()
    {
        _holder.Certificate!.Serial = "S1";
        _holder.Certificate.UdpKey = Convert.ToBase64String(Key);
    }

    [TestMethod]
    [DataRow(30, 27, 13_500, DisplayName = "a 30 s NAT: 27 s got through, 41 s did not")]
    [DataRow(1000, 50, 25_000, DisplayName = "a long-lived NAT: measured up to what the 25 s ceiling needs")]
    [DataRow(2, 1, 1_000, DisplayName = "a 2 s NAT: not even 2 s got through; the 1 s floor")]
    public void TheMeasuredLifetimeSetsThePeriodWithinTheFloorAndTheCeiling(int natLifetimeSeconds, int expectedLifetime, int expectedPeriod)
    {
        var net = new SimulatedNet(_clock, Key) { LifetimeSeconds = natLifetimeSeconds };
        var registration = Create(net);

        RunUntil(registration, net, 25_000, stopAtMillis: 600_000);

        Assert.IsFalse(registration.Measuring);
        Assert.AreEqual(expectedLifetime, registration.LifetimeSeconds);
        Assert.IsLessThan(natLifetimeSeconds, registration.LifetimeSeconds, "the measured lifetime is a lower bound");
        Assert.AreEqual(expectedPeriod, registration.PeriodMillis(25_000));
        Assert.IsTrue(_log.Has("udp-lifetime"));

        // A mapping that lapsed while measuring at the ceiling period is the new baseline, not a loss to measure again.
        Assert.IsFalse(_log.Has("udp-remeasure"), $"{net.Lapses} lapses: " + string.Join(" | ", _log.Lines));

        // After the measurement, registrations go out at that period.
        var last = net.RegistrationTimes.TakeLast(4).ToArray();
        for (var i = 1; i < last.Length; i++)
        {
            Assert.AreEqual(expectedPeriod, last[i] - last[i - 1] - net.AckDelayMillis, 100, string.Join(",", net.RegistrationTimes));
        }

        // Measured once: a further run sends no probe.
        var probes = net.ProbeDelays.Count;
        RunUntil(registration, net, 25_000, stopAtMillis: 700_000);
        Assert.AreEqual(probes, net.ProbeDelays.Count);
    }

    [TestMethod]
    public void TheServersShorterIntervalIsTheCeilingAndMeasuringStopsThere()
    {
        var net = new SimulatedNet(_clock, Key) { LifetimeSeconds = 1000, IntervalSeconds = 10 };
        var registration = Create(net);

        RunUntil(registration, net, 25_000, stopAtMillis: 600_000);

        Assert.AreEqual(20, registration.LifetimeSeconds, "10 s needs a lifetime of 20 s, no more is asked");
        Assert.AreEqual(10_000, registration.PeriodMillis(25_000));
        Assert.IsTrue(net.ProbeDelays.Max() <= 20, string.Join(",", net.ProbeDelays));
    }

    [TestMethod]
    public void ForgedAndReplayedProbeAnswersTeachNothing()
    {
        var net = new SimulatedNet(_clock, Key) { LifetimeSeconds = 1, ForgeAnswers = true, EmulateLapse = false };
        var registration = Create(net);

        RunUntil(registration, net, 25_000, stopAtMillis: 120_000);

        // Every real answer was lost in the 1 s NAT; the forged ones (wrong key, another probe's counter) were ignored.
        Assert.IsGreaterThan(0, net.Forged);
        Assert.AreEqual(1, registration.LifetimeSeconds);
        Assert.AreEqual(UdpRegistration.MinPeriodMillis, registration.PeriodMillis(25_000));
    }

    [TestMethod]
    public void WithoutAProbePortThePeriodIsTheDevicesAndTheServers()
    {
        var net = new SimulatedNet(_clock, Key) { LifetimeSeconds = 5 };
        var registration = Create(net);
        registration.ProbePort = 0;

        RunUntil(registration, net, 25_000, stopAtMillis: 100_000);

        Assert.AreEqual(0, net.ProbeDelays.Count);
        Assert.AreEqual(0, registration.LifetimeSeconds);
        Assert.AreEqual(25_000, registration.PeriodMillis(25_000));
    }

    [TestMethod]
    public void AProbePortThatNeverReceiptsStopsMeasuringAfterABoundedNumberOfProbes()
    {
        var net = new SimulatedNet(_clock, Key) { LifetimeSeconds = 30, ProbePortDown = true };
        var registration = Create(net);

        RunUntil(registration, net, 25_000, stopAtMillis: 600_000);

        Assert.AreEqual(UdpRegistration.MaxProbeAttempts, net.ProbeDelays.Count);
        Assert.IsFalse(registration.Measuring);
        Assert.AreEqual(25_000, registration.PeriodMillis(25_000));
        Assert.IsTrue(_log.Has("udp-probe-off"));
    }

    [TestMethod]
    public void AChangedMappingAfterTheMeasurementStartsANewOne()
    {
        var net = new SimulatedNet(_clock, Key) { LifetimeSeconds = 30 };
        var registration = Create(net);
        RunUntil(registration, net, 25_000, stopAtMillis: 300_000);
        Assert.AreEqual(27, registration.LifetimeSeconds);
        var probes = net.ProbeDelays.Count;

        // The NAT now forgets after 10 s and gave a new port: the next ack shows it.
        net.LifetimeSeconds = 10;
        net.ObservedPort++;
        RunUntil(registration, net, 25_000, stopAtMillis: 600_000);

        Assert.IsTrue(_log.Has("udp-remeasure"));
        Assert.IsGreaterThan(probes, net.ProbeDelays.Count);
        Assert.AreEqual(8, registration.LifetimeSeconds);
        Assert.AreEqual(4_000, registration.PeriodMillis(25_000));
    }

    [TestMethod]
    public void NoAckForABoundedNumberOfRegistrationsFallsBackToTheLongPollAndAnAckReturnsToUdp()
    {
        var net = new SimulatedNet(_clock, Key) { LifetimeSeconds = 1000 };
        var registration = Create(net);
        registration.ProbePort = 0;
        Assert.IsFalse(registration.Works, "not before the first ack");
        Assert.AreEqual(TriggerChannels.LongPoll, registration.TriggerChannel);

        Assert.IsTrue(registration.RegisterOnce(null, 0));
        Assert.IsTrue(registration.Works);
        Assert.AreEqual(TriggerChannels.Udp, registration.TriggerChannel);

        net.Blocked = true;
        for (var i = 1; i < UdpRegistration.MaxMissedAcks; i++)
        {
            Assert.IsFalse(registration.RegisterOnce(null, 0));
            Assert.IsTrue(registration.Works, $"{i} missed ack(s) are not yet a blocked UDP");
        }

        Assert.IsFalse(registration.RegisterOnce(null, 0));
        Assert.IsFalse(registration.Works);
        Assert.AreEqual(TriggerChannels.LongPoll, registration.TriggerChannel);
        Assert.IsTrue(_log.Has("udp-fallback"));

        net.Blocked = false;
        Assert.IsTrue(registration.RegisterOnce(null, 0));
        Assert.IsTrue(registration.Works);
        Assert.AreEqual(2, _log.Lines.Count(l => l.StartsWith("udp-channel ", StringComparison.Ordinal)), "announced at the first ack and at the return");
    }

    [TestMethod]
    public void UdpBlockedFromTheStartIsSaidInTheLogAfterTheBoundedNumberOfRegistrations()
    {
        var net = new SimulatedNet(_clock, Key) { LifetimeSeconds = 1000, Blocked = true };
        var registration = Create(net);

        // Before the device holds a certificate nothing is sent, and that is no sign of a blocked UDP.
        var certificate = _holder.Certificate;
        _holder.Certificate = null;
        for (var i = 0; i < UdpRegistration.MaxMissedAcks + 1; i++)
        {
            Assert.IsFalse(registration.RegisterOnce(null, 0));
        }

        Assert.IsFalse(_log.Has("udp-fallback"));
        Assert.AreEqual(0, registration.MissedAcks);
        _holder.Certificate = certificate;

        for (var i = 0; i < UdpRegistration.MaxMissedAcks - 1; i++)
        {
            Assert.IsFalse(registration.RegisterOnce(null, 0));
        }

        Assert.IsFalse(_log.Has("udp-fallback"));
        Assert.IsFalse(registration.RegisterOnce(null, 0));
        Assert.IsTrue(_log.Has("udp-fallback"));
        Assert.AreEqual(TriggerChannels.LongPoll, registration.TriggerChannel);
    }

    [TestMethod]
    public void AnAckTooOldNoLongerCountsAsAWorkingChannel()
    {
        var net = new SimulatedNet(_clock, Key) { LifetimeSeconds = 1000 };
        var registration = Create(net);
        registration.ProbePort = 0;
        Assert.IsTrue(registration.RegisterOnce(null, 0));
        Assert.IsTrue(registration.Works);

        // The registration thread died: no registration fails, but the ack grows old.
        _clock.Advance(60_000);
        Assert.IsFalse(registration.Works);
    }

    [TestMethod]
    public void OnAWorkingUdpChannelThePollerHoldsNoLongPollAndFetchesOnAWakeAndEverySafetyInterval()
    {
        var internet = new FakeInternet();
        var server = new FakeControlServer();
        internet.Add(FakeCertificateHolder.RegistryUrl, server);
        var channel = new FakeChannel { Works = true };
        var poller = new TriggerPoller(new ApiClient(internet, new TestJsonCodec(), 40000), _holder, new RecordingHandler(), new MemorySettings(), _clock, new SeededRandom(), _log)
        {
            UdpChannel = channel,
        };

        Assert.AreEqual(TriggerChannels.Udp, poller.TriggerChannel);
        for (var guard = 0; guard < 10_000 && _clock.UptimeMillis < TriggerPoller.SafetyFetchMillis * 2 + 500; guard++)
        {
            _clock.Advance(poller.Next());
        }

        var polls = internet.Requests.Where(r => r.Path == Routes.Triggers).Select(r => new Uri(r.Url).Query).ToArray();
        Assert.AreEqual(0, poller.LongPolls, string.Join(" ", polls));
        Assert.AreEqual(3, polls.Length, "one at the start and one per safety interval: " + string.Join(" ", polls));
        Assert.IsTrue(polls.All(q => q.Contains("wait=1&", StringComparison.Ordinal)), string.Join(" ", polls));
        Assert.IsTrue(_log.Has("trigger.channel"));

        // A verified wake: a fetch at once.
        server.Enqueue(TriggerKinds.StatusQuery);
        Assert.IsTrue(poller.Wake(1));
        Assert.AreEqual(0, poller.Next());
        Assert.AreEqual(1L, poller.Cursor);
        Assert.AreEqual(0, poller.LongPolls);

        // UDP stops working: the next request is the long-poll.
        channel.Works = false;
        Assert.AreEqual(TriggerChannels.LongPoll, poller.TriggerChannel);
        poller.Next();
        Assert.AreEqual(1, poller.LongPolls);
        StringAssert.Contains(new Uri(internet.Requests.Last(r => r.Path == Routes.Triggers).Url).Query, "wait=35&");
    }

    [TestMethod]
    public void WithoutAUdpChannelThePollerLongPollsAsAlways()
    {
        var internet = new FakeInternet();
        internet.Add(FakeCertificateHolder.RegistryUrl, new FakeControlServer());
        var poller = new TriggerPoller(new ApiClient(internet, new TestJsonCodec(), 40000), _holder, new RecordingHandler(), new MemorySettings(), _clock, new SeededRandom(), _log);

        poller.Next();
        poller.Next();

        Assert.AreEqual(2, poller.LongPolls);
        Assert.AreEqual(TriggerChannels.LongPoll, poller.TriggerChannel);
    }

    private UdpRegistration Create(SimulatedNet net) =>
        new(net, _holder, Crypto, _clock, _log, "127.0.0.1", ServerPort) { ProbePort = ProbePort };

    /// <summary>Runs the registration loop until the fake clock reaches <paramref name="stopAtMillis"/>.</summary>
    private void RunUntil(UdpRegistration registration, SimulatedNet net, int periodMillis, long stopAtMillis)
    {
        using var stop = new ManualResetEvent(false);
        net.StopAt = (stopAtMillis, stop);
        registration.Run(periodMillis, null, 0, stop);
        Assert.IsGreaterThanOrEqualTo(stopAtMillis - 30_000, _clock.UptimeMillis, "ran to about the end");
    }

    private sealed class FakeChannel : IUdpChannel
    {
        public bool Works { get; set; }
    }

    /// <summary>
    /// The server and the NAT in one socket, on the fake clock: registrations are acked at once unless
    /// UDP is blocked; a probe gets its receipt at once, and its answer after the delay only when the
    /// NAT entry, refreshed by the receipt, lives longer than the delay. Receive advances the clock to
    /// the next datagram due, or by its whole timeout.
    /// </summary>
    private sealed class SimulatedNet(FakeClock clock, byte[] key) : IDatagramSocket
    {
        private readonly List<(long At, byte[] Datagram)> _due = [];
        private readonly byte[] _work = new byte[RendezvousDatagram.WorkLength];

        public int LifetimeSeconds { get; set; }

        public int IntervalSeconds { get; set; } = 25;

        public bool Blocked { get; set; }

        public bool ProbePortDown { get; set; }

        public bool ForgeAnswers { get; set; }

        public int Forged { get; private set; }

        public int ObservedPort { get; set; } = 40000;

        public bool EmulateLapse { get; set; } = true;

        public int Lapses { get; private set; }

        public long AckDelayMillis => 5;

        public List<long> RegistrationTimes { get; } = [];

        public List<int> ProbeDelays { get; } = [];

        public List<long> ProbeTimes { get; } = [];

        public (long At, ManualResetEvent Stop) StopAt { get; set; } = (long.MaxValue, new ManualResetEvent(false));

        public int LocalPort => 50000;

        public bool SendTo(byte[] buffer, int offset, int count, string ip, int port)
        {
            var reader = new RendezvousDatagram();
            Assert.IsTrue(reader.Read(buffer, count));
            Assert.IsTrue(reader.Verify(key, Crypto, _work));
            var now = clock.UptimeMillis;
            var reply = new byte[RendezvousDatagram.MaxLength];
            if (Blocked)
            {
                return true;
            }

            if (port == ServerPort && reader.Type == RendezvousDatagram.TypeRegister)
            {
                // Idle longer than the NAT keeps a mapping: the registration makes a new one, on a new port.
                if (EmulateLapse && RegistrationTimes.Count > 0 && now - RegistrationTimes[^1] >= LifetimeSeconds * 1000L)
                {
                    ObservedPort++;
                    Lapses++;
                }

                RegistrationTimes.Add(now);
                var length = RendezvousDatagram.WriteAck(reply, reader.TerminalId(), reader.Serial(), reader.Counter, [203, 0, 113, 9], ObservedPort, IntervalSeconds, key, Crypto, _work);
                _due.Add((now + AckDelayMillis, reply[..length]));
                return true;
            }

            Assert.AreEqual(ProbePort, port, "probes go to the probe port");
            Assert.AreEqual(RendezvousDatagram.TypeProbe, reader.Type);
            ProbeDelays.Add(reader.DelaySeconds);
            ProbeTimes.Add(now);
            if (ProbePortDown)
            {
                return true;
            }

            var receipt = RendezvousDatagram.WriteProbeAnswer(reply, reader.TerminalId(), reader.Serial(), reader.Counter, 0, key, Crypto, _work);
            _due.Add((now + AckDelayMillis, reply[..receipt]));
            var at = now + AckDelayMillis + (reader.DelaySeconds * 1000L);
            if (ForgeAnswers)
            {
                var wrongKey = key.Select(b => (byte)(b ^ 1)).ToArray();
                var forged = new byte[RendezvousDatagram.MaxLength];
                var n = RendezvousDatagram.WriteProbeAnswer(forged, reader.TerminalId(), reader.Serial(), reader.Counter, reader.DelaySeconds, wrongKey, Crypto, _work);
                _due.Add((at, forged[..n]));
                var other = new byte[RendezvousDatagram.MaxLength];
                n = RendezvousDatagram.WriteProbeAnswer(other, reader.TerminalId(), reader.Serial(), reader.Counter - 1, reader.DelaySeconds, key, Crypto, _work);
                _due.Add((at, other[..n]));
                Forged += 2;
            }

            if (reader.DelaySeconds < LifetimeSeconds)
            {
                var answer = new byte[RendezvousDatagram.MaxLength];
                var n = RendezvousDatagram.WriteProbeAnswer(answer, reader.TerminalId(), reader.Serial(), reader.Counter, reader.DelaySeconds, key, Crypto, _work);
                _due.Add((at, answer[..n]));
            }

            return true;
        }

        public int Receive(byte[] buffer, int offset, int count, int timeoutMillis)
        {
            var end = clock.UptimeMillis + timeoutMillis;
            if (end >= StopAt.At)
            {
                StopAt.Stop.Set();
            }

            var next = _due.Where(d => d.At <= end).OrderBy(d => d.At).FirstOrDefault();
            if (next.Datagram is null)
            {
                clock.Advance(timeoutMillis);
                return -1;
            }

            _due.Remove(next);
            if (next.At > clock.UptimeMillis)
            {
                clock.Advance(next.At - clock.UptimeMillis);
            }

            next.Datagram.CopyTo(buffer, offset);
            return next.Datagram.Length;
        }

        public void Close()
        {
        }
    }
}
