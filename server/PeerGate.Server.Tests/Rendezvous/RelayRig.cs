using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Observability;
using PeerGate.Server.Rendezvous;

namespace PeerGate.Server.Tests.Rendezvous;

/// <summary>
/// A rendezvous endpoint on 127.0.0.1 port 0 with its own ticket book, fake clock and metrics, and
/// clients that speak to it over real sockets (TLS when the rig has a certificate).
/// </summary>
internal sealed class RelayRig : IAsyncDisposable
{
    public const long Start = 1_800_000_000;

    private RelayRig(RendezvousEndpoint endpoint, RelayTickets tickets, FakeTimeProvider time, ServerMetrics metrics, X509Certificate2? root)
    {
        Endpoint = endpoint;
        Tickets = tickets;
        Time = time;
        Metrics = metrics;
        Root = root;
    }

    public RendezvousEndpoint Endpoint { get; }

    public RelayTickets Tickets { get; }

    public FakeTimeProvider Time { get; }

    public ServerMetrics Metrics { get; }

    public X509Certificate2? Root { get; }

    public long Now => Time.GetUtcNow().ToUnixTimeSeconds();

    public static async Task<RelayRig> StartAsync(int maxSessions = 8, int ticketCapacity = RelayTickets.DefaultCapacity, X509Certificate2? certificate = null, X509Certificate2? root = null, bool probe = false)
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(Start));
        var options = new ServerOptions
        {
            RendezvousAddress = "127.0.0.1", RendezvousPort = 0, RelayMaxSessions = maxSessions, RendezvousCertificate = certificate, RendezvousProbePort = probe ? 0 : -1,
        };
        var tickets = new RelayTickets(time, ticketCapacity);
        var metrics = new ServerMetrics();
        var endpoint = new RendezvousEndpoint(tickets, options, time, metrics, NullLogger<RendezvousEndpoint>.Instance);
        await endpoint.StartAsync(CancellationToken.None);
        return new RelayRig(endpoint, tickets, time, metrics, root);
    }

    public RelayTicketPair Issue(string sessionId = "S-RELAY-1", long endsAfter = 600, long byteLimit = 0) =>
        Tickets.Issue(sessionId, endsAfter == 0 ? 0 : Now + endsAfter, byteLimit) ?? throw new AssertFailedException("the book issued no tickets");

    /// <summary>
    /// Connects (to <paramref name="port"/>, else the rendezvous port; from <paramref name="localPort"/> with
    /// address reuse, else any port) and, unless <paramref name="hello"/> is null, sends it.
    /// </summary>
    public async Task<RelayTestClient> ConnectAsync(byte[]? hello, int port = 0, int localPort = 0)
    {
        // Address reuse on every connection, as the devices' adapters do: a probe may then share the punch's port.
        var client = new TcpClient(AddressFamily.InterNetwork);
        client.Client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        client.Client.Bind(new IPEndPoint(IPAddress.Loopback, localPort));

        await client.ConnectAsync(IPAddress.Loopback, port == 0 ? Endpoint.BoundPort : port).WaitAsync(TimeSpan.FromSeconds(10));
        Stream stream = client.GetStream();
        if (Root is not null)
        {
            var ssl = new SslStream(stream, false);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { Root }, RevocationMode = X509RevocationMode.NoCheck },
            }).WaitAsync(TimeSpan.FromSeconds(10));
            stream = ssl;
        }

        var connection = new RelayTestClient(client, stream);
        if (hello is not null)
        {
            await connection.WriteAsync(hello);
        }

        return connection;
    }

    public Task<RelayTestClient> RelayAsync(byte[] ticket) => ConnectAsync(Hello(RendezvousHello.TypeRelay, ticket));

    public Task<RelayTestClient> PunchAsync(byte[] ticket) => ConnectAsync(Hello(RendezvousHello.TypePunch, ticket));

    /// <summary>A probe hello at the probe port, from <paramref name="localPort"/> (0: any port, as a port-dependent NAT would).</summary>
    public Task<RelayTestClient> ProbeAsync(byte[] ticket, int localPort) => ConnectAsync(Hello(RendezvousHello.TypeProbe, ticket), Endpoint.ProbeBoundPort, localPort);

    /// <summary>Both sides of a pair connected and told the relay is ready.</summary>
    public async Task<(RelayTestClient Caller, RelayTestClient Callee)> PairAsync(RelayTicketPair pair)
    {
        // Waiting for this session's relay side, not a count of timers: a punch of the same pair may still
        // be releasing its own.
        var caller = await RelayAsync(pair.Caller);
        await Eventually.TrueAsync(() => Endpoint.IsWaiting(pair.SessionId, RendezvousHello.TypeRelay), "the caller waits for its peer");
        var callee = await RelayAsync(pair.Callee);
        await caller.ExpectReadyAsync();
        await callee.ExpectReadyAsync();
        return (caller, callee);
    }

    public static byte[] Hello(byte type, byte[] ticket)
    {
        var hello = new byte[RendezvousHello.HelloLength];
        RendezvousHello.WriteHello(hello, type, ticket);
        return hello;
    }

    public async ValueTask DisposeAsync()
    {
        await Endpoint.StopAsync(CancellationToken.None);
        Endpoint.Dispose();
    }
}

/// <summary>One client connection to the endpoint; every read waits at most 10 s of real time.</summary>
internal sealed class RelayTestClient(TcpClient client, Stream stream) : IDisposable
{
    public TcpClient Client => client;

    public IPEndPoint LocalEndPoint => (IPEndPoint)client.Client.LocalEndPoint!;

    public async Task WriteAsync(byte[] bytes)
    {
        await stream.WriteAsync(bytes);
        await stream.FlushAsync();
    }

    /// <summary>Exactly <paramref name="count"/> bytes; fails when the stream ends first.</summary>
    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        var buffer = new byte[count];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await stream.ReadExactlyAsync(buffer, timeout.Token);
        return buffer;
    }

    /// <summary>Everything until the end of stream (at most <paramref name="max"/> bytes).</summary>
    public async Task<byte[]> ReadToEndAsync(int max = 1 << 20)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (received.Length <= max)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                break;
            }

            if (read == 0)
            {
                break;
            }

            received.Write(buffer, 0, read);
        }

        return received.ToArray();
    }

    /// <summary>True when the server closed without sending anything.</summary>
    public async Task<bool> ClosedSilentlyAsync() => (await ReadToEndAsync()).Length == 0;

    /// <summary>The next answer, which must be well-formed and of <paramref name="type"/>; the reader holds its fields.</summary>
    public async Task<RendezvousHello> ExpectAnswerAsync(byte type)
    {
        var header = await ReadExactlyAsync(RendezvousHello.AnswerHeaderLength);
        var length = RendezvousHello.AnswerLength(header[RendezvousHello.HeaderLength]);
        Assert.IsGreaterThan(0, length, "a known address length");
        var answer = header.Concat(await ReadExactlyAsync(length - header.Length)).ToArray();
        var reader = new RendezvousHello();
        Assert.IsTrue(reader.Read(answer, answer.Length), "a well-formed answer");
        Assert.AreEqual(type, reader.Type);
        return reader;
    }

    public async Task ExpectReadyAsync()
    {
        var answer = await ReadExactlyAsync(RendezvousHello.AnswerLength(0));
        var reader = new RendezvousHello();
        Assert.IsTrue(reader.Read(answer, answer.Length), "a well-formed answer");
        Assert.AreEqual(RendezvousHello.TypeRelayReady, reader.Type);
    }

    public void Dispose()
    {
        stream.Dispose();
        client.Dispose();
    }
}
