using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Device.Rendezvous;
using PeerGate.Protocol;
using PeerGate.Server;
using PeerGate.Server.Observability;
using PeerGate.Server.Rendezvous;
using PeerGate.Server.Testing;
using PeerGate.VirtualDevice.Adapters;

namespace PeerGate.VirtualDevice.Tests.Adapters;

/// <summary>
/// The rendezvous paths (F37) end to end on 127.0.0.1 with the host adapters and the server's real
/// endpoint: a peer session (PeerDialer and PeerAcceptor, the real frame codec) through the TLS relay, in
/// which the relay forwards the handshake and frames but never the plaintext; TLS pinned to the test CA
/// and nothing else; and two HolePunchers coordinated by the endpoint opening one TCP connection
/// between them by simultaneous open.
/// </summary>
[TestClass]
public sealed class RendezvousPathTests
{
    private const string SessionId = "S-RELAYED-1";

    [TestMethod]
    public async Task APeerSessionThroughTheTlsRelayCarriesOnlyCiphertext()
    {
        using var ca = new TestCertificateAuthority();
        await using var endpoint = await Endpoint.StartAsync(ca);
        var tapped = new Dictionary<RelaySide, MemoryStream> { [RelaySide.Caller] = new(), [RelaySide.Callee] = new() };
        endpoint.Server.Tap = (_, from, bytes) =>
        {
            lock (tapped)
            {
                tapped[from].Write(bytes);
            }
        };

        using var rig = new PeerLoopbackRig(SessionId);
        var pair = endpoint.Tickets.Issue(SessionId, 0, 0)!;
        var network = new HostRendezvousNetwork(ca.Certificate);

        var callee = Task.Run(() =>
        {
            var connection = new RelayConnector(network, rig.Clock, rig.CalleeLog).Connect("127.0.0.1", endpoint.Server.BoundPort, pair.Callee)
                ?? throw new AssertFailedException("the callee got no relay");
            return rig.Acceptor.Accept(connection);
        });
        var relayed = new RelayConnector(network, rig.Clock, rig.CallerLog).Connect("127.0.0.1", endpoint.Server.BoundPort, pair.Caller);
        Assert.IsNotNull(relayed, "the caller got the relay");
        var dialer = new PeerDialer(new OneConnection(relayed), rig.Crypto, rig.Clock, rig.CallerLog, PeerLoopbackRig.TimeoutMillis, PeerLoopbackRig.TimeoutMillis);
        var caller = dialer.Dial(rig.GrantWith(grant => grant.CalleeObservedIp = "relay"), PeerLoopbackRig.CallerId);
        var calleeChannel = await callee.WaitAsync(TimeSpan.FromSeconds(10));

        var payload = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("PLAINTEXT-THE-RELAY-MUST-NEVER-SEE;", 200)));
        Assert.AreEqual(payload.Length, caller.Send(payload, 0, payload.Length));
        var received = ReceiveAll(calleeChannel, payload.Length);
        CollectionAssert.AreEqual(payload, received, "the callee got the payload through the relay");
        var answer = Encoding.ASCII.GetBytes("ANSWER-IN-CLEAR-ONLY-AT-THE-ENDS");
        calleeChannel.Send(answer, 0, answer.Length);
        CollectionAssert.AreEqual(answer, ReceiveAll(caller, answer.Length));
        caller.Close("finished");
        calleeChannel.Close("finished");

        await TestWait.UntilAsync(() => endpoint.Server.ActiveRelays == 0, "the relay ends when the peers close");
        byte[] upstream, downstream;
        lock (tapped)
        {
            upstream = tapped[RelaySide.Caller].ToArray();
            downstream = tapped[RelaySide.Callee].ToArray();
        }

        Assert.IsTrue(upstream.Length > payload.Length, "the payload's frames crossed the relay");
        Assert.IsTrue(Contains(upstream, Encoding.ASCII.GetBytes("PG\u0001" + (char)SessionId.Length + SessionId)), "the tap saw the clear preamble, so it saw the stream");
        foreach (var (bytes, name) in new[] { (upstream, "caller to callee"), (downstream, "callee to caller") })
        {
            Assert.IsFalse(Contains(bytes, payload.AsSpan(0, 16).ToArray()), name + ": no 16 bytes of the payload");
            Assert.IsFalse(Contains(bytes, answer.AsSpan(0, 16).ToArray()), name + ": no 16 bytes of the answer");
            Assert.IsFalse(Contains(bytes, rig.Password), name + ": not the password");
            Assert.IsFalse(Contains(bytes, rig.Key), name + ": not the key");
        }

        Assert.IsTrue(endpoint.Metrics.RelayBytes >= upstream.Length + downstream.Length);
        Assert.IsFalse(rig.AllLogs().Contains(Convert.ToHexString(pair.Caller), StringComparison.OrdinalIgnoreCase), "no ticket in a log");
    }

    [TestMethod]
    public async Task TheDeviceAcceptsOnlyAnEndpointChainingToItsCa()
    {
        using var ca = new TestCertificateAuthority();
        using var other = new TestCertificateAuthority("another CA");
        await using var endpoint = await Endpoint.StartAsync(ca);

        Assert.IsNull(new HostRendezvousNetwork(other.Certificate).ConnectServer("127.0.0.1", endpoint.Server.BoundPort, 0, 5000), "another CA's client refuses");
        Assert.IsNull(new HostRendezvousNetwork(ca.Certificate).ConnectServer("localhost.invalid", endpoint.Server.BoundPort, 0, 5000), "a name the certificate does not carry");
        var good = new HostRendezvousNetwork(ca.Certificate).ConnectServer("127.0.0.1", endpoint.Server.BoundPort, 0, 5000);
        Assert.IsNotNull(good, "the pinned CA's client connects");
        Assert.IsTrue(good.LocalPort > 0);
        good.Close();
    }

    [TestMethod]
    public async Task TwoHolePunchersOpenOneConnectionBySimultaneousOpen()
    {
        await using var endpoint = await Endpoint.StartAsync(null);
        var pair = endpoint.Tickets.Issue(SessionId, 0, 0)!;
        var clock = new SystemClock();
        var network = new HostRendezvousNetwork(null);
        var callerLog = new LineLog();
        var calleeLog = new LineLog();
        // Loopback refuses (RST) an attempt made before the peer's own at once, so the attempts follow each
        // other without pause; on a loaded machine the peer may start a second late, so the window, not the
        // attempt count a real NAT needs, bounds them here.
        var callerPuncher = new HolePuncher(network, clock, callerLog) { PunchWindowMillis = 10000, MaxAttempts = int.MaxValue };
        var calleePuncher = new HolePuncher(network, clock, calleeLog) { PunchWindowMillis = 10000, MaxAttempts = int.MaxValue };

        var calleeTask = Task.Run(() => calleePuncher.Punch("127.0.0.1", endpoint.Server.BoundPort, pair.Callee));
        var callerTask = Task.Run(() => callerPuncher.Punch("127.0.0.1", endpoint.Server.BoundPort, pair.Caller));
        var connections = await Task.WhenAll(callerTask, calleeTask).WaitAsync(TimeSpan.FromSeconds(30));
        var caller = connections[0] ?? throw new AssertFailedException("the caller punched nothing: " + string.Join('\n', callerLog.Lines));
        var callee = connections[1] ?? throw new AssertFailedException("the callee punched nothing: " + string.Join('\n', calleeLog.Lines));
        try
        {
            Assert.AreEqual("127.0.0.1", callerPuncher.PeerIp);
            Assert.IsTrue(callerPuncher.PeerPort > 0 && calleePuncher.PeerPort > 0 && callerPuncher.PeerPort != calleePuncher.PeerPort);
            Assert.AreEqual(1, endpoint.Metrics.RelaySessions(RendezvousEndpoint.Punched));

            // One connection: what one side writes the other reads, both ways, and no relay carried it.
            Assert.IsTrue(caller.Write("hello callee"u8.ToArray(), 0, 12));
            Assert.AreEqual("hello callee", Read(callee, 12));
            Assert.IsTrue(callee.Write("hello caller"u8.ToArray(), 0, 12));
            Assert.AreEqual("hello caller", Read(caller, 12));
            Assert.AreEqual(0, endpoint.Metrics.RelayBytes);
        }
        finally
        {
            caller.Close();
            callee.Close();
        }
    }

    [TestMethod]
    public async Task ARefusedTicketGivesNullAndThePunchFallsBackToTheSameTicketsRelay()
    {
        await using var endpoint = await Endpoint.StartAsync(null);
        var network = new HostRendezvousNetwork(null);
        var clock = new SystemClock();
        var log = new LineLog();
        Assert.IsNull(new RelayConnector(network, clock, log).Connect("127.0.0.1", endpoint.Server.BoundPort, new byte[32]), "an unknown ticket");
        Assert.IsNull(new HolePuncher(network, clock, log).Punch("127.0.0.1", endpoint.Server.BoundPort, new byte[32]), "an unknown ticket");

        // The callee never punches: the caller's punch ends when the server closes its lone side, and its relay still works.
        var pair = endpoint.Tickets.Issue(SessionId, 0, 0)!;
        var punch = Task.Run(() => new HolePuncher(network, clock, log).Punch("127.0.0.1", endpoint.Server.BoundPort, pair.Caller));
        await TestWait.UntilAsync(() => endpoint.Server.WaitTimers == 1, "the punch waits for its peer");
        endpoint.Time.Advance(RendezvousEndpoint.PeerWait);
        Assert.IsNull(await punch.WaitAsync(TimeSpan.FromSeconds(10)));

        var callee = Task.Run(() => new RelayConnector(network, clock, log).Connect("127.0.0.1", endpoint.Server.BoundPort, pair.Callee));
        var caller = new RelayConnector(network, clock, log).Connect("127.0.0.1", endpoint.Server.BoundPort, pair.Caller);
        var calleeConnection = await callee.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsNotNull(caller);
        Assert.IsNotNull(calleeConnection);
        Assert.IsTrue(caller.Write("relayed"u8.ToArray(), 0, 7));
        Assert.AreEqual("relayed", Read(calleeConnection, 7));
        caller.Close();
        calleeConnection.Close();
    }

    private static byte[] ReceiveAll(PeerChannel channel, int count)
    {
        var buffer = new byte[count];
        var at = 0;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (at < count && DateTime.UtcNow < deadline)
        {
            var read = channel.Receive(buffer, at, count - at, 1000);
            Assert.AreNotEqual(0, read, "the channel closed early");
            at += Math.Max(0, read);
        }

        Assert.AreEqual(count, at);
        return buffer;
    }

    private static string Read(IPeerConnection connection, int count)
    {
        var buffer = new byte[count];
        var at = 0;
        for (var i = 0; i < 100 && at < count; i++)
        {
            var read = connection.Read(buffer, at, count - at, 100);
            Assert.AreNotEqual(0, read, "closed early");
            at += Math.Max(0, read);
        }

        return Encoding.ASCII.GetString(buffer, 0, at);
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    /// <summary>An IPeerNetwork whose first connect is the relayed connection: the dialer runs unchanged over it.</summary>
    private sealed class OneConnection(IPeerConnection connection) : IPeerNetwork
    {
        private IPeerConnection? _connection = connection;

        public IPeerConnection? Connect(string ip, int port, int timeoutMillis) => Interlocked.Exchange(ref _connection, null);

        public IPeerListener Listen(int port) => throw new NotSupportedException();
    }

    /// <summary>The server's endpoint on 127.0.0.1 port 0 with its own ticket book, fake clock and metrics.</summary>
    private sealed class Endpoint : IAsyncDisposable
    {
        private Endpoint(RendezvousEndpoint server, RelayTickets tickets, FakeTimeProvider time, ServerMetrics metrics)
        {
            Server = server;
            Tickets = tickets;
            Time = time;
            Metrics = metrics;
        }

        public RendezvousEndpoint Server { get; }

        public RelayTickets Tickets { get; }

        public FakeTimeProvider Time { get; }

        public ServerMetrics Metrics { get; }

        public static async Task<Endpoint> StartAsync(TestCertificateAuthority? ca)
        {
            var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
            var options = new ServerOptions { RendezvousAddress = "127.0.0.1", RendezvousPort = 0, RendezvousCertificate = ca?.IssueServer(ipAddresses: [IPAddress.Loopback], dnsNames: ["localhost"]).Certificate };
            var tickets = new RelayTickets(time);
            var metrics = new ServerMetrics();
            var server = new RendezvousEndpoint(tickets, options, time, metrics, NullLogger<RendezvousEndpoint>.Instance);
            await server.StartAsync(CancellationToken.None);
            return new Endpoint(server, tickets, time, metrics);
        }

        public async ValueTask DisposeAsync()
        {
            await Server.StopAsync(CancellationToken.None);
            Server.Dispose();
        }
    }
}

internal static class TestWait
{
    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("timed out waiting until " + what);
            }

            await Task.Delay(5);
        }
    }
}
