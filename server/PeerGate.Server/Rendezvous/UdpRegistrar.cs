using System.Net;
using System.Net.Sockets;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Identity;
using PeerGate.Server.Observability;
using PeerGate.Server.Registry;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Rendezvous;

/// <summary>
/// The UDP rendezvous listener (F27): reads each registration datagram in place, checks it against
/// the certificate it names (its UDP key, Terminal ID, expiry and the standing checks of
/// <see cref="DeviceStanding"/>), refuses replays by the device's counter, and only then moves the
/// device's mapping to the source address and port it came from and acknowledges to that source.
/// Anything else is dropped without an answer and counted by reason. Work per datagram is bounded:
/// no reading beyond <see cref="RendezvousDatagram.MaxLength"/>, at most one indexed SQLite read (a
/// certificate not cached or due a standing recheck) and no write (see <see cref="UdpMappings"/>).
/// </summary>
public sealed class UdpRegistrar(UdpMappings mappings, Database database, ServerOptions options, TimeProvider time, ServerMetrics metrics, ILogger<UdpRegistrar> logger)
    : BackgroundService
{
    /// <summary>The certificates kept in memory at most; the cache starts over when full.</summary>
    public const int MaxCachedCertificates = 10_000;

    // Outcomes, the labels of peergate_udp_datagrams_total.
    public const string Accepted = "ok";
    public const string Oversized = "oversized";
    public const string Malformed = "malformed";
    public const string UnknownTerminal = "unknown_terminal";
    public const string BadTag = "bad_tag";
    public const string Refused = "refused";
    public const string Expired = "expired";
    public const string Replayed = "replayed";
    public const string Error = "error";

    private readonly HostPeerCrypto _crypto = new();
    private readonly Dictionary<string, CachedCertificate> _certificates = new(StringComparer.Ordinal);
    private readonly RendezvousDatagram _reader = new();
    private readonly byte[] _receive = new byte[2048];
    private readonly byte[] _reply = new byte[RendezvousDatagram.MaxLength];
    private readonly byte[] _work = new byte[RendezvousDatagram.WorkLength];
    private Socket? _socket;
    private Task? _flushing;
    private CancellationTokenSource? _stopping;

    /// <summary>The UDP port bound, or 0 when the listener is off.</summary>
    public int BoundPort { get; private set; }

    private sealed record CachedCertificate(byte[] Key, string TerminalId, string DeviceId, long ExpiresAt, long Generation, bool Refused, long CheckedAt);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.UdpPort < 0)
        {
            logger.LogInformation("UDP rendezvous listener off (PeerGate:UdpPort is negative)");
            return Task.CompletedTask;
        }

        var address = IPAddress.Parse(options.UdpAddress ?? "127.0.0.1");
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (address.Equals(IPAddress.IPv6Any))
        {
            socket.DualMode = true;
        }

        socket.Bind(new IPEndPoint(address, options.UdpPort));
        _socket = socket;
        BoundPort = ((IPEndPoint)socket.LocalEndPoint!).Port;
        logger.LogInformation("UDP rendezvous listening on {Address}:{Port}", address, BoundPort);

        _stopping = new CancellationTokenSource();
        _flushing = FlushLoopAsync(_stopping.Token);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping?.Cancel();
        _socket?.Dispose();
        await base.StopAsync(cancellationToken);
        if (_flushing is not null)
        {
            await _flushing;
        }

        if (_socket is not null)
        {
            FlushQuietly();
        }

        _stopping?.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var socket = _socket;
        if (socket is null)
        {
            return;
        }

        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!stoppingToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(_receive, SocketFlags.None, any, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException exception) when (exception.SocketErrorCode == SocketError.MessageSize)
            {
                metrics.CountUdpDatagram(Oversized);
                continue;
            }
            catch (SocketException exception)
            {
                // ICMP port-unreachable from an earlier reply, and the like: the socket still works.
                logger.LogDebug("UDP receive: {Error}", exception.SocketErrorCode);
                continue;
            }

            string outcome;
            try
            {
                outcome = Handle(socket, received.ReceivedBytes, (IPEndPoint)received.RemoteEndPoint);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "UDP datagram could not be handled");
                outcome = Error;
            }

            metrics.CountUdpDatagram(outcome);
        }
    }

    /// <summary>One datagram, start to end; returns its outcome.</summary>
    private string Handle(Socket socket, int length, IPEndPoint source)
    {
        if (length > RendezvousDatagram.MaxLength)
        {
            return Oversized;
        }

        if (!_reader.Read(_receive, length) || _reader.Type != RendezvousDatagram.TypeRegister)
        {
            return Malformed;
        }

        var nowMillis = time.GetUtcNow().ToUnixTimeMilliseconds();
        var certificate = Certificate(nowMillis);
        if (certificate is null || !_reader.TerminalIdIs(certificate.TerminalId))
        {
            return UnknownTerminal;
        }

        if (!_reader.Verify(certificate.Key, _crypto, _work))
        {
            return BadTag;
        }

        if (certificate.Refused)
        {
            return Refused;
        }

        var now = nowMillis / 1000;
        if (certificate.ExpiresAt <= now)
        {
            return Expired;
        }

        var observedIp = RegistryApi.ObservedIp(source.Address)!;
        string? localIp = _reader.AddressLength == 4 ? new IPAddress(_receive.AsSpan(_reader.AddressOffset, 4)).ToString() : null;
        if (!mappings.TryAccept(certificate.TerminalId, certificate.DeviceId, _reader.Serial(), certificate.Generation, _reader.Counter, observedIp, source.Port, localIp, _reader.Port, now))
        {
            return Replayed;
        }

        var address = source.Address.IsIPv4MappedToIPv6 ? source.Address.MapToIPv4() : source.Address;
        var interval = (int)Math.Clamp(options.UdpInterval.TotalSeconds, 0, 0xFFFF);
        var replyLength = RendezvousDatagram.WriteAck(
            _reply, certificate.TerminalId, _reader.Serial(), _reader.Counter, address.GetAddressBytes(), source.Port, interval, certificate.Key, _crypto, _work);
        try
        {
            socket.SendTo(_reply.AsSpan(0, replyLength), SocketFlags.None, source);
        }
        catch (SocketException exception)
        {
            // The mapping stands; the device learns it at its next registration.
            logger.LogDebug("UDP acknowledgement to a device not sent: {Error}", exception.SocketErrorCode);
        }

        return Accepted;
    }

    /// <summary>
    /// Sends <paramref name="datagram"/> from the listener's socket, the one the devices' registrations
    /// reach, so their NAT mappings let it in. False when the listener is off or the send failed.
    /// </summary>
    public bool TrySend(ReadOnlySpan<byte> datagram, IPEndPoint to)
    {
        var socket = _socket;
        if (socket is null)
        {
            return false;
        }

        if (socket.AddressFamily == AddressFamily.InterNetworkV6 && to.AddressFamily == AddressFamily.InterNetwork)
        {
            to = new IPEndPoint(to.Address.MapToIPv6(), to.Port);
        }

        try
        {
            socket.SendTo(datagram, SocketFlags.None, to);
            return true;
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            logger.LogDebug("UDP datagram to a device not sent: {Error}", exception.Message);
            return false;
        }
    }

    /// <summary>The certificate the datagram names, from the cache while its standing is fresh, else from SQLite.</summary>
    private CachedCertificate? Certificate(long nowMillis)
    {
        Span<char> serialChars = stackalloc char[RendezvousDatagram.MaxSerialLength];
        for (var i = 0; i < _reader.SerialLength; i++)
        {
            serialChars[i] = (char)_receive[_reader.SerialOffset + i];
        }

        var serialSpan = serialChars[.._reader.SerialLength];
        var lookup = _certificates.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(serialSpan, out var cached) && nowMillis - cached.CheckedAt < (long)options.UdpStandingRecheck.TotalMilliseconds)
        {
            return cached;
        }

        var serial = serialSpan.ToString();
        var fresh = database.Read(connection =>
        {
            using var command = connection.Command(
                null,
                "SELECT k.udp_key, c.terminal_id, c.device_id, c.expires_at, k.generation, (c.revoked = 1 OR " + DeviceStanding.RefusedSql("c.device_id") + ") " +
                "FROM udp_keys k JOIN certificates c ON c.serial = k.serial WHERE k.serial = $serial;",
                ("$serial", serial));
            using var reader = command.ExecuteReader();
            return reader.Read()
                ? new CachedCertificate(reader.GetBytesOrNull(0)!, reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5) != 0, nowMillis)
                : null;
        });

        if (fresh is null)
        {
            _certificates.Remove(serial);
            return null;
        }

        if (_certificates.Count >= MaxCachedCertificates && !_certificates.ContainsKey(serial))
        {
            _certificates.Clear();
        }

        _certificates[serial] = fresh;
        return fresh;
    }

    private async Task FlushLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.UdpPersistInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                FlushQuietly();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void FlushQuietly()
    {
        try
        {
            mappings.Flush();
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "UDP mappings not written; retrying at the next flush");
        }
    }
}
