using PeerGate.Protocol.Host;
using PeerGate.Device.Api;
using PeerGate.Device.Peer;
using PeerGate.Device.Sessions;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Sessions;

/// <summary>
/// A caller and a callee joined by in-memory pipes through the real dialer and acceptor, both given
/// the same session limits (as the grant and the session offer carry them), each its own limits key,
/// and one fake clock. The fake session server tags what it grants the caller for the callee, as the
/// real one does.
/// </summary>
public sealed class SessionRig
{
    public const string SessionId = "S-LIMITS-1";
    public const string CallerId = "T-0001";
    public const string CalleeId = "T-0002";
    public const int WaitMillis = 5000;

    private readonly MemoryPeerNetwork _network = new();
    private readonly HostPeerCrypto _crypto = new();

    public SessionRig(long endsAt, long byteLimit)
    {
        var password = new byte[16];
        var key = new byte[32];
        Random.Shared.NextBytes(password);
        Random.Shared.NextBytes(key);
        Random.Shared.NextBytes(CallerLimitsKey);
        Random.Shared.NextBytes(CalleeLimitsKey);
        Server = new FakeSessionServer { PeerLimitsKey = CalleeLimitsKey };

        var offers = new OfferBook(Clock, 4);
        offers.Add(new PeerOffer(SessionId, CallerId, password, key, Clock.UtcNowSeconds + 60, endsAt, byteLimit, (byte[])CalleeLimitsKey.Clone()));
        var acceptor = new PeerAcceptor(offers, _crypto, Clock, CalleeLog, WaitMillis) { Sessions = CalleeSessions };
        var dialer = new PeerDialer(_network, _crypto, Clock, CallerLog, WaitMillis, WaitMillis) { Sessions = CallerSessions };

        var accepted = Task.Run(() => acceptor.Accept(_network.Accept(WaitMillis)));
        Caller = dialer.Dial(new ConnectionGrant
        {
            SessionId = SessionId,
            CalleeTerminalId = CalleeId,
            CalleeLocalIp = "10.0.0.2",
            CalleeLocalPort = _network.Port,
            Password = Convert.ToBase64String(password),
            Key = Convert.ToBase64String(key),
            ExpiresAt = Clock.UtcNowSeconds + 60,
            SessionEndsAt = endsAt,
            SessionByteLimit = byteLimit,
            LimitsKey = Convert.ToBase64String(CallerLimitsKey),
        }, CallerId);
        Assert.IsTrue(accepted.Wait(WaitMillis), "the callee finished its handshake");
        Callee = accepted.Result;

        Internet.Add(FakeCertificateHolder.RegistryUrl, Server);
        Client = new SessionClient(new ApiClient(Internet, new TestJsonCodec(), WaitMillis), new FakeCertificateHolder(), CallerLog);
    }

    public FakeClock Clock { get; } = new();

    public RecordingLog CallerLog { get; } = new();

    public RecordingLog CalleeLog { get; } = new();

    public SessionTable CallerSessions { get; } = new(2);

    public SessionTable CalleeSessions { get; } = new(2);

    public FakeInternet Internet { get; } = new();

    public FakeSessionServer Server { get; }

    /// <summary>The caller's own limits key, as its grant carries it.</summary>
    public byte[] CallerLimitsKey { get; } = new byte[32];

    /// <summary>The callee's own limits key, as its offer carries it.</summary>
    public byte[] CalleeLimitsKey { get; } = new byte[32];

    public SessionClient Client { get; }

    public PeerChannel Caller { get; }

    public PeerChannel Callee { get; }

    /// <summary>Reads on the channel until it ends (0) or nothing comes for a while (-1); returns every byte delivered.</summary>
    public static byte[] ReceiveAll(PeerChannel channel)
    {
        var all = new List<byte>();
        var buffer = new byte[1500];
        while (true)
        {
            var n = channel.Receive(buffer, 0, buffer.Length, 500);
            if (n <= 0)
            {
                return [.. all];
            }

            all.AddRange(buffer.AsSpan(0, n).ToArray());
        }
    }

    public static byte[] Pattern(int count)
    {
        var bytes = new byte[count];
        for (var i = 0; i < count; i++)
        {
            bytes[i] = (byte)(i * 7);
        }

        return bytes;
    }
}
