using System.Collections.Concurrent;
using PeerGate.Device.Connections;
using PeerGate.Device.Load;
using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Device.Tests.Fakes;

namespace PeerGate.Device.Tests.Connections;

[TestClass]
public sealed class PeerServerTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    [TestMethod]
    public void ConnectionsBeyondTheWorkerLimitAreClosedAtOnce()
    {
        var network = new QueuedNetwork();
        var log = new ConcurrentLog();
        var server = NewServer(network, log, maxWorkers: 2);
        server.Application = new EchoApplication(log);
        var stalled = new[] { new StalledConnection(), new StalledConnection() };
        var extra = new StalledConnection();

        server.Start(7001);
        try
        {
            network.Deliver(stalled[0]);
            network.Deliver(stalled[1]);
            Assert.IsTrue(SpinWait.SpinUntil(() => stalled.All(c => c.Reading), Limit), "both handshakes started");

            network.Deliver(extra);

            Assert.IsTrue(extra.Closed.Wait(Limit), "the third connection is closed without a handshake");
            Assert.IsFalse(extra.Reading);
            Assert.IsTrue(log.Has("peer.rejected"));
            Assert.IsFalse(stalled.Any(c => c.Closed.IsSet), "the first two are still in their handshake");
        }
        finally
        {
            foreach (var connection in stalled)
            {
                connection.HangUp();
            }

            server.Stop();
        }

        Assert.IsTrue(stalled.All(c => c.Closed.Wait(Limit)), "a caller that hangs up mid-handshake is closed");
        Assert.IsFalse(server.IsRunning);
        Assert.AreEqual(7001, network.ListenedOn);
    }

    [TestMethod]
    public void ServerDoesNotStartWithoutAnApplication()
    {
        var server = NewServer(new QueuedNetwork(), new ConcurrentLog(), maxWorkers: 1);

        Assert.Throws<InvalidOperationException>(() => server.Start(7001));
    }

    private static PeerServer NewServer(QueuedNetwork network, ConcurrentLog log, int maxWorkers)
    {
        var clock = new FakeClock();
        var acceptor = new PeerAcceptor(new OfferBook(clock, 4), new UnusedPeerCrypto(), clock, log, 10_000);
        return new PeerServer(network, acceptor, new LoadMonitor(new FakeLoadSource(), new DeviceConfig()), log, maxWorkers);
    }

    /// <summary>A listener that hands out the connections the test delivers.</summary>
    private sealed class QueuedNetwork : IPeerNetwork, IPeerListener
    {
        private readonly BlockingCollection<IPeerConnection> _incoming = [];

        public int ListenedOn { get; private set; }

        public int Port => ListenedOn;

        public void Deliver(IPeerConnection connection) => _incoming.Add(connection);

        public IPeerConnection? Connect(string ip, int port, int timeoutMillis) => null;

        public IPeerListener Listen(int port)
        {
            ListenedOn = port;
            return this;
        }

        public IPeerConnection? Accept(int timeoutMillis) => _incoming.TryTake(out var connection, timeoutMillis) ? connection : null;

        public void Close()
        {
        }
    }

    /// <summary>A caller that connects and says nothing until it hangs up.</summary>
    private sealed class StalledConnection : IPeerConnection
    {
        private readonly ManualResetEventSlim _hangUp = new();

        public ManualResetEventSlim Closed { get; } = new();

        public bool Reading { get; private set; }

        public string RemoteIp => "127.0.0.1";

        public void HangUp() => _hangUp.Set();

        public int Read(byte[] buffer, int offset, int count, int timeoutMillis)
        {
            Reading = true;
            return _hangUp.Wait(timeoutMillis) ? 0 : -1;
        }

        public bool Write(byte[] buffer, int offset, int count) => !_hangUp.IsSet;

        public void Close() => Closed.Set();
    }

    private sealed class ConcurrentLog : IDeviceLog
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public void Event(string name, string detail) => _lines.Enqueue(name + " " + detail);

        public bool Has(string name) => _lines.Any(line => line.StartsWith(name + " ", StringComparison.Ordinal));
    }
}
