using PeerGate.Protocol.Host;
using System.Collections.Concurrent;
using System.Net;
using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;
using PeerGate.VirtualDevice.Adapters;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Adapters;

/// <summary>
/// A caller and a callee over real TCP on 127.0.0.1 with the host adapters: the callee listens on a
/// free port and holds one offer; the grant the caller gets names it.
/// </summary>
public sealed class PeerLoopbackRig : IDisposable
{
    public const string CallerId = "T00CA11E4000000001";
    public const string CalleeId = "T00CA11EE000000002";
    public const int TimeoutMillis = 5000;

    public PeerLoopbackRig(string sessionId = "S0001")
    {
        Clock = new SystemClock(Time);
        Listener = Network.Listen(0);
        Offers = new OfferBook(Clock, 64);
        Acceptor = new PeerAcceptor(Offers, Crypto, Clock, CalleeLog, TimeoutMillis);
        Dialer = new PeerDialer(Network, Crypto, Clock, CallerLog, TimeoutMillis, TimeoutMillis);
        Password = RandomBytes(16);
        Key = RandomBytes(32);
        // The offer gets its own copies: the callee wipes them once spent, the test keeps the originals.
        Offer = new PeerOffer(sessionId, CallerId, (byte[])Password.Clone(), (byte[])Key.Clone(), Clock.UtcNowSeconds + 60);
        Offers.Add(Offer);
        Grant = new ConnectionGrant
        {
            SessionId = sessionId,
            CalleeTerminalId = CalleeId,
            CalleeLocalIp = "127.0.0.1",
            CalleeLocalPort = Listener.Port,
            CalleeObservedIp = "127.0.0.1",
            CalleeObservedPort = 40000,
            Password = Convert.ToBase64String(Password),
            Key = Convert.ToBase64String(Key),
            ExpiresAt = Clock.UtcNowSeconds + 60,
        };
    }

    public HostPeerNetwork Network { get; } = new(IPAddress.Loopback);

    public HostPeerCrypto Crypto { get; } = new();

    /// <summary>The wall clock both sides share: real time a test can step forward (offer expiry without sleeping).</summary>
    public SteppedClock Time { get; } = new();

    public SystemClock Clock { get; }

    public LineLog CallerLog { get; } = new();

    public LineLog CalleeLog { get; } = new();

    public IPeerListener Listener { get; }

    public OfferBook Offers { get; }

    public PeerAcceptor Acceptor { get; }

    public PeerDialer Dialer { get; }

    public byte[] Password { get; }

    /// <summary>The callee's offer, holding the arrays its handshake must wipe.</summary>
    public PeerOffer Offer { get; }

    public byte[] Key { get; }

    public ConnectionGrant Grant { get; }

    /// <summary>Accepts one connection and runs the callee's handshake on it, in the background.</summary>
    public Task<PeerChannel> AcceptOne() => Task.Run(() =>
    {
        var connection = Listener.Accept(TimeoutMillis) ?? throw new TimeoutException("no caller connected");
        return Acceptor.Accept(connection);
    });

    public ConnectionGrant GrantWith(Action<ConnectionGrant> change)
    {
        var grant = new ConnectionGrant
        {
            SessionId = Grant.SessionId,
            CalleeTerminalId = Grant.CalleeTerminalId,
            CalleeLocalIp = Grant.CalleeLocalIp,
            CalleeLocalPort = Grant.CalleeLocalPort,
            CalleeObservedIp = Grant.CalleeObservedIp,
            CalleeObservedPort = Grant.CalleeObservedPort,
            Password = Grant.Password,
            Key = Grant.Key,
            ExpiresAt = Grant.ExpiresAt,
        };
        change(grant);
        return grant;
    }

    /// <summary>Every log line of both sides, to check no secret is in them.</summary>
    public string AllLogs() => string.Join('\n', CallerLog.Lines.Concat(CalleeLog.Lines));

    public void AssertNoSecretsLogged()
    {
        var logs = AllLogs();
        foreach (var secret in new[] { Password, Key })
        {
            Assert.DoesNotContain(Convert.ToBase64String(secret), logs);
            Assert.DoesNotContain(Convert.ToHexString(secret), logs, StringComparison.OrdinalIgnoreCase);
        }
    }

    public void Dispose() => Listener.Close();

    public static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}

public sealed class LineLog : IDeviceLog
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public void Event(string name, string detail) => Lines.Enqueue(name + " " + detail);
}

/// <summary>
/// A caller written by hand on a raw connection, so a test can send what a genuine dialer never would:
/// tampered, replayed and reordered frames.
/// </summary>
public sealed class RawCaller : IDisposable
{
    private readonly IPeerConnection _connection;
    private readonly FrameCodec _codec;
    private readonly byte[] _frame = new byte[FrameFormat.MaxFrameLength];

    public RawCaller(PeerLoopbackRig rig)
    {
        _connection = rig.Network.Connect("127.0.0.1", rig.Listener.Port, PeerLoopbackRig.TimeoutMillis)
            ?? throw new InvalidOperationException("callee not listening");
        _codec = new FrameCodec(rig.Crypto, rig.Key, isCaller: true);
        var preamble = new byte[PeerPreamble.MaxLength];
        var length = PeerPreamble.Write(rig.Grant.SessionId, preamble, 0);
        Write(preamble.AsSpan(0, length).ToArray());
        var request = new byte[PeerRequest.MaxLength];
        var requestLength = new PeerRequest(PeerLoopbackRig.CallerId, rig.Password, rig.Grant.SessionId).Write(request, 0);
        Write(Seal(FrameTypes.Request, request.AsSpan(0, requestLength).ToArray()));
        var (type, _) = ReadFrame();
        Assert.AreEqual(FrameTypes.Accept, type);
    }

    public byte[] Seal(int type, byte[] payload)
    {
        var length = _codec.Seal(type, payload, 0, payload.Length, _frame, 0);
        return _frame.AsSpan(0, length).ToArray();
    }

    public byte[] SealData(string text) => Seal(FrameTypes.Data, System.Text.Encoding.ASCII.GetBytes(text));

    public void Write(byte[] bytes) => Assert.IsTrue(_connection.Write(bytes, 0, bytes.Length));

    /// <summary>Reads one frame from the callee; (0, null) when the callee hung up.</summary>
    public (int Type, string? Payload) ReadFrame()
    {
        if (!ReadExactly(_frame, 0, FrameFormat.HeaderLength))
        {
            return (0, null);
        }

        var body = _codec.BodyLength(_frame, 0);
        Assert.IsTrue(ReadExactly(_frame, FrameFormat.HeaderLength, body), "frame cut off");
        var payload = new byte[FrameFormat.MaxPayload];
        var length = _codec.Open(_frame, 0, FrameFormat.HeaderLength + body, out var type, payload, 0);
        return (type, System.Text.Encoding.ASCII.GetString(payload, 0, length));
    }

    /// <summary>True when the callee closed the TCP connection (after whatever it sent).</summary>
    public bool SeesHangUp()
    {
        var one = new byte[1];
        return _connection.Read(one, 0, 1, PeerLoopbackRig.TimeoutMillis) == 0;
    }

    public void Dispose() => _connection.Close();

    private bool ReadExactly(byte[] buffer, int offset, int count)
    {
        for (var read = 0; read < count;)
        {
            var n = _connection.Read(buffer, offset + read, count - read, PeerLoopbackRig.TimeoutMillis);
            if (n <= 0)
            {
                Assert.AreEqual(0, read, "connection ended inside a frame");
                return false;
            }

            read += n;
        }

        return true;
    }
}
