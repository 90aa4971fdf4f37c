using PeerGate.Device.Platform;
using PeerGate.Device.Rendezvous;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;
using PeerGate.Protocol.Rendezvous;

namespace PeerGate.Device.Tests.Rendezvous;

/// <summary>
/// The device's part of the mapping test (F37): invited on its punch connection, it probes the named port
/// from the very local port of that connection, sends the same ticket in a probe hello, and then takes the
/// server's decision: the peer to punch, or "relay now", which goes to the relay with the same ticket and
/// no punch attempt at all. A probe that fails never stops the punch.
/// </summary>
[TestClass]
public sealed class HolePuncherProbeTests
{
    private static readonly byte[] Ticket = Enumerable.Range(0xC0, 32).Select(value => (byte)value).ToArray();

    [TestMethod]
    public void InvitedItProbesFromThePunchPortWithTheSameTicketAndGoesToTheRelayAtOnceOnRelayNow()
    {
        var network = new ScriptedRendezvousNetwork();
        network.Servers.Enqueue(new ScriptedConnection(40001, Bytes(b => RendezvousHello.WriteProbeAt(b, 7444)), Bytes(b => RendezvousHello.WriteRelayNow(b))));
        network.Servers.Enqueue(new ScriptedConnection(40001, Bytes(b => RendezvousHello.WriteProbeSeen(b, [203, 0, 113, 7], 51235))));
        network.Servers.Enqueue(new ScriptedConnection(40002, Bytes(b => RendezvousHello.WriteRelayReady(b))));
        var log = new RecordingLog();
        var path = new RendezvousPath(network, new FakeClock(), log);

        var link = path.Open(ConnectionPaths.Punched, "198.18.0.2", 7443, Convert.ToBase64String(Ticket), "S1");

        Assert.IsNotNull(link);
        Assert.AreEqual(ConnectionPaths.Relayed, link.Path);
        Assert.IsTrue(path.Puncher.Skipped);
        CollectionAssert.AreEqual(new[] { "198.18.0.2:7443 from 0", "198.18.0.2:7444 from 40001", "198.18.0.2:7443 from 0" }, network.Dialled, "the probe leaves from the punch's own port");
        Assert.AreEqual(0, network.PeerAttempts, "no punch is tried once the server said relay now");
        CollectionAssert.AreEqual(Hello(RendezvousHello.TypePunch), network.Connections[0].Written.ToArray());
        CollectionAssert.AreEqual(Hello(RendezvousHello.TypeProbe), network.Connections[1].Written.ToArray());
        CollectionAssert.AreEqual(Hello(RendezvousHello.TypeRelay), network.Connections[2].Written.ToArray());
        Assert.IsTrue(network.Connections.All(connection => connection.Closed || connection == network.Connections[2]), "the punch and probe connections are closed");
        Assert.IsTrue(log.Has("punch.probe-seen"), string.Join("\n", log.Lines));
        Assert.IsTrue(log.Lines.Contains("punch.probe-seen 203.0.113.7:51235"), string.Join("\n", log.Lines));
        Assert.IsTrue(log.Has("punch.skipped"));
        Assert.IsTrue(log.Has("rendezvous.relay-at-once"));
        Assert.IsFalse(log.Has("rendezvous.fallback"), "not a fallback after a failed punch");
        Assert.IsFalse(log.Lines.Any(line => line.Contains(Convert.ToBase64String(Ticket), StringComparison.Ordinal)), "the ticket is never logged");
    }

    [TestMethod]
    public void InvitedAndThenAnsweredWithThePeerItPunchesFromThePunchPort()
    {
        var network = new ScriptedRendezvousNetwork();
        network.Servers.Enqueue(new ScriptedConnection(40001, Bytes(b => RendezvousHello.WriteProbeAt(b, 7444)), Bytes(b => RendezvousHello.WritePunchPeer(b, [198, 18, 0, 13], 29995, 250))));
        network.Servers.Enqueue(new ScriptedConnection(40001, Bytes(b => RendezvousHello.WriteProbeSeen(b, [198, 18, 0, 11], 40001))));
        network.PeerAnswers = true;
        var puncher = new HolePuncher(network, new FakeClock(), new RecordingLog());

        var peer = puncher.Punch("198.18.0.2", 7443, Ticket);

        Assert.IsNotNull(peer);
        Assert.IsFalse(puncher.Skipped);
        Assert.AreEqual("198.18.0.13", puncher.PeerIp);
        Assert.AreEqual(29995, puncher.PeerPort);
        CollectionAssert.AreEqual(new[] { "198.18.0.2:7443 from 0", "198.18.0.2:7444 from 40001", "198.18.0.13:29995 from 40001" }, network.Dialled);
    }

    [TestMethod]
    public void AProbeThatCannotConnectStillLetsThePunchGoOn()
    {
        var network = new ScriptedRendezvousNetwork();
        network.Servers.Enqueue(new ScriptedConnection(40001, Bytes(b => RendezvousHello.WriteProbeAt(b, 7444)), Bytes(b => RendezvousHello.WritePunchPeer(b, [198, 18, 0, 13], 29995, 0))));
        network.Servers.Enqueue(null);
        network.PeerAnswers = true;
        var log = new RecordingLog();
        var puncher = new HolePuncher(network, new FakeClock(), log);

        Assert.IsNotNull(puncher.Punch("198.18.0.2", 7443, Ticket));
        Assert.IsTrue(log.Has("punch.probe-failed"));
        Assert.AreEqual(1, network.PeerAttempts);
    }

    [TestMethod]
    public void WithoutAnInvitationThePeerAnswerIsTakenAsBefore()
    {
        var network = new ScriptedRendezvousNetwork();
        network.Servers.Enqueue(new ScriptedConnection(40001, Bytes(b => RendezvousHello.WritePunchPeer(b, [198, 18, 0, 13], 29995, 0))));
        network.PeerAnswers = true;
        var puncher = new HolePuncher(network, new FakeClock(), new RecordingLog());

        Assert.IsNotNull(puncher.Punch("198.18.0.2", 7443, Ticket));
        CollectionAssert.AreEqual(new[] { "198.18.0.2:7443 from 0", "198.18.0.13:29995 from 40001" }, network.Dialled);
    }

    [TestMethod]
    public void ASecondInvitationOrAProbeAnswerOnThePunchConnectionIsRefused()
    {
        foreach (var second in new[] { Bytes(b => RendezvousHello.WriteProbeAt(b, 7444)), Bytes(b => RendezvousHello.WriteProbeSeen(b, [198, 18, 0, 11], 1)) })
        {
            var network = new ScriptedRendezvousNetwork();
            network.Servers.Enqueue(new ScriptedConnection(40001, Bytes(b => RendezvousHello.WriteProbeAt(b, 7444)), second));
            network.Servers.Enqueue(new ScriptedConnection(40001, Bytes(b => RendezvousHello.WriteProbeSeen(b, [198, 18, 0, 11], 40001))));
            var log = new RecordingLog();
            var puncher = new HolePuncher(network, new FakeClock(), log);

            Assert.IsNull(puncher.Punch("198.18.0.2", 7443, Ticket));
            Assert.IsFalse(puncher.Skipped);
            Assert.IsTrue(log.Has("punch.refused"));
            Assert.AreEqual(0, network.PeerAttempts);
        }
    }

    private static byte[] Bytes(Func<byte[], int> write)
    {
        var buffer = new byte[RendezvousHello.MaxLength];
        return buffer[..write(buffer)];
    }

    private static byte[] Hello(byte type)
    {
        var hello = new byte[RendezvousHello.HelloLength];
        RendezvousHello.WriteHello(hello, type, Ticket);
        return hello;
    }
}

/// <summary>Rendezvous connections handed out in order (null: the connect fails), and peers that answer or not.</summary>
internal sealed class ScriptedRendezvousNetwork : IRendezvousNetwork
{
    public Queue<ScriptedConnection?> Servers { get; } = new();

    public List<ScriptedConnection> Connections { get; } = [];

    public List<string> Dialled { get; } = [];

    /// <summary>True: the first attempt to reach the peer stands.</summary>
    public bool PeerAnswers { get; set; }

    public int PeerAttempts { get; private set; }

    public IRendezvousConnection? ConnectServer(string host, int port, int localPort, int timeoutMillis)
    {
        Dialled.Add($"{host}:{port} from {localPort}");
        var connection = Servers.Count == 0 ? null : Servers.Dequeue();
        if (connection is not null)
        {
            Connections.Add(connection);
        }

        return connection;
    }

    public IPeerConnection? ConnectFrom(int localPort, string ip, int port, int timeoutMillis)
    {
        Dialled.Add($"{ip}:{port} from {localPort}");
        PeerAttempts++;
        return PeerAnswers ? new ScriptedConnection(localPort) : null;
    }
}

/// <summary>A connection that yields the given answers' bytes, then end of stream; it records what is written.</summary>
internal sealed class ScriptedConnection(int localPort, params byte[][] answers) : IRendezvousConnection
{
    private readonly Queue<byte> _incoming = new(answers.SelectMany(answer => answer));

    public List<byte> Written { get; } = [];

    public bool Closed { get; private set; }

    public string RemoteIp => "198.18.0.2";

    public int LocalPort { get; } = localPort;

    public int Read(byte[] buffer, int offset, int count, int timeoutMillis)
    {
        var read = 0;
        while (read < count && _incoming.Count > 0)
        {
            buffer[offset + read++] = _incoming.Dequeue();
        }

        return read;
    }

    public bool Write(byte[] buffer, int offset, int count)
    {
        Written.AddRange(buffer.Skip(offset).Take(count));
        return !Closed;
    }

    public void Close() => Closed = true;
}
