using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using PeerGate.Protocol.Rendezvous;

[assembly: InternalsVisibleTo("PeerGate.Server.Tests")]
[assembly: InternalsVisibleTo("PeerGate.VirtualDevice.Tests")]

namespace PeerGate.Server.Rendezvous;

/// <summary>
/// The two tickets of one session at the rendezvous endpoint (F37): each side presents its own in its
/// hello. <see cref="ExpiresAt"/> (Unix seconds) is the last moment either may first be presented.
/// </summary>
public sealed record RelayTicketPair(string SessionId, byte[] Caller, byte[] Callee, long ExpiresAt);

/// <summary>Which side of its session a ticket belongs to.</summary>
public enum RelaySide
{
    Caller,
    Callee,
}

/// <summary>
/// The ticket book of the rendezvous endpoint, in memory only: a restart forgets every ticket, and the
/// devices then fall back as for any failed path. <see cref="Issue"/> gives a session two random 32-byte
/// tickets. Each is good for one punch hello and one relay hello (the relay being the fallback of a
/// failed punch), each once, within <see cref="ClaimWindow"/> of issue and never past the session's end.
/// The book holds at most <see cref="Capacity"/> sessions and refuses a new one when full of live ones
/// (rather than dropping another session's tickets). Thread-safe.
/// </summary>
public sealed class RelayTickets
{
    /// <summary>The sessions held at most, unless a test asks for fewer.</summary>
    public const int DefaultCapacity = 10_000;

    /// <summary>How long after issue a ticket may first be presented: a grant is used at once, or never.</summary>
    public static readonly TimeSpan ClaimWindow = TimeSpan.FromSeconds(60);

    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _byTicket = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Session> _bySession = new(StringComparer.Ordinal);

    public RelayTickets(TimeProvider time)
        : this(time, DefaultCapacity)
    {
    }

    internal RelayTickets(TimeProvider time, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _time = time;
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>Sessions with tickets in the book now (live or not yet swept).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _bySession.Count;
            }
        }
    }

    /// <summary>
    /// Two fresh tickets for <paramref name="sessionId"/>, replacing any it held. <paramref name="endsAt"/>
    /// (Unix seconds, 0 none) ends the relay; <paramref name="byteLimit"/> (0 none) bounds the bytes it
    /// forwards, both directions together, framing and all (see <see cref="RelayByteLimit"/>). Null when
    /// the session has already ended or the book is full of live sessions.
    /// </summary>
    public RelayTicketPair? Issue(string sessionId, long endsAt, long byteLimit)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentOutOfRangeException.ThrowIfNegative(endsAt);
        ArgumentOutOfRangeException.ThrowIfNegative(byteLimit);
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (endsAt != 0 && endsAt <= now)
        {
            return null;
        }

        var expiresAt = now + (long)ClaimWindow.TotalSeconds;
        if (endsAt != 0)
        {
            expiresAt = Math.Min(expiresAt, endsAt);
        }

        lock (_gate)
        {
            RemoveLocked(sessionId);
            if (_bySession.Count >= Capacity)
            {
                SweepLocked(now);
                if (_bySession.Count >= Capacity)
                {
                    return null;
                }
            }

            var session = new Session(sessionId, endsAt, byteLimit, expiresAt);
            session.Caller = new Entry(session, RelaySide.Caller, RandomNumberGenerator.GetBytes(RendezvousHello.TicketLength));
            session.Callee = new Entry(session, RelaySide.Callee, RandomNumberGenerator.GetBytes(RendezvousHello.TicketLength));
            _bySession[sessionId] = session;
            _byTicket[session.Caller.Key] = session.Caller;
            _byTicket[session.Callee.Key] = session.Callee;
            return new RelayTicketPair(sessionId, (byte[])session.Caller.Ticket.Clone(), (byte[])session.Callee.Ticket.Clone(), expiresAt);
        }
    }

    /// <summary>
    /// The relay byte limit for a session whose devices count <paramref name="sessionByteLimit"/> bytes of
    /// application data (0 none): twice that plus 64 KiB, so the devices, which stop at their own limit,
    /// always stop first (a full Data frame adds 74 bytes of framing to 4096; the handshake and Close
    /// frames a few hundred), and the relay's own limit only stops a device that ignores its limit.
    /// </summary>
    public static long RelayByteLimit(long sessionByteLimit) =>
        sessionByteLimit <= 0 ? 0 : sessionByteLimit >= long.MaxValue / 4 ? long.MaxValue / 2 : (2 * sessionByteLimit) + (64 * 1024);

    /// <summary>
    /// An extension granted (F24): a relay not yet claimed takes the new end and relay byte limit. False
    /// when the session holds no tickets.
    /// </summary>
    public bool UpdateLimits(string sessionId, long endsAt, long byteLimit)
    {
        lock (_gate)
        {
            if (!_bySession.TryGetValue(sessionId, out var session))
            {
                return false;
            }

            session.EndsAt = endsAt;
            session.ByteLimit = byteLimit;
            return true;
        }
    }

    /// <summary>Drops the session's tickets: none of them is accepted any more. False when it held none.</summary>
    public bool Revoke(string sessionId)
    {
        lock (_gate)
        {
            return RemoveLocked(sessionId);
        }
    }

    /// <summary>
    /// What a hello with <paramref name="ticket"/> in <paramref name="mode"/> would claim, without claiming
    /// it: the outcome (<see cref="ClaimOutcome.Ok"/> or why not) and, when ok, the ticket's session. A
    /// probe (<see cref="RendezvousHello.TypeProbe"/>) is never claimed: it is good until the relay is spent.
    /// </summary>
    internal ClaimOutcome Check(ReadOnlySpan<byte> ticket, byte mode, out RelayClaim? claim)
    {
        claim = null;
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        lock (_gate)
        {
            if (!_byTicket.TryGetValue(Convert.ToHexString(ticket), out var entry))
            {
                return ClaimOutcome.Unknown;
            }

            if (entry.RelaySpent || (mode == RendezvousHello.TypePunch && entry.PunchSpent))
            {
                return ClaimOutcome.Reused;
            }

            if (entry.Session.ExpiresAt <= now)
            {
                return ClaimOutcome.Expired;
            }

            claim = new RelayClaim(entry.Session.SessionId, entry.Side, entry.Session.EndsAt, entry.Session.ByteLimit);
            return ClaimOutcome.Ok;
        }
    }

    /// <summary>Checks as <see cref="Check"/> does and, when ok, spends the ticket for <paramref name="mode"/>.</summary>
    internal ClaimOutcome Claim(ReadOnlySpan<byte> ticket, byte mode, out RelayClaim? claim)
    {
        lock (_gate)
        {
            var outcome = Check(ticket, mode, out claim);
            if (outcome != ClaimOutcome.Ok)
            {
                return outcome;
            }

            var entry = _byTicket[Convert.ToHexString(ticket)];
            if (mode == RendezvousHello.TypePunch)
            {
                entry.PunchSpent = true;
            }
            else
            {
                entry.RelaySpent = true;
                if (entry.Session.Caller!.RelaySpent && entry.Session.Callee!.RelaySpent)
                {
                    RemoveLocked(entry.Session.SessionId);
                }
            }

            return outcome;
        }
    }

    private bool RemoveLocked(string sessionId)
    {
        if (!_bySession.Remove(sessionId, out var session))
        {
            return false;
        }

        _byTicket.Remove(session.Caller!.Key);
        _byTicket.Remove(session.Callee!.Key);
        return true;
    }

    private void SweepLocked(long now)
    {
        foreach (var session in _bySession.Values.Where(session => session.ExpiresAt <= now).ToList())
        {
            RemoveLocked(session.SessionId);
        }
    }

    private sealed class Session(string sessionId, long endsAt, long byteLimit, long expiresAt)
    {
        public string SessionId { get; } = sessionId;
        public long EndsAt { get; set; } = endsAt;
        public long ByteLimit { get; set; } = byteLimit;
        public long ExpiresAt { get; } = expiresAt;
        public Entry? Caller { get; set; }
        public Entry? Callee { get; set; }
    }

    private sealed class Entry(Session session, RelaySide side, byte[] ticket)
    {
        public Session Session { get; } = session;
        public RelaySide Side { get; } = side;
        public byte[] Ticket { get; } = ticket;
        public string Key { get; } = Convert.ToHexString(ticket);
        public bool PunchSpent { get; set; }
        public bool RelaySpent { get; set; }
    }
}

/// <summary>Why a ticket was or was not accepted.</summary>
internal enum ClaimOutcome
{
    Ok,
    Unknown,
    Reused,
    Expired,
}

/// <summary>A ticket accepted for one side of a session, with what the relay must enforce.</summary>
internal sealed record RelayClaim(string SessionId, RelaySide Side, long EndsAt, long ByteLimit);
