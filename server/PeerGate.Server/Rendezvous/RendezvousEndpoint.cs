using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Observability;

namespace PeerGate.Server.Rendezvous;

/// <summary>Sees every byte a relay forwards, in order, per direction (tests prove only ciphertext passes).</summary>
internal delegate void RelayTap(string sessionId, RelaySide from, ReadOnlySpan<byte> bytes);

/// <summary>
/// The rendezvous endpoint (F37, docs/rendezvous.md): a TCP listener, TLS when given a certificate,
/// where both devices of a session connect out and present their ticket in a <see cref="RendezvousHello"/>.
/// In punch mode the server answers each side with the other's observed address and port and closes;
/// in relay mode it splices the two connections and forwards bytes both ways without reading them,
/// until a side closes, the byte limit, the session's end time (on the injected clock) or
/// <see cref="End"/>. Everything is bounded: the connections before pairing, the relays, the buffers,
/// the time a hello and a lone side may take. A refused connection is closed without an answer and
/// changes nothing (its ticket stays unspent).
/// With the probe port on (<see cref="ServerOptions.RendezvousProbePort"/>), a punch hello is first
/// invited to probe: the device connects from the same local port to the probe port, and the endpoint
/// compares the public port it sees there with the punch connection's (RFC 5780's mapping test, for
/// TCP). When either side's mapping is port-dependent the punch cannot meet, so both sides are told to
/// go to the relay at once; when a probe does not come within <see cref="ProbeWait"/>, the pair punches
/// as without the probe.
/// </summary>
public sealed class RendezvousEndpoint : BackgroundService
{
    /// <summary>A connection has this long to finish TLS and send its hello.</summary>
    public static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(5);

    /// <summary>A side whose peer has not arrived after this long is closed (its ticket stays spent).</summary>
    public static readonly TimeSpan PeerWait = TimeSpan.FromSeconds(15);

    /// <summary>After one side closed, the other's last bytes are still forwarded for at most this long.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a punch pair waits for its sides' probes before it punches without knowing their mappings.</summary>
    public static readonly TimeSpan ProbeWait = TimeSpan.FromSeconds(5);

    /// <summary>The punch answer's start delay: both answers leave together, this absorbs their different paths.</summary>
    public const int StartDelayMillis = 250;

    /// <summary>One buffer per direction of a relay.</summary>
    public const int BufferLength = 16 * 1024;

    // Outcomes, the labels of peergate_relay_sessions_total: per connection for a refusal or a lone
    // side, per pair for a punch answer and for the end of a relay.
    public const string Malformed = "malformed";
    public const string HelloTimedOut = "hello_timeout";
    public const string UnknownTicket = "unknown_ticket";
    public const string ReusedTicket = "reused_ticket";
    public const string ExpiredTicket = "expired_ticket";
    public const string Busy = "busy";
    public const string PeerMissing = "peer_missing";
    public const string Punched = "punched";
    public const string Closed = "closed";
    public const string ByteLimit = "byte_limit";
    public const string TimeLimit = "time_limit";
    public const string Ended = "ended";
    public const string Stopped = "stopped";
    public const string ProbeSeen = "probe_seen";
    public const string UnexpectedProbe = "unexpected_probe";
    public const string PunchSkipped = "punch_skipped";

    /// <summary>The NAT mapping kinds a punch pair's sides are measured as (labels of peergate_nat_mappings_total).</summary>
    public static class MappingKinds
    {
        /// <summary>The same public address and port towards the rendezvous and the probe port: a punch can meet it.</summary>
        public const string EndpointIndependent = "endpoint_independent";

        /// <summary>Another public port (or address) towards the probe port: the peer's SYN would need a port nobody knows.</summary>
        public const string PortDependent = "port_dependent";

        /// <summary>No probe within <see cref="ProbeWait"/>, or the probe port is off.</summary>
        public const string Unknown = "unknown";
    }

    private readonly RelayTickets _tickets;
    private readonly ServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ServerMetrics _metrics;
    private readonly ILogger<RendezvousEndpoint> _logger;
    private readonly X509Certificate2? _certificate;
    private readonly object _gate = new();
    private readonly Dictionary<(string SessionId, byte Mode), Side> _waiting = new();
    private readonly Dictionary<string, Relay> _relays = new(StringComparer.Ordinal);
    private readonly HashSet<Task> _connections = [];
    private readonly Dictionary<string, ITimer> _punched = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (ITimer Timer, string Reason)> _skipped = new(StringComparer.Ordinal);
    private readonly Dictionary<(string SessionId, RelaySide Side), Side> _probing = new();
    private readonly CancellationTokenSource _stopping = new();
    private TcpListener? _listener;
    private TcpListener? _probeListener;
    private int _probeTimers;
    private int _reservedRelays;
    private int _pending;
    private int _helloTimers;
    private int _waitTimers;
    private int _relayTimers;

    public RendezvousEndpoint(RelayTickets tickets, ServerOptions options, TimeProvider time, ServerMetrics metrics, ILogger<RendezvousEndpoint> logger)
    {
        _tickets = tickets;
        _options = options;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _certificate = options.RendezvousCertificate;
        MaxPending = Math.Max(16, 4 * options.RelayMaxSessions);
    }

    /// <summary>The TCP port bound, or 0 when the endpoint is off.</summary>
    public int BoundPort { get; private set; }

    /// <summary>The probe port bound, or 0 when it is off.</summary>
    public int ProbeBoundPort { get; private set; }

    /// <summary>True when connections are TLS (a certificate was given).</summary>
    public bool UsesTls => _certificate is not null;

    /// <summary>Connections before pairing (in their hello, or waiting for their peer) held at most.</summary>
    public int MaxPending { get; }

    /// <summary>Relays splicing now.</summary>
    public int ActiveRelays
    {
        get
        {
            lock (_gate)
            {
                return _relays.Count;
            }
        }
    }

    internal RelayTap? Tap { get; set; }

    /// <summary>
    /// Told the path a session of the rendezvous paths actually took (session ID, path, why the punch
    /// failed or null): relayed as soon as its relay splices, punched once its punch pair was answered
    /// and no relay followed within <see cref="RelayTickets.ClaimWindow"/> (the tickets' last chance).
    /// The server records it in the attempt log and counts it; never told a ticket.
    /// </summary>
    public Func<string, string, string?, Task>? PathSettled { get; set; }

    /// <summary>Why a relayed session did not punch, as the attempt log records it (stable).</summary>
    public static class RelayReasons
    {
        /// <summary>The endpoint answered both punch hellos, and the devices then came to the relay: the NATs did not let the SYNs meet.</summary>
        public const string PunchFailed = "punch_failed";

        /// <summary>The relay was spliced without a punch pair first (a side could not reach the endpoint in punch mode, or did not punch at all).</summary>
        public const string PunchNotPaired = "punch_not_paired";

        /// <summary>The punch was skipped: the caller's mapping was port-dependent (the callee's was not).</summary>
        public const string CallerPortDependent = "punch_skipped_caller_port_dependent";

        /// <summary>The punch was skipped: the callee's mapping was port-dependent (the caller's was not).</summary>
        public const string CalleePortDependent = "punch_skipped_callee_port_dependent";

        /// <summary>The punch was skipped: both mappings were port-dependent.</summary>
        public const string BothPortDependent = "punch_skipped_both_port_dependent";
    }

    // How many hello, lone-side and end-time timers are armed: a test advances its fake clock only
    // once the timer it means exists.
    internal int HelloTimers => Volatile.Read(ref _helloTimers);

    internal int WaitTimers => Volatile.Read(ref _waitTimers);

    internal int RelayTimers => Volatile.Read(ref _relayTimers);

    /// <summary>True while a side of the session waits here for its partner in <paramref name="mode"/>; for tests.</summary>
    internal bool IsWaiting(string sessionId, byte mode)
    {
        lock (_gate)
        {
            return _waiting.ContainsKey((sessionId, mode));
        }
    }

    internal int ProbeTimers => Volatile.Read(ref _probeTimers);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.RendezvousPort < 0)
        {
            _logger.LogInformation("Rendezvous endpoint off (PeerGate:RendezvousPort is negative)");
            return Task.CompletedTask;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(_options.RelayMaxSessions, 1);
        var address = IPAddress.Parse(_options.RendezvousAddress ?? "127.0.0.1");
        var listener = new TcpListener(address, _options.RendezvousPort);
        if (address.Equals(IPAddress.IPv6Any))
        {
            listener.Server.DualMode = true;
        }

        listener.Start();
        _listener = listener;
        BoundPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        _logger.LogInformation("Rendezvous endpoint listening on {Address}:{Port} ({Transport})", address, BoundPort, UsesTls ? "TLS" : "plain TCP");
        if (_options.RendezvousProbePort >= 0)
        {
            var probe = new TcpListener(address, _options.RendezvousProbePort);
            if (address.Equals(IPAddress.IPv6Any))
            {
                probe.Server.DualMode = true;
            }

            probe.Start();
            _probeListener = probe;
            ProbeBoundPort = ((IPEndPoint)probe.LocalEndpoint).Port;
            _logger.LogInformation("Rendezvous probe port listening on {Address}:{Port}", address, ProbeBoundPort);
        }
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        _listener?.Stop();
        _probeListener?.Stop();
        await base.StopAsync(cancellationToken);
        List<Task> open;
        lock (_gate)
        {
            foreach (var relay in _relays.Values)
            {
                relay.End(Stopped);
            }

            // Punch outcomes still pending stay as the grant recorded them (punched): nothing writes after the stop.
            foreach (var timer in _punched.Values)
            {
                timer.Dispose();
            }

            _punched.Clear();
            foreach (var skipped in _skipped.Values)
            {
                skipped.Timer.Dispose();
            }

            _skipped.Clear();

            foreach (var side in _waiting.Values)
            {
                side.Partner.TrySetResult(null);
            }

            open = [.. _connections];
        }

        await Task.WhenAll(open).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>
    /// An extension granted (F24): the session's relay, running or still to be claimed, forwards up to
    /// <paramref name="relayByteLimit"/> bytes (0 none, see <see cref="RelayTickets.RelayByteLimit"/>) and
    /// ends at <paramref name="endsAt"/> (Unix seconds) instead of its old limits.
    /// </summary>
    public void UpdateLimits(string sessionId, long endsAt, long relayByteLimit)
    {
        _tickets.UpdateLimits(sessionId, endsAt, relayByteLimit);
        lock (_gate)
        {
            if (!_relays.TryGetValue(sessionId, out var relay))
            {
                return;
            }

            relay.ByteLimit = relayByteLimit;
            if (endsAt != 0)
            {
                relay.EndTimer?.Change(TimeSpan.FromMilliseconds(Math.Max(0, (endsAt * 1000) - _time.GetUtcNow().ToUnixTimeMilliseconds())), Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>
    /// Ends everything the endpoint holds of <paramref name="sessionId"/>: its tickets are revoked, a side
    /// waiting for its peer is closed, a running relay stops. The operator's termination calls it.
    /// </summary>
    public void End(string sessionId)
    {
        _tickets.Revoke(sessionId);
        lock (_gate)
        {
            foreach (var mode in new[] { RendezvousHello.TypeRelay, RendezvousHello.TypePunch })
            {
                if (_waiting.TryGetValue((sessionId, mode), out var side))
                {
                    side.EndedBy = Ended;
                    side.Partner.TrySetResult(null);
                }
            }

            if (_relays.TryGetValue(sessionId, out var relay))
            {
                relay.End(Ended);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listener = _listener;
        if (listener is null)
        {
            return;
        }

        var probe = _probeListener;
        await Task.WhenAll(
            AcceptAsync(listener, ConnectionAsync, stoppingToken),
            probe is null ? Task.CompletedTask : AcceptAsync(probe, ProbeConnectionAsync, stoppingToken));
    }

    /// <summary>Accepts until the stop; each connection runs on its own task, bounded by <see cref="MaxPending"/>.</summary>
    private async Task AcceptAsync(TcpListener listener, Func<Socket, Task> handle, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException exception)
            {
                _logger.LogDebug("Rendezvous accept: {Error}", exception.SocketErrorCode);
                continue;
            }

            if (Interlocked.Increment(ref _pending) > MaxPending)
            {
                Interlocked.Decrement(ref _pending);
                socket.Dispose();
                _metrics.CountRelaySession(Busy);
                continue;
            }

            socket.NoDelay = true;
            var task = Task.Run(() => handle(socket), CancellationToken.None);
            lock (_gate)
            {
                _connections.Add(task);
            }

            _ = task.ContinueWith(
                done =>
                {
                    lock (_gate)
                    {
                        _connections.Remove(done);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    /// <summary>One connection from accept to close; counts its outcome unless its pair's task does.</summary>
    private async Task ConnectionAsync(Socket socket)
    {
        var pendingHeld = true;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        Side? handedOver = null;
        try
        {
            var hello = new byte[RendezvousHello.HelloLength];
            var failure = await ReadHelloAsync(stream, hello, ssl => stream = ssl);
            if (failure is not null)
            {
                _metrics.CountRelaySession(failure);
                return;
            }

            var reader = new RendezvousHello();
            if (!reader.Read(hello, hello.Length) || (reader.Type != RendezvousHello.TypeRelay && reader.Type != RendezvousHello.TypePunch))
            {
                _metrics.CountRelaySession(Malformed);
                return;
            }

            var mode = (byte)reader.Type;
            var me = new Side(socket, stream, (IPEndPoint)socket.RemoteEndPoint!, mode);
            var ticket = hello.AsMemory(RendezvousHello.HeaderLength, RendezvousHello.TicketLength);
            if (mode == RendezvousHello.TypePunch)
            {
                await InviteProbeAsync(me, ticket);
            }

            var admitted = Admit(me, ticket.Span, out var partner);
            Array.Clear(hello);
            if (admitted is not null)
            {
                ForgetProbe(me);
                _metrics.CountRelaySession(admitted);
                return;
            }

            handedOver = me;
            if (partner is null)
            {
                // First of the pair: wait for the other side; its task then runs the pair.
                if (!await WaitForPartnerAsync(me))
                {
                    handedOver = null;
                }

                return;
            }

            Interlocked.Decrement(ref _pending);
            Interlocked.Decrement(ref _pending);
            pendingHeld = false;
            if (mode == RendezvousHello.TypePunch)
            {
                await PunchAsync(partner, me);
            }
            else
            {
                await SpliceAsync(me.Claim!.Side == RelaySide.Caller ? me : partner, me.Claim.Side == RelaySide.Caller ? partner : me);
            }
        }
        catch (Exception exception)
        {
            _logger.LogWarning(exception, "Rendezvous connection failed");
        }
        finally
        {
            if (pendingHeld && handedOver is null)
            {
                Interlocked.Decrement(ref _pending);
            }

            if (handedOver is null)
            {
                await stream.DisposeAsync();
            }
        }
    }

    /// <summary>TLS (when on) and the hello's bytes within <see cref="HelloTimeout"/>; null when read, else the outcome.</summary>
    private async Task<string?> ReadHelloAsync(Stream stream, byte[] hello, Action<Stream> replaced)
    {
        using var timeout = new CancellationTokenSource(HelloTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
        Interlocked.Increment(ref _helloTimers);
        try
        {
            if (_certificate is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                replaced(ssl);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, linked.Token);
                stream = ssl;
            }

            await stream.ReadExactlyAsync(hello, linked.Token);
            return null;
        }
        catch (OperationCanceledException)
        {
            return _stopping.IsCancellationRequested ? Stopped : HelloTimedOut;
        }
        catch (Exception exception) when (exception is IOException or EndOfStreamException or AuthenticationException or SocketException or ObjectDisposedException)
        {
            return Malformed;
        }
        finally
        {
            Interlocked.Decrement(ref _helloTimers);
        }
    }

    /// <summary>
    /// Checks and spends the hello's ticket, and pairs <paramref name="me"/> with a waiting other side or
    /// leaves it waiting. Null when admitted (<paramref name="partner"/> set when paired), else the refusal.
    /// </summary>
    private string? Admit(Side me, ReadOnlySpan<byte> ticket, out Side? partner)
    {
        partner = null;
        lock (_gate)
        {
            var outcome = _tickets.Check(ticket, me.Mode, out var claim);
            if (outcome != ClaimOutcome.Ok)
            {
                return outcome switch
                {
                    ClaimOutcome.Reused => ReusedTicket,
                    ClaimOutcome.Expired => ExpiredTicket,
                    _ => UnknownTicket,
                };
            }

            var key = (claim!.SessionId, me.Mode);
            if (_waiting.TryGetValue(key, out var other) && (other.Claim!.Side == claim.Side || other.Partner.Task.IsCompleted))
            {
                // The other one is on its way out (timed out or ended); it releases its own slot.
                _waiting.Remove(key);
                other = null;
            }

            var relay = me.Mode == RendezvousHello.TypeRelay;
            if (other is null && relay && _reservedRelays >= _options.RelayMaxSessions)
            {
                return Busy;
            }

            _tickets.Claim(ticket, me.Mode, out _);
            me.Claim = claim;
            if (other is not null && other.Partner.TrySetResult(me))
            {
                _waiting.Remove(key);
                partner = other;
                if (relay)
                {
                    _relays[claim.SessionId] = new Relay(claim.SessionId, claim.ByteLimit);
                }

                return null;
            }

            if (relay)
            {
                _reservedRelays++;
            }

            _waiting[key] = me;
            return null;
        }
    }

    /// <summary>Waits at most <see cref="PeerWait"/>; true when the partner's task took this side over.</summary>
    private async Task<bool> WaitForPartnerAsync(Side me)
    {
        using (var wait = new CancellationTokenSource(PeerWait, _time))
        using (wait.Token.Register(() => me.Partner.TrySetResult(null)))
        using (_stopping.Token.Register(() => me.Partner.TrySetResult(null)))
        {
            Interlocked.Increment(ref _waitTimers);
            try
            {
                if (await me.Partner.Task is not null)
                {
                    return true;
                }
            }
            finally
            {
                Interlocked.Decrement(ref _waitTimers);
            }
        }

        lock (_gate)
        {
            var key = (me.Claim!.SessionId, me.Mode);
            if (_waiting.TryGetValue(key, out var waiting) && ReferenceEquals(waiting, me))
            {
                _waiting.Remove(key);
            }

            if (me.Mode == RendezvousHello.TypeRelay)
            {
                _reservedRelays--;
            }
        }

        ForgetProbe(me);
        _metrics.CountRelaySession(me.EndedBy ?? (_stopping.IsCancellationRequested ? Stopped : PeerMissing));
        return false;
    }

    /// <summary>
    /// Waits (at most <see cref="ProbeWait"/>) for both sides' probes, then answers each side with the
    /// other's observed endpoint and the start delay, or both with relay now when a mapping is
    /// port-dependent; then closes both.
    /// </summary>
    private async Task PunchAsync(Side first, Side second)
    {
        try
        {
            await AwaitProbesAsync(first, second);
            var caller = first.Claim!.Side == RelaySide.Caller ? first : second;
            var callee = ReferenceEquals(caller, first) ? second : first;
            var callerKind = MappingKind(caller);
            var calleeKind = MappingKind(callee);
            _metrics.CountNatMapping(callerKind);
            _metrics.CountNatMapping(calleeKind);
            var skip = SkipReason(callerKind, calleeKind);
            var sessionId = first.Claim.SessionId;
            _logger.LogInformation(
                "Rendezvous {SessionId}: caller mapping {CallerKind}, callee mapping {CalleeKind}: {Decision}",
                sessionId, callerKind, calleeKind, skip is null ? "punch" : "relay at once");
            using var timeout = new CancellationTokenSource(HelloTimeout, _time);
            if (skip is not null)
            {
                // Recorded first: the devices' relay hellos may follow the answers at once.
                MarkSkipped(sessionId, skip);
                await Task.WhenAll(AnswerRelayNowAsync(first, timeout.Token), AnswerRelayNowAsync(second, timeout.Token));
                _metrics.CountRelaySession(PunchSkipped);
                return;
            }

            await Task.WhenAll(AnswerPunchAsync(first, second, timeout.Token), AnswerPunchAsync(second, first, timeout.Token));
            _metrics.CountRelaySession(Punched);
            AwaitPunchOutcome(sessionId);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            _metrics.CountRelaySession(Closed);
        }
        finally
        {
            ForgetProbe(first);
            ForgetProbe(second);
            await first.Stream.DisposeAsync();
            await second.Stream.DisposeAsync();
        }
    }

    /// <summary>The attempt log's reason when a side's mapping is port-dependent; null: punch.</summary>
    internal static string? SkipReason(string callerKind, string calleeKind) =>
        (callerKind == MappingKinds.PortDependent, calleeKind == MappingKinds.PortDependent) switch
        {
            (true, true) => RelayReasons.BothPortDependent,
            (true, false) => RelayReasons.CallerPortDependent,
            (false, true) => RelayReasons.CalleePortDependent,
            _ => null,
        };

    /// <summary>
    /// The side's mapping: the same address and port at both server ports is endpoint-independent, any
    /// difference port-dependent; no probe, unknown.
    /// </summary>
    private static string MappingKind(Side side)
    {
        var seen = side.ProbeSeen.Task.IsCompletedSuccessfully ? side.ProbeSeen.Task.Result : null;
        if (seen is null)
        {
            return MappingKinds.Unknown;
        }

        return seen.Port == side.Remote.Port && Plain(seen.Address).Equals(Plain(side.Remote.Address))
            ? MappingKinds.EndpointIndependent
            : MappingKinds.PortDependent;
    }

    private static IPAddress Plain(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>
    /// Both sides' probes, or the end of <see cref="ProbeWait"/> (or the stop) for those still missing. It
    /// waits for the second even when the first is port-dependent, so the metric and the reason name both.
    /// </summary>
    private async Task AwaitProbesAsync(Side first, Side second)
    {
        if (first.ProbeSeen.Task.IsCompleted && second.ProbeSeen.Task.IsCompleted)
        {
            return;
        }

        void GiveUp()
        {
            first.ProbeSeen.TrySetResult(null);
            second.ProbeSeen.TrySetResult(null);
        }

        using var wait = new CancellationTokenSource(ProbeWait, _time);
        using var timedOut = wait.Token.Register(GiveUp);
        using var stopped = _stopping.Token.Register(GiveUp);
        Interlocked.Increment(ref _probeTimers);
        try
        {
            await Task.WhenAll(first.ProbeSeen.Task, second.ProbeSeen.Task);
        }
        finally
        {
            Interlocked.Decrement(ref _probeTimers);
        }
    }

    /// <summary>
    /// With the probe port on and a ticket that would be admitted, tells the punch side to probe from its
    /// local port and keeps it where the probe finds it; otherwise its mapping stays unknown.
    /// </summary>
    private async Task InviteProbeAsync(Side me, ReadOnlyMemory<byte> ticket)
    {
        var invited = false;
        if (ProbeBoundPort > 0 && _tickets.Check(ticket.Span, RendezvousHello.TypePunch, out var claim) == ClaimOutcome.Ok)
        {
            lock (_gate)
            {
                invited = _probing.TryAdd((claim!.SessionId, claim.Side), me);
                if (invited)
                {
                    me.ProbeKey = (claim.SessionId, claim.Side);
                }
            }
        }

        if (!invited)
        {
            me.ProbeSeen.TrySetResult(null);
            return;
        }

        var answer = new byte[RendezvousHello.MaxAnswerLength];
        var length = RendezvousHello.WriteProbeAt(answer, ProbeBoundPort);
        try
        {
            using var timeout = new CancellationTokenSource(HelloTimeout, _time);
            await me.Stream.WriteAsync(answer.AsMemory(0, length), timeout.Token);
            await me.Stream.FlushAsync(timeout.Token);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The side is gone or slow; its punch hello is still checked as any other, and the pair finds it closed.
            me.ProbeSeen.TrySetResult(null);
        }
    }

    /// <summary>The side no longer takes a probe.</summary>
    private void ForgetProbe(Side side)
    {
        side.ProbeSeen.TrySetResult(null);
        lock (_gate)
        {
            if (side.ProbeKey is { } key && _probing.TryGetValue(key, out var probing) && ReferenceEquals(probing, side))
            {
                _probing.Remove(key);
            }
        }
    }

    /// <summary>
    /// One connection to the probe port: TLS (when on) and a probe hello within <see cref="HelloTimeout"/>,
    /// naming a ticket whose punch side was invited and has not probed yet. It records the address and
    /// port it came from for that side, answers them, and closes; anything else is closed unanswered.
    /// </summary>
    private async Task ProbeConnectionAsync(Socket socket)
    {
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            var hello = new byte[RendezvousHello.HelloLength];
            var failure = await ReadHelloAsync(stream, hello, ssl => stream = ssl);
            if (failure is not null)
            {
                _metrics.CountRelaySession(failure);
                return;
            }

            var reader = new RendezvousHello();
            if (!reader.Read(hello, hello.Length) || reader.Type != RendezvousHello.TypeProbe)
            {
                _metrics.CountRelaySession(Malformed);
                return;
            }

            var outcome = _tickets.Check(hello.AsSpan(RendezvousHello.HeaderLength, RendezvousHello.TicketLength), RendezvousHello.TypeProbe, out var claim);
            Array.Clear(hello);
            if (outcome != ClaimOutcome.Ok)
            {
                _metrics.CountRelaySession(outcome switch
                {
                    ClaimOutcome.Reused => ReusedTicket,
                    ClaimOutcome.Expired => ExpiredTicket,
                    _ => UnknownTicket,
                });
                return;
            }

            var remote = (IPEndPoint)socket.RemoteEndPoint!;
            var seen = new IPEndPoint(Plain(remote.Address), remote.Port);
            Side? side;
            lock (_gate)
            {
                _probing.TryGetValue((claim!.SessionId, claim.Side), out side);
            }

            if (side is null || !side.ProbeSeen.TrySetResult(seen))
            {
                _metrics.CountRelaySession(UnexpectedProbe);
                return;
            }

            _metrics.CountRelaySession(ProbeSeen);
            var answer = new byte[RendezvousHello.MaxAnswerLength];
            var length = RendezvousHello.WriteProbeSeen(answer, seen.Address.GetAddressBytes(), seen.Port);
            using var timeout = new CancellationTokenSource(HelloTimeout, _time);
            await stream.WriteAsync(answer.AsMemory(0, length), timeout.Token);
            await stream.FlushAsync(timeout.Token);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The probe's answer is for the device's log only: the observation already counts.
        }
        catch (Exception exception)
        {
            _logger.LogWarning(exception, "Rendezvous probe connection failed");
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
            await stream.DisposeAsync();
        }
    }

    private static async Task AnswerRelayNowAsync(Side to, CancellationToken cancellation)
    {
        var answer = new byte[RendezvousHello.MaxAnswerLength];
        var length = RendezvousHello.WriteRelayNow(answer);
        await to.Stream.WriteAsync(answer.AsMemory(0, length), cancellation);
        await to.Stream.FlushAsync(cancellation);
    }

    /// <summary>The pair was sent to the relay at once: its relay settles with <paramref name="reason"/> (for at most the claim window).</summary>
    private void MarkSkipped(string sessionId, string reason)
    {
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            if (_skipped.Remove(sessionId, out var old))
            {
                old.Timer.Dispose();
            }

            _skipped[sessionId] = (_time.CreateTimer(_ => TakeSkip(sessionId), null, RelayTickets.ClaimWindow, Timeout.InfiniteTimeSpan), reason);
        }
    }

    /// <summary>Why the session's punch was skipped, when it was (now taken); null otherwise.</summary>
    private string? TakeSkip(string sessionId)
    {
        lock (_gate)
        {
            if (!_skipped.Remove(sessionId, out var skipped))
            {
                return null;
            }

            skipped.Timer.Dispose();
            return skipped.Reason;
        }
    }

    private static async Task AnswerPunchAsync(Side to, Side peer, CancellationToken cancellation)
    {
        var address = peer.Remote.Address.IsIPv4MappedToIPv6 ? peer.Remote.Address.MapToIPv4() : peer.Remote.Address;
        var answer = new byte[RendezvousHello.MaxAnswerLength];
        var length = RendezvousHello.WritePunchPeer(answer, address.GetAddressBytes(), peer.Remote.Port, StartDelayMillis);
        await to.Stream.WriteAsync(answer.AsMemory(0, length), cancellation);
        await to.Stream.FlushAsync(cancellation);
    }

    /// <summary>Tells both sides the relay is ready, then forwards both ways until the relay ends.</summary>
    private async Task SpliceAsync(Side caller, Side callee)
    {
        Relay relay;
        lock (_gate)
        {
            relay = _relays[caller.Claim!.SessionId];
        }

        var endsAt = caller.Claim.EndsAt;
        ITimer? endTimer = null;
        try
        {
            if (endsAt != 0)
            {
                var delay = TimeSpan.FromMilliseconds(Math.Max(0, (endsAt * 1000) - _time.GetUtcNow().ToUnixTimeMilliseconds()));
                endTimer = _time.CreateTimer(_ => relay.End(TimeLimit), null, delay, Timeout.InfiniteTimeSpan);
                lock (_gate)
                {
                    relay.EndTimer = endTimer;
                }
            }

            Interlocked.Increment(ref _relayTimers);
            _logger.LogInformation("Relay {SessionId} started", relay.SessionId);
            await SettleAsync(relay.SessionId, ConnectionPathsRelayed, TakeSkip(relay.SessionId) ?? (TakePunch(relay.SessionId) ? RelayReasons.PunchFailed : RelayReasons.PunchNotPaired));
            var ready = new byte[RendezvousHello.MaxAnswerLength];
            var readyLength = RendezvousHello.WriteRelayReady(ready);
            try
            {
                await caller.Stream.WriteAsync(ready.AsMemory(0, readyLength), relay.Token);
                await callee.Stream.WriteAsync(ready.AsMemory(0, readyLength), relay.Token);
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
            {
                relay.End(Closed);
            }

            var upstream = PumpAsync(relay, caller, callee);
            var downstream = PumpAsync(relay, callee, caller);
            var both = Task.WhenAll(upstream, downstream);
            await Task.WhenAny(upstream, downstream, relay.Ending);
            if (!relay.Ending.IsCompleted && !both.IsCompleted)
            {
                // Not both directions are done: the last bytes of the side still open get a bounded time.
                using var drain = _time.CreateTimer(_ => relay.End(Closed), null, DrainTimeout, Timeout.InfiniteTimeSpan);
                await Task.WhenAny(both, relay.Ending);
            }

            relay.End(Closed);
            await caller.Stream.DisposeAsync();
            await callee.Stream.DisposeAsync();
            await both.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            Interlocked.Decrement(ref _relayTimers);
            lock (_gate)
            {
                relay.EndTimer = null;
            }

            endTimer?.Dispose();
            await caller.Stream.DisposeAsync();
            await callee.Stream.DisposeAsync();
            lock (_gate)
            {
                _relays.Remove(relay.SessionId);
                _reservedRelays--;
            }

            _metrics.CountRelaySession(relay.Outcome!);
            _logger.LogInformation("Relay {SessionId} ended: {Outcome}, {Bytes} bytes", relay.SessionId, relay.Outcome, relay.Forwarded);
        }
    }

    /// <summary>One direction: read, count, forward; never beyond the byte limit.</summary>
    private async Task PumpAsync(Relay relay, Side from, Side to)
    {
        var buffer = new byte[BufferLength];
        var direction = from.Claim!.Side;
        var token = relay.Token;
        try
        {
            while (true)
            {
                var read = await from.Stream.ReadAsync(buffer, token);
                if (read == 0)
                {
                    // Half-close: the other side sees end of stream after the last byte, and may still answer.
                    relay.SideClosed();
                    if (to.Stream is SslStream ssl)
                    {
                        await ssl.ShutdownAsync();
                    }

                    to.Socket.Shutdown(SocketShutdown.Send);
                    return;
                }

                var before = Interlocked.Add(ref relay.Counted, read) - read;
                var allowed = read;
                var atLimit = false;
                if (relay.ByteLimit > 0 && relay.ByteLimit - before <= read)
                {
                    allowed = (int)Math.Max(0, relay.ByteLimit - before);
                    atLimit = true;
                }

                if (allowed > 0)
                {
                    Tap?.Invoke(relay.SessionId, direction, buffer.AsSpan(0, allowed));
                    await to.Stream.WriteAsync(buffer.AsMemory(0, allowed), token);
                    Interlocked.Add(ref relay.Forwarded, allowed);
                    _metrics.AddRelayBytes(allowed);
                }

                if (atLimit)
                {
                    relay.End(ByteLimit);
                    return;
                }
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            relay.End(Closed);
        }
    }

    private const string ConnectionPathsRelayed = PeerGate.Protocol.ConnectionPaths.Relayed;

    /// <summary>A punch pair was answered: the session counts as punched unless its relay splices within the claim window.</summary>
    private void AwaitPunchOutcome(string sessionId)
    {
        lock (_gate)
        {
            if (_punched.ContainsKey(sessionId) || _stopping.IsCancellationRequested)
            {
                return;
            }

            _punched[sessionId] = _time.CreateTimer(
                _ =>
                {
                    if (TakePunch(sessionId))
                    {
                        // A timer callback: SettleAsync catches what it meets, so nothing is left unobserved.
                        _ = SettleAsync(sessionId, PeerGate.Protocol.ConnectionPaths.Punched, null);
                    }
                },
                null,
                RelayTickets.ClaimWindow,
                Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>True when a punch pair of the session was pending its outcome (now taken).</summary>
    private bool TakePunch(string sessionId)
    {
        lock (_gate)
        {
            if (!_punched.Remove(sessionId, out var timer))
            {
                return false;
            }

            timer.Dispose();
            return true;
        }
    }

    private async Task SettleAsync(string sessionId, string path, string? reason)
    {
        try
        {
            if (PathSettled is { } settled)
            {
                await settled(sessionId, path, reason);
            }
        }
        catch (Exception exception)
        {
            // The record is bookkeeping: a failure to write it never stops the relay.
            _logger.LogWarning(exception, "Could not record the path of session {SessionId}", sessionId);
        }
    }

    /// <summary>One side's connection after its hello.</summary>
    private sealed class Side(Socket socket, Stream stream, IPEndPoint remote, byte mode)
    {
        public Socket Socket { get; } = socket;
        public Stream Stream { get; } = stream;
        public IPEndPoint Remote { get; } = remote;
        public byte Mode { get; } = mode;
        public RelayClaim? Claim { get; set; }

        /// <summary>Set when the side stopped waiting for a reason other than time (End).</summary>
        public string? EndedBy { get; set; }

        /// <summary>Completed by the other side's task (with it) or by a timeout, End or stop (with null).</summary>
        public TaskCompletionSource<Side?> Partner { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Where a punch side was invited to probe; null when it was not.</summary>
        public (string SessionId, RelaySide Side)? ProbeKey { get; set; }

        /// <summary>The endpoint its probe came from, or null: not invited, no probe in time, or gone.</summary>
        public TaskCompletionSource<IPEndPoint?> ProbeSeen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Relay(string sessionId, long byteLimit)
    {
        private readonly CancellationTokenSource _cancel = new();
        private readonly TaskCompletionSource _ending = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private string? _outcome;
        private int _closedSides;

        public long Counted;
        public long Forwarded;

        public string SessionId { get; } = sessionId;
        private long _byteLimit = byteLimit;

        /// <summary>Bytes forwarded at most, both directions together; an extension raises it.</summary>
        public long ByteLimit
        {
            get => Volatile.Read(ref _byteLimit);
            set => Volatile.Write(ref _byteLimit, value);
        }

        /// <summary>Fires at the session's end time; an extension moves it.</summary>
        public ITimer? EndTimer { get; set; }

        public string? Outcome => Volatile.Read(ref _outcome);
        public CancellationToken Token => _cancel.Token;
        public Task Ending => _ending.Task;

        /// <summary>The first reason wins; every read and write of the relay stops.</summary>
        public void End(string outcome)
        {
            if (Interlocked.CompareExchange(ref _outcome, outcome, null) is null)
            {
                _ending.TrySetResult();
                try
                {
                    _cancel.Cancel();
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }

        /// <summary>Both sides closed their sending side: the relay is over.</summary>
        public void SideClosed()
        {
            if (Interlocked.Increment(ref _closedSides) == 2)
            {
                End(Closed);
            }
        }
    }
}
