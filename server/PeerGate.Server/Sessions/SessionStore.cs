using System.Data.Common;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Peer;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Http;
using PeerGate.Server.Storage;
using PeerGate.Server.Triggers;

namespace PeerGate.Server.Sessions;

/// <summary>
/// Session records (F23-F26): limits, state, who ended it and each side's end notice. Every change
/// commits before it is answered, together with the triggers that announce it. Sessions past their
/// EndsAt become expired when next touched, so a vanished device's session ends on its own without a timer.
/// </summary>
public sealed class SessionStore(Database database, SessionPolicy policy, ServerOptions options)
{
    public const string CallerSide = "caller";
    public const string CalleeSide = "callee";
    public const string ByOperator = "operator";
    public const string ByExpiry = "expiry";

    /// <summary>Ended because one of its devices was disabled or revoked (F26, "or policy").</summary>
    public const string ByPolicy = "policy";

    private static readonly HostPeerCrypto Crypto = new();

    private const string SelectSession =
        "SELECT session_id, caller, callee, state, created_at, ends_at, byte_limit, ended_by, ended_at FROM sessions ";

    /// <summary>
    /// Inserts a new active session inside the caller's transaction (the connection grant's, F23), with
    /// each side's own limits key (F24): the callee's is the one in <paramref name="offer"/>.
    /// </summary>
    public static void Insert(DbConnection connection, DbTransaction transaction, string sessionId, string caller, string callee, Trigger offer, byte[] callerLimitsKey, byte[] calleeLimitsKey)
    {
        connection.Execute(
            transaction,
            "INSERT INTO sessions (session_id, caller, callee, created_at, expires_at, ends_at, byte_limit, state) " +
            "VALUES (@session, @caller, @callee, @created, @expires, @ends, @bytes, @state);",
            ("@session", sessionId), ("@caller", caller), ("@callee", callee), ("@created", offer.CreatedAt), ("@expires", offer.ExpiresAt),
            ("@ends", offer.SessionEndsAt), ("@bytes", offer.SessionByteLimit), ("@state", SessionStates.Active));
        connection.Execute(
            transaction,
            "INSERT INTO session_limits_keys (session_id, caller_key, callee_key) VALUES (@session, @caller, @callee);",
            ("@session", sessionId), ("@caller", callerLimitsKey), ("@callee", calleeLimitsKey));
    }

    /// <summary>The terminal's sessions as caller or callee, newest first.</summary>
    public Task<SessionInfo[]> ForTerminalAsync(string terminalId, long now, int limit) => database.WriteAsync((connection, transaction) =>
    {
        Sweep(connection, transaction, now);
        return Query(connection, transaction, SelectSession + "WHERE caller = @terminal OR callee = @terminal ORDER BY created_at DESC, session_id DESC LIMIT @limit;", ("@terminal", terminalId), ("@limit", limit))
            .Select(ToInfo)
            .ToArray();
    });

    /// <summary>
    /// Logs one side's end notice (F25); the first notice of a side is kept, so a repeat is harmless.
    /// The first notice of either side ends an active session.
    /// </summary>
    public Task RecordEndAsync(string sessionId, string terminalId, SessionEndNotice notice, long now) => database.WriteAsync((connection, transaction) =>
    {
        Sweep(connection, transaction, now);
        var session = Participant(connection, transaction, sessionId, terminalId);
        var side = session.SideOf(terminalId);
        connection.Execute(
            transaction,
            "INSERT INTO session_notices (session_id, side, bytes_sent, bytes_received, reason, detail, at) " +
            "VALUES (@session, @side, @sent, @received, @reason, @detail, @at) ON CONFLICT (session_id, side) DO NOTHING;",
            ("@session", sessionId), ("@side", side), ("@sent", notice.BytesSent), ("@received", notice.BytesReceived),
            ("@reason", notice.Reason), ("@detail", string.IsNullOrEmpty(notice.Detail) ? null : notice.Detail), ("@at", now));
        return End(connection, transaction, sessionId, SessionStates.Ended, side, now);
    });

    /// <summary>
    /// Extends an active session within policy (F24) and queues the new limits to the other side in the
    /// same commit. Each limit grows by what was asked, up to the session's maxima; nothing to grant is
    /// extension_refused, an ended session session_ended, and neither changes anything. The answer
    /// carries the server's tag on the new limits under the OTHER side's limits key, for the requester
    /// to forward in its Limits frame: the only way limits from a peer are applied.
    /// </summary>
    public Task<(SessionLimits Limits, string OtherSide)> ExtendAsync(string sessionId, string terminalId, ExtensionRequest request, long now) => database.WriteAsync((connection, transaction) =>
    {
        Sweep(connection, transaction, now);
        var session = Participant(connection, transaction, sessionId, terminalId);
        if (session.State != SessionStates.Active)
        {
            throw ApiProblem.Exception(StatusCodes.Status409Conflict, ErrorCodes.SessionEnded, "The session has ended; it cannot be extended.");
        }

        var maxima = policy.Maxima(connection, transaction, session.Caller, session.Callee);
        var (endsAt, byteLimit) = SessionPolicy.Extend(session.StartedAt, session.EndsAt, session.ByteLimit, request.AddSeconds, request.AddBytes, maxima);
        if (endsAt == session.EndsAt && byteLimit == session.ByteLimit)
        {
            throw ApiProblem.Exception(StatusCodes.Status403Forbidden, ErrorCodes.ExtensionRefused, "The session is at the most its policy allows.");
        }

        connection.Execute(
            transaction,
            "UPDATE sessions SET ends_at = @ends, byte_limit = @bytes WHERE session_id = @session;",
            ("@ends", endsAt), ("@bytes", byteLimit), ("@session", sessionId));
        var other = session.Caller == terminalId ? session.Callee : session.Caller;
        var trigger = new Trigger { Kind = TriggerKinds.SessionLimits, CreatedAt = now, SessionId = sessionId, SessionEndsAt = endsAt, SessionByteLimit = byteLimit };
        TriggerStore.Enqueue(connection, transaction, other, trigger, endsAt, options.MaxQueuedTriggersPerDevice);
        var otherKey = LimitsKeyOf(connection, transaction, sessionId, other == session.Caller ? "caller_key" : "callee_key");
        var tag = otherKey is null ? null : Convert.ToBase64String(LimitsTag.Compute(Crypto, otherKey, sessionId, endsAt, byteLimit));
        return (new SessionLimits { SessionId = sessionId, EndsAt = endsAt, ByteLimit = byteLimit, PeerLimitsTag = tag }, other);
    });

    /// <summary>
    /// The operator ends an active session (F26): state terminated, ended by the operator, and a
    /// session-end trigger queued to both devices, all in one commit. Null when there is no such session.
    /// </summary>
    public Task<SessionSummary?> TerminateAsync(string sessionId, long now) => database.WriteAsync((connection, transaction) =>
    {
        Sweep(connection, transaction, now);
        var session = Find(connection, transaction, sessionId);
        if (session is null)
        {
            return null;
        }

        if (session.State != SessionStates.Active)
        {
            throw ApiProblem.Exception(StatusCodes.Status409Conflict, ErrorCodes.SessionEnded, "The session has ended already.");
        }

        TerminateAndNotify(connection, transaction, session, ByOperator, now);
        return Summaries(connection, transaction, "WHERE session_id = @session", ("@session", sessionId))[0];
    });

    /// <summary>
    /// Inside the caller's transaction (a device disabled or revoked): terminates every active session of
    /// <paramref name="terminalIds"/>, ended by policy, with the session-end triggers to both sides.
    /// Returns the sessions ended.
    /// </summary>
    public static SessionInfo[] TerminateAllOf(DbConnection connection, DbTransaction transaction, IReadOnlyCollection<string> terminalIds, long now)
    {
        Sweep(connection, transaction, now);
        var ended = new Dictionary<string, SessionRow>(StringComparer.Ordinal);
        foreach (var terminal in terminalIds)
        {
            var active = Query(
                connection,
                transaction,
                SelectSession + "WHERE state = @active AND (caller = @terminal OR callee = @terminal);",
                ("@active", SessionStates.Active),
                ("@terminal", terminal));
            foreach (var session in active)
            {
                if (ended.TryAdd(session.SessionId, session))
                {
                    TerminateAndNotify(connection, transaction, session, ByPolicy, now);
                }
            }
        }

        return ended.Values.Select(session => ToInfo(session with { State = SessionStates.Terminated, EndedBy = ByPolicy })).ToArray();
    }

    /// <summary>State terminated, who ended it, and a session-end trigger to each side (F26).</summary>
    private static void TerminateAndNotify(DbConnection connection, DbTransaction transaction, SessionRow session, string endedBy, long now)
    {
        End(connection, transaction, session.SessionId, SessionStates.Terminated, endedBy, now);
        foreach (var terminal in new[] { session.Caller, session.Callee })
        {
            var trigger = new Trigger { Kind = TriggerKinds.SessionEnd, CreatedAt = now, SessionId = session.SessionId, PeerTerminalId = terminal == session.Caller ? session.Callee : session.Caller };
            TriggerStore.Enqueue(connection, transaction, terminal, trigger, Math.Max(session.EndsAt, now + 1), int.MaxValue);
        }
    }

    /// <summary>The most recent sessions with their notices, newest first (F33).</summary>
    /// <remarks>
    /// The dashboard asks every second per viewer, so this is a read; only when a listed session is
    /// still active past its end does it sweep and read again, in one write.
    /// </remarks>
    public async Task<SessionSummary[]> RecentAsync(int limit, long now)
    {
        const string Newest = "ORDER BY created_at DESC, session_id DESC LIMIT @limit";
        var summaries = database.Read(connection => Summaries(connection, null, Newest, ("@limit", limit)));
        if (!summaries.Any(summary => summary.State == SessionStates.Active && summary.EndsAt <= now))
        {
            return summaries;
        }

        return await database.WriteAsync((connection, transaction) =>
        {
            Sweep(connection, transaction, now);
            return Summaries(connection, transaction, Newest, ("@limit", limit));
        });
    }

    /// <summary>Active sessions past their end become expired, ended by expiry at their EndsAt; their limits keys go.</summary>
    public static void Sweep(DbConnection connection, DbTransaction transaction, long now)
    {
        var expired = connection.Execute(
            transaction,
            "UPDATE sessions SET state = @expired, ended_by = @expiry, ended_at = ends_at WHERE state = @active AND ends_at <= @now;",
            ("@expired", SessionStates.Expired), ("@expiry", ByExpiry), ("@active", SessionStates.Active), ("@now", now));
        if (expired > 0)
        {
            connection.Execute(
                transaction,
                "DELETE FROM session_limits_keys WHERE session_id IN (SELECT session_id FROM sessions WHERE state != @active);",
                ("@active", SessionStates.Active));
        }
    }

    /// <summary>Ends the session if it is still active, and forgets its limits keys; an ended session keeps who ended it first.</summary>
    private static int End(DbConnection connection, DbTransaction transaction, string sessionId, string state, string endedBy, long now)
    {
        var ended = connection.Execute(
            transaction,
            "UPDATE sessions SET state = @state, ended_by = @by, ended_at = @now WHERE session_id = @session AND state = @active;",
            ("@state", state), ("@by", endedBy), ("@now", now), ("@session", sessionId), ("@active", SessionStates.Active));
        connection.Execute(transaction, "DELETE FROM session_limits_keys WHERE session_id = @session;", ("@session", sessionId));
        return ended;
    }

    /// <summary>One side's limits key (<paramref name="column"/> is caller_key or callee_key, our own constant); null for a session issued before limits keys.</summary>
    private static byte[]? LimitsKeyOf(DbConnection connection, DbTransaction transaction, string sessionId, string column)
    {
        using var command = connection.Command(transaction, $"SELECT {column} FROM session_limits_keys WHERE session_id = @session;", ("@session", sessionId));
        using var reader = command.ExecuteReader();
        return reader.Read() ? (byte[])reader.GetValue(0) : null;
    }

    /// <summary>The session, if <paramref name="terminalId"/> is one of its two sides; anyone else gets session_not_found.</summary>
    private static SessionRow Participant(DbConnection connection, DbTransaction transaction, string sessionId, string terminalId)
    {
        var session = Find(connection, transaction, sessionId);
        return session is not null && (session.Caller == terminalId || session.Callee == terminalId)
            ? session
            : throw ApiProblem.Exception(StatusCodes.Status404NotFound, ErrorCodes.SessionNotFound, "You have no session with that ID.");
    }

    private static SessionRow? Find(DbConnection connection, DbTransaction transaction, string sessionId) =>
        Query(connection, transaction, SelectSession + "WHERE session_id = @session;", ("@session", sessionId)).FirstOrDefault();

    private static SessionRow[] Query(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.Command(transaction, sql, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<SessionRow>();
        while (reader.Read())
        {
            rows.Add(new SessionRow(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4),
                reader.GetInt64(5), reader.GetInt64(6), reader.GetStringOrNull(7), reader.IsDBNull(8) ? 0 : reader.GetInt64(8)));
        }

        return rows.ToArray();
    }

    private static SessionSummary[] Summaries(DbConnection connection, DbTransaction? transaction, string tail, params (string Name, object? Value)[] parameters)
    {
        var sessions = Query(connection, transaction, SelectSession + tail + ";", parameters);
        return sessions.Select(s => new SessionSummary(
            s.SessionId, s.Caller, s.Callee, s.State, s.StartedAt, s.EndsAt, s.ByteLimit, s.EndedBy, s.EndedAt,
            Notice(connection, transaction, s.SessionId, CallerSide), Notice(connection, transaction, s.SessionId, CalleeSide))).ToArray();
    }

    private static SessionNoticeSummary? Notice(DbConnection connection, DbTransaction? transaction, string sessionId, string side)
    {
        using var command = connection.Command(
            transaction,
            "SELECT bytes_sent, bytes_received, reason, detail, at FROM session_notices WHERE session_id = @session AND side = @side;",
            ("@session", sessionId), ("@side", side));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new SessionNoticeSummary(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetStringOrNull(3), reader.GetInt64(4))
            : null;
    }

    private static SessionInfo ToInfo(SessionRow row) => new()
    {
        SessionId = row.SessionId,
        CallerTerminalId = row.Caller,
        CalleeTerminalId = row.Callee,
        State = row.State,
        StartedAt = row.StartedAt,
        EndsAt = row.EndsAt,
        ByteLimit = row.ByteLimit,
        EndedBy = row.EndedBy,
    };

    private sealed record SessionRow(string SessionId, string Caller, string Callee, string State, long StartedAt, long EndsAt, long ByteLimit, string? EndedBy, long EndedAt)
    {
        public string SideOf(string terminalId) => terminalId == Caller ? CallerSide : CalleeSide;
    }
}
