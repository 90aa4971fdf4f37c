using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Peer;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Cluster;
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
public sealed class UdpRegistrar(UdpMappings mappings, UdpPresence presence, Database database, ServerOptions options, TimeProvider time, ServerMetrics metrics, ILogger<UdpRegistrar> logger)
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

    /// <summary>Lifetime probes waiting for their delayed answer at most; a probe beyond it is dropped as busy.</summary>
    public const int MaxPendingProbes = 10_000;

    // Outcomes only probes have (peergate_udp_probes_total); the others are shared with registrations.
    public const string Answered = "answered";
    public const string Busy = "busy";

    private readonly CountedDictionary<string, CachedCertificate> _certificates = new(StringComparer.Ordinal);
    private readonly Lane _probeLane = new(AddressFamily.InterNetworkV6);
    private readonly List<Thread> _receivers = [];
    private readonly Lock _probeLock = new();
    private readonly Dictionary<string, PendingProbe> _pendingProbes = new(StringComparer.Ordinal);
    private Socket? _socket;
    private Socket? _probeSocket;
    private Task? _flushing;
    private Task? _probing;
    private CancellationTokenSource? _stopping;

    /// <summary>The UDP port bound, or 0 when the listener is off.</summary>
    public int BoundPort { get; private set; }

    /// <summary>The probe port bound, or 0 when probes are off.</summary>
    public int BoundProbePort { get; private set; }

    /// <summary>Probes whose delayed answer is still to be sent.</summary>
    public int PendingProbes
    {
        get
        {
            lock (_probeLock)
            {
                return _pendingProbes.Count;
            }
        }
    }

    private sealed record CachedCertificate(string Serial, byte[] Key, string TerminalId, string DeviceId, long ExpiresAt, long Generation, bool Refused, long CheckedAt);

    /// <summary>
    /// Everything one receive loop reuses for every datagram, so the steady state allocates nothing:
    /// the buffers, the reader, the source address and a MAC output. Each loop has its own.
    /// </summary>
    internal sealed class Lane(AddressFamily family)
    {
        public readonly RendezvousDatagram Reader = new();
        public readonly byte[] Receive = new byte[2048];
        public readonly byte[] Reply = new byte[RendezvousDatagram.MaxLength];
        public readonly byte[] Work = new byte[RendezvousDatagram.WorkLength];
        public readonly SocketAddress Source = new(family);
        public readonly byte[] Observed4 = new byte[4];
        public readonly byte[] Observed16 = new byte[16];
        public readonly LaneCrypto Crypto = new();
    }

    /// <summary>
    /// The HMAC of the datagrams for one lane. RendezvousDatagram writes its tag into the lane's work
    /// buffer, so the static span HMAC allocates nothing managed. The array-returning HMAC reuses one
    /// array, safe only because nothing in a lane keeps it; nothing else may use this.
    /// </summary>
    internal sealed class LaneCrypto : IPeerCrypto
    {
        private readonly byte[] _mac = new byte[32];

        public byte[] HmacSha256(byte[] key, byte[] data, int offset, int count)
        {
            HMACSHA256.HashData(key, data.AsSpan(offset, count), _mac);
            return _mac;
        }

        public void HmacSha256(byte[] key, byte[] data, int offset, int count, byte[] tag, int tagOffset) =>
            HMACSHA256.HashData(key, data.AsSpan(offset, count), tag.AsSpan(tagOffset, 32));

        public IFrameCipher CreateCipher(byte[] key) => throw new NotSupportedException();

        public void RandomBytes(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>One probe's delayed answer: everything needed to write it, and the timer that sends it.</summary>
    private sealed class PendingProbe(string terminalId, string serial, long counter, int delaySeconds, byte[] key, IPEndPoint to)
    {
        public string TerminalId { get; } = terminalId;
        public string Serial { get; } = serial;
        public long Counter { get; } = counter;
        public int DelaySeconds { get; } = delaySeconds;
        public byte[] Key { get; } = key;
        public IPEndPoint To { get; } = to;
        public ITimer? Timer { get; set; }
    }

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
        if (options.UdpProbePort >= 0)
        {
            var probeSocket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            if (address.Equals(IPAddress.IPv6Any))
            {
                probeSocket.DualMode = true;
            }

            probeSocket.Bind(new IPEndPoint(address, options.UdpProbePort));
            _probeSocket = probeSocket;
            BoundProbePort = ((IPEndPoint)probeSocket.LocalEndPoint!).Port;
            logger.LogInformation("UDP lifetime probes answered on {Address}:{Port}", address, BoundProbePort);
            _probing = ProbeLoopAsync(probeSocket, _stopping.Token);
        }

        mappings.Listening = true;
        _flushing = FlushLoopAsync(_stopping.Token);

        // One blocking receive loop per core on its own thread, all on the one socket: the kernel hands
        // each datagram to one waiting loop, and no datagram waits for a thread-pool hop.
        var loops = options.UdpReceiveLoops > 0 ? options.UdpReceiveLoops : Environment.ProcessorCount;
        for (var i = 0; i < loops; i++)
        {
            var lane = new Lane(socket.AddressFamily);
            var token = _stopping.Token;
            var thread = new Thread(() => ReceiveLoop(socket, lane, token)) { IsBackground = true, Name = "PeerGate UDP " + i };
            _receivers.Add(thread);
            thread.Start();
        }

        return Task.CompletedTask;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        mappings.Listening = false;
        _stopping?.Cancel();
        _socket?.Dispose();
        _probeSocket?.Dispose();
        lock (_probeLock)
        {
            foreach (var pending in _pendingProbes.Values)
            {
                pending.Timer?.Dispose();
            }

            _pendingProbes.Clear();
        }

        foreach (var receiver in _receivers)
        {
            // Closing the socket ends each blocking receive at once; the bound is only a guard.
            receiver.Join(TimeSpan.FromSeconds(5));
        }

        if (_flushing is not null)
        {
            await _flushing;
        }

        if (_probing is not null)
        {
            await _probing;
        }

        if (_socket is not null)
        {
            await FlushQuietlyAsync();
        }

        _stopping?.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;

    private void ReceiveLoop(Socket socket, Lane lane, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            int received;
            try
            {
                received = socket.ReceiveFrom(lane.Receive, SocketFlags.None, lane.Source);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (stopping.IsCancellationRequested)
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

            if (stopping.IsCancellationRequested)
            {
                return;
            }

            string outcome;
            int replyLength;
            try
            {
                outcome = HandleRegistration(lane, received, lane.Source, out replyLength);
            }
            catch (Exception exception)
            {
                logger.LogWarning(exception, "UDP datagram could not be handled");
                outcome = Error;
                replyLength = 0;
            }

            if (replyLength > 0)
            {
                try
                {
                    socket.SendTo(lane.Reply.AsSpan(0, replyLength), SocketFlags.None, lane.Source);
                }
                catch (SocketException exception)
                {
                    // The mapping stands; the device learns it at its next registration.
                    logger.LogDebug("UDP acknowledgement to a device not sent: {Error}", exception.SocketErrorCode);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
            }

            metrics.CountUdpDatagram(outcome);
        }
    }

    /// <summary>
    /// The checks every datagram from a device passes, in order (size, structure and type, certificate,
    /// tag, standing, expiry); null when it passed them, else the outcome it is dropped with.
    /// </summary>
    private string? Check(Lane lane, int length, byte type, long nowMillis, out CachedCertificate? certificate)
    {
        certificate = null;
        if (length > RendezvousDatagram.MaxLength)
        {
            return Oversized;
        }

        if (!lane.Reader.Read(lane.Receive, length) || lane.Reader.Type != type)
        {
            return Malformed;
        }

        certificate = Certificate(lane, nowMillis);
        if (certificate is null || !lane.Reader.TerminalIdIs(certificate.TerminalId))
        {
            return UnknownTerminal;
        }

        if (!lane.Reader.Verify(certificate.Key, lane.Crypto, lane.Work))
        {
            return BadTag;
        }

        if (certificate.Refused)
        {
            return Refused;
        }

        return certificate.ExpiresAt <= nowMillis / 1000 ? Expired : null;
    }

    /// <summary>
    /// One registration from <paramref name="source"/>, the datagram in <paramref name="lane"/>'s receive
    /// buffer: checked, replay-refused, the mapping moved and the ack written into the lane's reply
    /// buffer (<paramref name="replyLength"/> bytes; 0 when dropped). Returns its outcome. Allocates
    /// nothing once the device's certificate is cached and its mapping exists with the same addresses.
    /// </summary>
    internal string HandleRegistration(Lane lane, int length, SocketAddress source, out int replyLength)
    {
        replyLength = 0;
        var nowMillis = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (Check(lane, length, RendezvousDatagram.TypeRegister, nowMillis, out var certificate) is { } dropped)
        {
            return dropped;
        }

        if (!TryReadSource(source, out var observed, out var observedPort))
        {
            return Malformed;
        }

        var reader = lane.Reader;
        uint? local = reader.AddressLength == 4 ? BinaryPrimitives.ReadUInt32BigEndian(lane.Receive.AsSpan(reader.AddressOffset, 4)) : null;
        if (mappings.IsFull && !mappings.Has(certificate!.TerminalId))
        {
            return Busy;
        }

        if (!mappings.TryAccept(certificate!.TerminalId, certificate.DeviceId, certificate.Serial, certificate.Generation, reader.Counter, observed, observedPort, local, reader.Port, nowMillis / 1000, certificate.Key, certificate.ExpiresAt))
        {
            return Replayed;
        }

        presence.Registered(certificate.TerminalId, nowMillis / 1000);

        // The ack names the address as the device's side sees it: IPv4 as 4 bytes, IPv6 as 16.
        byte[] address;
        if (observed >> 32 == 0xFFFF)
        {
            address = lane.Observed4;
            BinaryPrimitives.WriteUInt32BigEndian(address, (uint)observed);
        }
        else
        {
            address = lane.Observed16;
            BinaryPrimitives.WriteUInt128BigEndian(address, observed);
        }

        var interval = (int)Math.Clamp(options.UdpInterval.TotalSeconds, 0, 0xFFFF);
        replyLength = RendezvousDatagram.WriteAck(
            lane.Reply, certificate.TerminalId, certificate.Serial, reader.Counter, address, observedPort, interval, certificate.Key, lane.Crypto, lane.Work);
        return Accepted;
    }

    /// <summary>
    /// The source of a received datagram as a mapping keeps it, read from the socket address in place:
    /// the port at bytes 2-3 and the address at 4 (IPv4) or 8 (IPv6), network order, the layout of
    /// sockaddr_in and sockaddr_in6 on every platform .NET runs on.
    /// </summary>
    internal static bool TryReadSource(SocketAddress source, out UInt128 observed, out int port)
    {
        var bytes = source.Buffer.Span[..source.Size];
        observed = default;
        port = 0;
        switch (source.Family)
        {
            case AddressFamily.InterNetwork when bytes.Length >= 8:
                port = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
                observed = ((UInt128)0xFFFF << 32) | BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]);
                return true;
            case AddressFamily.InterNetworkV6 when bytes.Length >= 24:
                port = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
                observed = BinaryPrimitives.ReadUInt128BigEndian(bytes[8..]);
                return true;
            default:
                return false;
        }
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
    private CachedCertificate? Certificate(Lane lane, long nowMillis)
    {
        Span<char> serialChars = stackalloc char[RendezvousDatagram.MaxSerialLength];
        for (var i = 0; i < lane.Reader.SerialLength; i++)
        {
            serialChars[i] = (char)lane.Receive[lane.Reader.SerialOffset + i];
        }

        var serialSpan = serialChars[..lane.Reader.SerialLength];
        if (_certificates.TryGetValue<ReadOnlySpan<char>>(serialSpan, out var cached) && nowMillis - cached.CheckedAt < (long)options.UdpStandingRecheck.TotalMilliseconds)
        {
            return cached;
        }

        return Load(cached?.Serial ?? serialSpan.ToString(), cached, nowMillis);
    }

    /// <summary>
    /// The certificate from SQLite, cached. Apart from the lookup above, so the closure it needs is made
    /// only on this path, not on every datagram.
    /// </summary>
    private CachedCertificate? Load(string serial, CachedCertificate? cached, long nowMillis)
    {
        // Strings already held for this certificate are kept, so a recheck does not copy them again.
        var fresh = database.Read(connection =>
        {
            using var command = connection.Command(
                null,
                "SELECT k.udp_key, c.terminal_id, c.device_id, c.expires_at, k.generation, (c.revoked = 1 OR " + DeviceStanding.RefusedSql("c.device_id") + ") " +
                "FROM udp_keys k JOIN certificates c ON c.serial = k.serial WHERE k.serial = @serial;",
                ("@serial", serial));
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            var terminalId = reader.GetString(1);
            var deviceId = reader.GetString(2);
            if (cached is not null)
            {
                terminalId = string.Equals(terminalId, cached.TerminalId, StringComparison.Ordinal) ? cached.TerminalId : terminalId;
                deviceId = string.Equals(deviceId, cached.DeviceId, StringComparison.Ordinal) ? cached.DeviceId : deviceId;
            }

            return new CachedCertificate(serial, reader.GetBytesOrNull(0)!, terminalId, deviceId, reader.GetInt64(3), reader.GetInt64(4), reader.GetFlag(5), nowMillis);
        });

        if (fresh is null)
        {
            _certificates.TryRemove(serial, out _);
            return null;
        }

        if (_certificates.Count >= MaxCachedCertificates && !_certificates.ContainsKey(serial))
        {
            _certificates.Clear();
        }

        _certificates[serial] = fresh;
        return fresh;
    }

    /// <summary>
    /// The probe port's receive loop (F31): each lifetime probe that passes the checks of a
    /// registration and is no replay gets a receipt at once and an answer after the delay it asked
    /// for, both from this port to the probe's source. It never moves the mapping.
    /// </summary>
    private async Task ProbeLoopAsync(Socket socket, CancellationToken stoppingToken)
    {
        await Task.Yield();
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!stoppingToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(_probeLane.Receive, SocketFlags.None, any, stoppingToken);
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
                metrics.CountUdpProbe(Oversized);
                continue;
            }
            catch (SocketException exception)
            {
                logger.LogDebug("UDP probe receive: {Error}", exception.SocketErrorCode);
                continue;
            }

            string outcome;
            try
            {
                outcome = HandleProbe(socket, received.ReceivedBytes, (IPEndPoint)received.RemoteEndPoint);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "UDP probe could not be handled");
                outcome = Error;
            }

            metrics.CountUdpProbe(outcome);
        }
    }

    private string HandleProbe(Socket socket, int length, IPEndPoint source)
    {
        var nowMillis = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (Check(_probeLane, length, RendezvousDatagram.TypeProbe, nowMillis, out var certificate) is { } dropped)
        {
            return dropped;
        }

        var reader = _probeLane.Reader;
        if (!mappings.TryAcceptProbe(certificate!.TerminalId, certificate.Generation, reader.Counter))
        {
            return Replayed;
        }

        var to = source.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(source.Address.MapToIPv4(), source.Port) : source;
        var pending = new PendingProbe(certificate.TerminalId, certificate.Serial, reader.Counter, reader.DelaySeconds, certificate.Key, to);
        lock (_probeLock)
        {
            // One probe per device at a time: a newer one replaces it, so the table holds one entry per device.
            if (_pendingProbes.Remove(pending.TerminalId, out var earlier))
            {
                earlier.Timer?.Dispose();
            }
            else if (_pendingProbes.Count >= MaxPendingProbes)
            {
                return Busy;
            }

            _pendingProbes[pending.TerminalId] = pending;
            pending.Timer = time.CreateTimer(AnswerProbe, pending, TimeSpan.FromSeconds(pending.DelaySeconds), Timeout.InfiniteTimeSpan);
        }

        var receiptLength = RendezvousDatagram.WriteProbeAnswer(
            _probeLane.Reply, pending.TerminalId, pending.Serial, pending.Counter, 0, pending.Key, _probeLane.Crypto, _probeLane.Work);
        SendQuietly(socket, _probeLane.Reply.AsSpan(0, receiptLength), ToSocket(socket, to));
        return Accepted;
    }

    /// <summary>The delayed answer of a probe, sent when its timer fires (on the injected clock).</summary>
    private void AnswerProbe(object? state)
    {
        var pending = (PendingProbe)state!;
        lock (_probeLock)
        {
            if (!_pendingProbes.TryGetValue(pending.TerminalId, out var current) || !ReferenceEquals(current, pending))
            {
                return;
            }

            _pendingProbes.Remove(pending.TerminalId);
        }

        pending.Timer?.Dispose();
        var socket = _probeSocket;
        if (socket is null)
        {
            return;
        }

        try
        {
            var reply = new byte[RendezvousDatagram.MaxLength];
            var work = new byte[RendezvousDatagram.WorkLength];
            var length = RendezvousDatagram.WriteProbeAnswer(reply, pending.TerminalId, pending.Serial, pending.Counter, pending.DelaySeconds, pending.Key, new HostPeerCrypto(), work);
            if (SendQuietly(socket, reply.AsSpan(0, length), ToSocket(socket, pending.To)))
            {
                metrics.CountUdpProbe(Answered);
            }
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "UDP probe answer could not be sent");
        }
    }

    private static IPEndPoint ToSocket(Socket socket, IPEndPoint to) =>
        socket.AddressFamily == AddressFamily.InterNetworkV6 && to.AddressFamily == AddressFamily.InterNetwork
            ? new IPEndPoint(to.Address.MapToIPv6(), to.Port)
            : to;

    private bool SendQuietly(Socket socket, ReadOnlySpan<byte> datagram, IPEndPoint to)
    {
        try
        {
            socket.SendTo(datagram, SocketFlags.None, to);
            return true;
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            logger.LogDebug("UDP probe answer not sent: {Error}", exception.Message);
            return false;
        }
    }

    private async Task FlushLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.UdpPersistInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await FlushQuietlyAsync();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task FlushQuietlyAsync()
    {
        try
        {
            await mappings.FlushAsync();
            mappings.Expire(time.GetUtcNow().ToUnixTimeSeconds());
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "UDP mappings not written; retrying at the next flush");
        }
    }
}
