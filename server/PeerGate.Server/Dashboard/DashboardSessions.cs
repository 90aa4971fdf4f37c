using System.Security.Cryptography;
using System.Text;

namespace PeerGate.Server.Dashboard;

/// <summary>
/// The dashboard's logins (F33), in memory only: the cookie holds 32 random bytes, the table holds their
/// SHA-256, each login's CSRF token and its expiry. Bounded: at most <see cref="ServerOptions.DashboardMaxSessions"/>
/// (a new login past it ends the oldest), each for <see cref="ServerOptions.DashboardSessionLifetime"/>.
/// A restart ends every login; a copy of the data directory holds none.
/// </summary>
public sealed class DashboardSessions(ServerOptions options, TimeProvider time)
{
    /// <summary>The session cookie, scoped to /dashboard: the API routes never receive it.</summary>
    public const string CookieName = "peergate-dashboard";

    /// <summary>The login form's own double-submit cookie, before any session exists (login CSRF).</summary>
    public const string LoginCookieName = "peergate-dashboard-login";

    /// <summary>Event streams open at once in all; past it a new one is refused until one closes.</summary>
    public const int MaxStreams = 32;

    private readonly object _lock = new();
    private readonly Dictionary<string, DashboardSession> _sessions = new(StringComparer.Ordinal);
    private int _streams;

    /// <summary>Starts a login; the returned cookie value is handed to the browser once and kept nowhere.</summary>
    public (string CookieValue, DashboardSession Session) Create()
    {
        var cookie = NewToken();
        var now = time.GetUtcNow();
        var session = new DashboardSession(Hash(cookie), NewToken(), now + options.DashboardSessionLifetime);
        lock (_lock)
        {
            RemoveExpired(now);
            while (_sessions.Count >= options.DashboardMaxSessions)
            {
                var oldest = _sessions.Values.MinBy(s => s.ExpiresAt)!;
                _sessions.Remove(oldest.Id);
                oldest.End();
            }

            _sessions[session.Id] = session;
        }

        return (cookie, session);
    }

    /// <summary>The live session the cookie names, or null (none, unknown, ended or expired).</summary>
    public DashboardSession? Find(string? cookieValue)
    {
        if (string.IsNullOrEmpty(cookieValue) || cookieValue.Length > 100)
        {
            return null;
        }

        // Looked up by the hash: timing tells nothing of the cookie a guess would need.
        var id = Hash(cookieValue);
        lock (_lock)
        {
            if (!_sessions.TryGetValue(id, out var session))
            {
                return null;
            }

            if (session.ExpiresAt <= time.GetUtcNow())
            {
                _sessions.Remove(id);
                session.End();
                return null;
            }

            return session;
        }
    }

    /// <summary>True while the session is in the table and in date.</summary>
    public bool IsLive(DashboardSession session)
    {
        lock (_lock)
        {
            return _sessions.ContainsKey(session.Id) && session.ExpiresAt > time.GetUtcNow();
        }
    }

    /// <summary>Logs out: the cookie opens nothing from now on, and the session's event streams end.</summary>
    public void End(DashboardSession session)
    {
        lock (_lock)
        {
            _sessions.Remove(session.Id);
        }

        session.End();
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                RemoveExpired(time.GetUtcNow());
                return _sessions.Count;
            }
        }
    }

    /// <summary>Takes a place for an event stream; false when <see cref="MaxStreams"/> are open.</summary>
    public bool TryOpenStream()
    {
        lock (_lock)
        {
            if (_streams >= MaxStreams)
            {
                return false;
            }

            _streams++;
            return true;
        }
    }

    public void CloseStream()
    {
        lock (_lock)
        {
            _streams--;
        }
    }

    /// <summary>Compares a presented token with the expected one in fixed time.</summary>
    public static bool TokensMatch(string? presented, string expected) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));

    public static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Hash(string value) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    private void RemoveExpired(DateTimeOffset now)
    {
        foreach (var expired in _sessions.Values.Where(s => s.ExpiresAt <= now).ToList())
        {
            _sessions.Remove(expired.Id);
            expired.End();
        }
    }
}

/// <summary>One login: its CSRF token (in every form it is shown), its expiry, and a message for the next page.</summary>
public sealed class DashboardSession(string id, string csrfToken, DateTimeOffset expiresAt)
{
    private readonly CancellationTokenSource _ended = new();
    private string? _notice;

    /// <summary>The SHA-256 of the cookie value, in hex.</summary>
    public string Id { get; } = id;

    public string CsrfToken { get; } = csrfToken;

    public DateTimeOffset ExpiresAt { get; } = expiresAt;

    /// <summary>Cancelled at logout or expiry: open event streams end with it.</summary>
    public CancellationToken Ended => _ended.Token;

    /// <summary>What the last action did, shown once on the next page.</summary>
    public void SetNotice(string text, bool error)
    {
        lock (_ended)
        {
            _notice = (error ? "!" : " ") + text;
        }
    }

    public (string Text, bool Error)? TakeNotice()
    {
        lock (_ended)
        {
            var notice = _notice;
            _notice = null;
            return notice is null ? null : (notice[1..], notice[0] == '!');
        }
    }

    internal void End()
    {
        try
        {
            _ended.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Ended already.
        }
    }
}
