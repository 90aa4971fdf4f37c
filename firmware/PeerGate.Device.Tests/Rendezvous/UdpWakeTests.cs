using System.Net;
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
/// The device's side of the UDP wake (F38): a wake that verifies with the certificate's UDP key, names
/// this terminal and carries a seq past the trigger cursor makes the poller's next request a short
/// fetch, and cuts a backoff short; a forged, foreign or stale one changes nothing and is logged.
/// </summary>
[TestClass]
public sealed class UdpWakeTests
{
    private static readonly HostPeerCrypto Crypto = new();
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)(0x40 + i)).ToArray();

    private readonly FakeInternet _internet = new();
    private readonly FakeControlServer _server = new();
    private readonly FakeCertificateHolder _holder = new();
    private readonly FakeClock _clock = new();
    private readonly RecordingLog _log = new();
    private readonly RecordingHandler _handler = new();
    private readonly InboxSocket _socket = new();

    public UdpWakeTests()
    {
        _internet.Add(FakeCertificateHolder.RegistryUrl, _server);
        _holder.Certificate!.Serial = "S1";
        _holder.Certificate.UdpKey = Convert.ToBase64String(Key);
    }

    [TestMethod]
    public void AVerifiedWakeMakesThePollerFetchAtOnceWithAShortRequest()
    {
        var (poller, registration) = Create();
        _server.Enqueue(TriggerKinds.StatusQuery);

        _socket.Inbox.Enqueue(Wake(Terminal, "S1", 1, Key));
        Assert.IsFalse(registration.Listen(500, new ManualResetEvent(false)));

        Assert.AreEqual(1, registration.Wakes);
        Assert.IsTrue(poller.FetchDue);
        Assert.AreEqual(0, poller.Next());
        Assert.AreEqual(1, poller.Fetches);
        StringAssert.Contains(new Uri(_internet.Requests.Single(r => r.Path == Routes.Triggers).Url).Query, "wait=1&after=0");
        CollectionAssert.AreEqual(new long[] { 1 }, _handler.Handled);
        Assert.IsFalse(poller.FetchDue, "fetched");
        Assert.IsTrue(_log.Has("udp-wake"));

        // The next request is a long-poll again.
        poller.Next();
        StringAssert.Contains(new Uri(_internet.Requests.Last(r => r.Path == Routes.Triggers).Url).Query, "wait=35&after=1");
    }

    [TestMethod]
    public void AWakeCutsTheBackoffAfterAFailedPollShort()
    {
        var clock = new WaitingClock();
        var (poller, registration) = Create(clock);
        _server.Scripted.Enqueue(FakeInternet.Problem(HttpStatusCode.ServiceUnavailable, "unavailable"));
        _server.Enqueue(TriggerKinds.StatusQuery);
        using var stop = new ManualResetEvent(false);

        // The wake arrives while the poller waits out its backoff (the socket thread, here).
        var waker = new Thread(() =>
        {
            for (var i = 0; i < 1000 && !clock.HasSlept(TriggerPoller.InitialBackoffMillis / 2); i++)
            {
                Thread.Sleep(5);
            }

            _socket.Inbox.Enqueue(Wake(Terminal, "S1", 1, Key));
            registration.Listen(1, stop);
        });
        waker.Start();
        var thread = new Thread(() => poller.Run(stop));
        thread.Start();
        Assert.IsTrue(Eventually(() => _handler.Handled.Count == 1), "fetched after the wake");
        stop.Set();
        Assert.IsTrue(thread.Join(TimeSpan.FromSeconds(10)) && waker.Join(TimeSpan.FromSeconds(10)));

        CollectionAssert.AreEqual(new long[] { 1 }, _handler.Handled);
        Assert.AreEqual(1, poller.Fetches);
        Assert.AreEqual(1, clock.Interrupted, "the backoff was cut short by the wake, not waited out");
        Assert.IsTrue(clock.HasSlept(TriggerPoller.InitialBackoffMillis / 2), "it was a backoff");
    }

    [TestMethod]
    public void AForgedForeignOrStaleWakeFetchesNothing()
    {
        var (poller, registration) = Create();
        _server.Enqueue(TriggerKinds.StatusQuery);
        Assert.AreEqual(0, poller.PollOnce());
        Assert.AreEqual(1, poller.Cursor);
        var wrongKey = Key.Select(b => (byte)(b ^ 0x01)).ToArray();

        foreach (var (datagram, why) in new[]
        {
            (Wake(Terminal, "S1", 5, wrongKey), "bad tag"),
            (Wake("T-0002", "S1", 5, Key), "not for this terminal"),
            (Wake(Terminal, "S9", 5, Key), "not for this terminal"),
            (Wake(Terminal, "S1", 1, Key), "stale"),
        })
        {
            _socket.Inbox.Enqueue(datagram);
            Assert.IsFalse(registration.Listen(500, new ManualResetEvent(false)));
            Assert.IsFalse(poller.FetchDue, why);
            Assert.IsTrue(_log.Lines.Any(e => e.Contains("udp-wake-ignored") && e.Contains(why)), why);
        }

        Assert.AreEqual(0, registration.Wakes);
        poller.Next();
        Assert.AreEqual(0, poller.Fetches, "a long-poll, not a fetch");
        Assert.IsFalse(_log.Lines.Any(e => e.Contains(Convert.ToBase64String(Key))), "no key in the log");
    }

    private const string Terminal = "T-0001";

    private static bool Eventually(Func<bool> condition)
    {
        for (var i = 0; i < 1000; i++)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(10);
        }

        return false;
    }

    private (TriggerPoller Poller, UdpRegistration Registration) Create(IClock? clock = null)
    {
        var poller = new TriggerPoller(new ApiClient(_internet, new TestJsonCodec(), 40000), _holder, _handler, new MemorySettings(), clock ?? _clock, new SeededRandom(), _log);
        var registration = new UdpRegistration(_socket, _holder, Crypto, clock ?? _clock, _log, "127.0.0.1", 5081) { WakeTarget = poller };
        return (poller, registration);
    }

    private static byte[] Wake(string terminalId, string serial, long seq, byte[] key)
    {
        var buffer = new byte[RendezvousDatagram.MaxLength];
        var length = RendezvousDatagram.WriteWake(buffer, terminalId, serial, seq, key, Crypto, new byte[RendezvousDatagram.WorkLength]);
        return buffer[..length];
    }

    /// <summary>Really waits on the handle, ten times as long as asked (at most 10 s), so a wait a wake cuts short shows.</summary>
    private sealed class WaitingClock : IClock
    {
        public List<int> Sleeps { get; } = [];

        /// <summary>Sleeps of at least the shortest backoff that a set handle ended early.</summary>
        public int Interrupted { get; private set; }

        public bool HasSlept(int atLeast)
        {
            lock (Sleeps)
            {
                return Sleeps.Any(s => s >= atLeast);
            }
        }

        public long UtcNowSeconds => FakeClock.Epoch;

        public long UptimeMillis => Environment.TickCount64;

        public bool Sleep(int millis, WaitHandle cancel)
        {
            if (millis <= 0)
            {
                return cancel.WaitOne(0);
            }

            lock (Sleeps)
            {
                Sleeps.Add(millis);
            }

            if (!cancel.WaitOne(Math.Min(millis * 10, 10_000)))
            {
                return false;
            }

            if (millis >= TriggerPoller.InitialBackoffMillis / 2)
            {
                Interrupted++;
            }

            return true;
        }
    }

    /// <summary>Hands out queued datagrams; empty, it times out at once.</summary>
    private sealed class InboxSocket : IDatagramSocket
    {
        public Queue<byte[]> Inbox { get; } = new();

        public int LocalPort => 50000;

        public bool SendTo(byte[] buffer, int offset, int count, string ip, int port) => true;

        public int Receive(byte[] buffer, int offset, int count, int timeoutMillis)
        {
            if (!Inbox.TryDequeue(out var datagram))
            {
                return -1;
            }

            datagram.CopyTo(buffer, offset);
            return datagram.Length;
        }

        public void Close()
        {
        }
    }
}
