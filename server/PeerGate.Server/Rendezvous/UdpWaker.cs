using System.Net;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Identity;
using PeerGate.Server.Observability;
using PeerGate.Server.Storage;
using PeerGate.Server.Triggers;

namespace PeerGate.Server.Rendezvous;

/// <summary>
/// Wakes a device through its UDP mapping when a trigger is queued for it: a wake datagram carrying
/// the newest trigger seq, tagged with the UDP key of the certificate that made the mapping, sent from
/// the listener's own socket (the one the device's registrations reach, so its NAT lets the answer in).
/// UDP may lose it, so it is sent again after <see cref="RetryDelays"/> until the device has polled
/// past that seq, its mapping goes stale, or the retries run out. The queue stays the truth: a wake
/// given up costs only latency, the device's long-poll or next fetch still finds every trigger.
/// </summary>
/// <remarks>
/// The hot path reads no database: the mapping keeps the UDP key and expiry of the certificate its
/// last registration was verified with, standing comes from <see cref="StandingSet"/> (kept current by
/// every writer), and a trigger committed with its seq is woken with that seq. Only a mapping read back
/// at start (no key until its next registration) or a fleet with a refused group reads SQLite.
/// </remarks>
public sealed class UdpWaker(UdpMappings mappings, UdpRegistrar registrar, TriggerStore triggers, Database database, StandingSet standing, TimeProvider time, ServerMetrics metrics, ILogger<UdpWaker> logger)
    : IDisposable
{
    // Outcomes, the labels of peergate_udp_wakes_total.
    public const string Sent = "sent";
    public const string Retried = "retried";
    public const string GivenUp = "given_up";

    /// <summary>
    /// The wait before each retry, doubling: retries 1, 3, 7 and 15 s after the first send; a device
    /// that has still not polled past the seq 16 s after the last retry (31 s) is given up.
    /// </summary>
    public static readonly TimeSpan[] RetryDelays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(16)];

    private readonly HostPeerCrypto _crypto = new();

    // One record per device with a mapping, each locked on itself: a poll or a wake of one device never
    // waits for another's (a global lock here stood in the way of every poll and every wake).
    private readonly CountedDictionary<string, WakeState> _states = new(StringComparer.Ordinal);

    private sealed class WakeState(string terminalId)
    {
        public readonly string TerminalId = terminalId;

        /// <summary>The newest seq the device is known to have.</summary>
        public long Reached;

        /// <summary>The schedule of retries under way, or null.</summary>
        public PendingWake? Pending;
    }

    private sealed class PendingWake(WakeState state)
    {
        public readonly WakeState State = state;
        public long Seq;
        public int Retries;
        public ITimer? Timer;
    }

    /// <summary>
    /// A trigger was queued for the terminal: when its mapping is fresh, wakes it now with the newest
    /// seq and schedules the retries. A newer trigger restarts the schedule with its seq.
    /// </summary>
    public void Wake(string terminalId)
    {
        if (registrar.BoundPort == 0 || !mappings.TryGetFresh(terminalId, time.GetUtcNow().ToUnixTimeSeconds(), out _, out _, out _))
        {
            return;
        }

        Wake(terminalId, triggers.LastSeq(terminalId));
    }

    /// <summary>As <see cref="Wake(string)"/> for a trigger just committed with <paramref name="seq"/>, the newest in the queue: no read of the queue's last seq.</summary>
    public void Wake(string terminalId, long seq)
    {
        if (seq <= 0 || registrar.BoundPort == 0 || !mappings.TryGetFresh(terminalId, time.GetUtcNow().ToUnixTimeSeconds(), out _, out _, out _))
        {
            return;
        }

        var state = State(terminalId);
        lock (state)
        {
            if (state.Reached >= seq)
            {
                return;
            }

            if (!TrySend(terminalId, seq))
            {
                return;
            }

            metrics.CountUdpWake(Sent);
            var pending = state.Pending;
            if (pending is null)
            {
                pending = new PendingWake(state);
                pending.Timer = time.CreateTimer(p => Retry((PendingWake)p!), pending, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                state.Pending = pending;
            }

            pending.Seq = Math.Max(pending.Seq, seq);
            pending.Retries = 0;
            pending.Timer!.Change(RetryDelays[0], Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// The device has everything up to <paramref name="seq"/>: it polled with that cursor, or a poll
    /// handed it out. Ends the retries of any wake not newer. Kept only for devices with a UDP mapping,
    /// and pruned once mappings expire (<see cref="Prune"/>), so the records are bounded by the mappings'
    /// limit and a poll of any other device costs one lookup.
    /// </summary>
    public void Reached(string terminalId, long seq)
    {
        if (!mappings.Has(terminalId))
        {
            return;
        }

        var state = State(terminalId);
        lock (state)
        {
            if (seq > state.Reached)
            {
                state.Reached = seq;
            }

            if (state.Pending is { } pending && pending.Seq <= seq)
            {
                Drop(pending);
            }
        }
    }

    /// <summary>Wakes waiting for a retry; for tests.</summary>
    public int PendingCount => _states.Values.Count(state => Volatile.Read(ref state.Pending) is not null);

    public void Dispose()
    {
        foreach (var state in _states.Values)
        {
            lock (state)
            {
                if (state.Pending is { } pending)
                {
                    Drop(pending);
                }
            }
        }
    }

    /// <summary>Devices with a wake record (for tests): at most twice the mappings' limit.</summary>
    public int TrackedCount => _states.Count;

    private WakeState State(string terminalId)
    {
        if (_states.TryGetValue(terminalId, out var state))
        {
            return state;
        }

        if (_states.Count >= 2 * mappings.Limit)
        {
            Prune();
        }

        return _states.GetOrAdd(terminalId, new WakeState(terminalId));
    }

    /// <summary>
    /// Forgets the devices whose mapping is gone (expired from memory) and that have no wake under way:
    /// at worst one needless wake if one registers again. Only once the records reach twice the
    /// mappings' limit, so one pass is paid for by at least as many new records.
    /// </summary>
    private void Prune()
    {
        foreach (var (terminalId, state) in _states)
        {
            lock (state)
            {
                if (state.Pending is null && !mappings.Has(terminalId))
                {
                    _states.TryRemove(new KeyValuePair<string, WakeState>(terminalId, state));
                }
            }
        }
    }

    private void Retry(PendingWake pending)
    {
        var state = pending.State;
        lock (state)
        {
            if (!ReferenceEquals(state.Pending, pending))
            {
                return;
            }

            if (pending.Retries >= RetryDelays.Length - 1 || !TrySend(state.TerminalId, pending.Seq))
            {
                metrics.CountUdpWake(GivenUp);
                Drop(pending);
                return;
            }

            metrics.CountUdpWake(Retried);
            pending.Retries++;
            pending.Timer!.Change(RetryDelays[pending.Retries], Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Ends a schedule; under its state's lock.</summary>
    private static void Drop(PendingWake pending)
    {
        pending.Timer?.Dispose();
        if (ReferenceEquals(pending.State.Pending, pending))
        {
            pending.State.Pending = null;
        }
    }

    /// <summary>
    /// Sends one wake when the mapping is fresh and its certificate still stands (not revoked, expired,
    /// or of a device or group refused); false when nothing was sent.
    /// </summary>
    private bool TrySend(string terminalId, long seq)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (!mappings.TryGetWake(terminalId, now, out var serial, out var deviceId, out var observed, out var observedPort, out var key, out var expiresAt))
        {
            return false;
        }

        try
        {
            if (key is not null && !standing.RefusesGroups)
            {
                // From memory: the certificate that made the mapping, its expiry, its serial's and device's standing.
                if (expiresAt <= now || standing.IsRevoked(serial) || standing.IsRefused(deviceId, []))
                {
                    return false;
                }
            }
            else
            {
                key = ReadKey(terminalId, serial, now);
            }

            if (key is null)
            {
                return false;
            }

            var datagram = new byte[RendezvousDatagram.MaxLength];
            var length = RendezvousDatagram.WriteWake(datagram, terminalId, serial, seq, key, _crypto, new byte[RendezvousDatagram.WorkLength]);
            return registrar.TrySend(datagram.AsSpan(0, length), new IPEndPoint(UdpMappings.ToAddress(observed), observedPort));
        }
        catch (Exception exception)
        {
            // The queue still holds the trigger; the long-poll delivers it.
            logger.LogWarning(exception, "UDP wake not sent");
            return false;
        }
    }

    /// <summary>The key of a certificate that still stands, from SQLite (the same SQL as every certificate route); null when it does not.</summary>
    private byte[]? ReadKey(string terminalId, string serial, long now) =>
        database.Read(connection => connection.Scalar(
            null,
            "SELECT k.udp_key FROM udp_keys k JOIN certificates c ON c.serial = k.serial " +
            "WHERE k.serial = @serial AND c.terminal_id = @terminal AND c.expires_at > @now AND c.revoked = 0 AND NOT " + DeviceStanding.RefusedSql("c.device_id") + ";",
            ("@serial", serial), ("@terminal", terminalId), ("@now", now))) as byte[];
}
