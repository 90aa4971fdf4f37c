using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;

namespace PeerGate.Device.Tests.Peer;

[TestClass]
public sealed class PeerDialerTests
{
    private const string SessionId = "S-DIAL-1";
    private const string CallerId = "T-0001";
    private const string LanIp = "192.168.1.50";
    private const string PublicIp = "203.0.113.7";
    private const int WaitMillis = 5000;

    private readonly FakeClock _clock = new();
    private readonly HostPeerCrypto _crypto = new();
    private readonly byte[] _password = Secrets.Filled(16);
    private readonly byte[] _key = Secrets.Filled(32);

    [TestMethod]
    [DataRow(false, DisplayName = "wrong host hangs up")]
    [DataRow(true, DisplayName = "wrong host answers garbage")]
    public void AnAddressThatTakesTheConnectionButFailsTheHandshakeFallsBackToTheNext(bool answersGarbage)
    {
        var network = new SplitNetwork(LanIp, answersGarbage);
        var acceptor = new PeerAcceptor(Book(), _crypto, _clock, new RecordingLog(), WaitMillis);
        var dialer = new PeerDialer(network, _crypto, _clock, new RecordingLog(), WaitMillis, WaitMillis)
        {
            OwnObservedIp = PublicIp, // the same NAT: the declared LAN address is tried first
        };

        var accepted = Task.Run(() => acceptor.Accept(network.Real.Accept(WaitMillis)));
        var channel = dialer.Dial(Grant(), CallerId);

        Assert.IsTrue(accepted.Wait(WaitMillis), "the real callee finished its handshake");
        CollectionAssert.AreEqual(new[] { LanIp, PublicIp }, network.Dialled);
        Assert.IsTrue(network.WrongHostSawPreamble, "the wrong host got the connection first");
        Assert.AreEqual(SessionId, channel.SessionId);
    }

    [TestMethod]
    public void TheObservedAddressIsTriedFirstUnlessBothSitBehindTheSameNat()
    {
        var dialer = new PeerDialer(new MemoryPeerNetwork(), _crypto, _clock, new RecordingLog(), WaitMillis, WaitMillis);

        CollectionAssert.AreEqual(new[] { PublicIp, LanIp }, dialer.Addresses(Grant()), "own address unknown");
        dialer.OwnObservedIp = "198.51.100.1";
        CollectionAssert.AreEqual(new[] { PublicIp, LanIp }, dialer.Addresses(Grant()), "another network");
        dialer.OwnObservedIp = PublicIp;
        CollectionAssert.AreEqual(new[] { LanIp, PublicIp }, dialer.Addresses(Grant()), "the same NAT");
    }

    private OfferBook Book()
    {
        var book = new OfferBook(_clock, 4);
        book.Add(new PeerOffer(SessionId, CallerId, (byte[])_password.Clone(), (byte[])_key.Clone(), _clock.UtcNowSeconds + 60));
        return book;
    }

    private ConnectionGrant Grant() => new()
    {
        SessionId = SessionId,
        CalleeTerminalId = "T-0002",
        CalleeLocalIp = LanIp,
        CalleeLocalPort = 7001,
        CalleeObservedIp = PublicIp,
        CalleeObservedPort = 40000,
        Password = Convert.ToBase64String(_password),
        Key = Convert.ToBase64String(_key),
        ExpiresAt = _clock.UtcNowSeconds + 60,
    };

    /// <summary>One address reaches a host that is not the callee; every other reaches the real callee's listener.</summary>
    private sealed class SplitNetwork(string wrongIp, bool answersGarbage) : IPeerNetwork
    {
        public MemoryPeerNetwork Real { get; } = new();

        public List<string> Dialled { get; } = [];

        public bool WrongHostSawPreamble { get; private set; }

        public IPeerConnection Connect(string ip, int port, int timeoutMillis)
        {
            Dialled.Add(ip);
            if (ip != wrongIp)
            {
                return Real.Connect(ip, port, timeoutMillis);
            }

            var toHost = new BytePipe();
            var toCaller = new BytePipe();
            var host = new PipeConnection(toHost, toCaller, "10.0.0.1");
            Task.Run(() =>
            {
                var buffer = new byte[64];
                WrongHostSawPreamble = host.Read(buffer, 0, buffer.Length, WaitMillis) > 0 && buffer[0] == (byte)'P';
                if (answersGarbage)
                {
                    var garbage = new byte[90];
                    garbage[0] = 1;
                    garbage[1] = 2;
                    garbage[9] = 16;
                    host.Write(garbage, 0, garbage.Length);
                }

                host.Close();
            });
            return new PipeConnection(toCaller, toHost, ip);
        }

        public IPeerListener Listen(int port) => Real;
    }
}
