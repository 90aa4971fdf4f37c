using System.Data.Common;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Identity;
using PeerGate.Server.Sessions;
using PeerGate.Server.Storage;
using PeerGate.Server.Triggers;

namespace PeerGate.Server.Connections;

/// <summary>Issued sessions and the connection-attempt log (F18, F33).</summary>
public sealed class ConnectionStore(Database database, SigningKey signingKey, ServerOptions options)
{
    public const string CallerRefused = "caller";
    public const string CalleeRefused = "callee";

    // Entries dropped per write past a cap: more than the one written, so the log shrinks back after a lowered cap.
    private const int CapBatch = 16;

    /// <summary>Records a query that ended without a session.</summary>
    public async Task RecordAttemptAsync(ConnectionAttempt attempt) =>
        await database.WriteAsync((connection, transaction) =>
        {
            Insert(connection, transaction, attempt);
            return 0;
        });

    /// <summary>
    /// Logs a granted query in the next commit (<see cref="Database.WriteSoonAsync{T}"/>): the session it
    /// issued is durable already, and nobody waits for the log entry. It rides in the writes that follow,
    /// not in the session's commit, which the caller and the callee both wait for. Reads of the log see it
    /// (<see cref="Database.FlushDeferredAsync"/>); a crash within its few milliseconds loses the entry, as it
    /// loses the log lines of the same moment, never the session.
    /// </summary>
    public Task RecordGrantSoon(ConnectionAttempt attempt) =>
        database.WriteSoonAsync((connection, transaction) =>
        {
            Insert(connection, transaction, attempt);
            return 0;
        });

    /// <summary>
    /// Commits the session and the callee's session offer together: once the caller holds the grant,
    /// the callee's queue holds the same password and key (the attempt's record follows in the next
    /// commit: <see cref="RecordGrantSoon"/>). Both sides' standing
    /// is checked again in the same transaction, so an operator's disable commits either before (no
    /// session: <see cref="CallerRefused"/> or <see cref="CalleeRefused"/> is returned and nothing is
    /// written) or after (and ends the session). Null when the session was committed.
    /// </summary>
    public Task<string?> OfferAsync(string sessionId, CertificatePayload caller, string callee, Trigger offer, byte[] callerLimitsKey, byte[] calleeLimitsKey) =>
        database.WriteAsync<string?>((connection, transaction) =>
        {
            using (var command = connection.Command(
                transaction,
                "SELECT @callerOwn = 1 AND (NOT EXISTS (SELECT 1 FROM certificates WHERE serial = @serial AND revoked = 0) OR " + DeviceStanding.RefusedSql("@callerDevice") + "), " +
                "(SELECT " + DeviceStanding.RegistrationRefusedSql + " FROM registrations r WHERE r.terminal_id = @callee);",
                ("@callerOwn", caller.Issuer == signingKey.Issuer ? 1 : 0),
                ("@serial", caller.Serial),
                ("@callerDevice", caller.DeviceId),
                ("@callee", callee),
                ("@self", signingKey.Issuer)))
            using (var reader = command.ExecuteReader())
            {
                reader.Read();
                if (reader.GetFlag(0))
                {
                    return CallerRefused;
                }

                if (reader.IsDBNull(1) || reader.GetFlag(1))
                {
                    return CalleeRefused;
                }
            }

            SessionStore.Insert(connection, transaction, sessionId, caller.TerminalId, callee, offer, callerLimitsKey, calleeLimitsKey);
            TriggerStore.Enqueue(connection, transaction, callee, offer, offer.ExpiresAt, options.MaxQueuedTriggersPerDevice);
            return null;
        });

    /// <summary>
    /// The rendezvous endpoint settled the path a granted session took (F37): the attempt that issued it
    /// now records <paramref name="path"/> and, for a relay, why the punch did not carry it. False when the
    /// attempt is no longer in the log.
    /// </summary>
    public Task<bool> SettlePathAsync(string sessionId, string path, string? reason) => database.WriteAsync((connection, transaction) =>
        connection.Execute(
            transaction,
            "UPDATE connection_attempt_paths SET path = @path, no_path = @reason WHERE attempt_id = " +
            "(SELECT id FROM connection_attempts WHERE session_id = @session ORDER BY id DESC LIMIT 1);",
            ("@path", path), ("@reason", reason), ("@session", sessionId)) > 0);

    /// <summary>The most recent attempts, newest first.</summary>
    public Task<ConnectionAttemptSummary[]> RecentAttemptsAsync(int limit) => RecentAttemptsAsync(limit, null);

    /// <summary>
    /// The most recent attempts that match <paramref name="filter"/> (exact values; a null or empty field
    /// matches all), newest first. "granted" as the code matches the granted attempts, which have none.
    /// </summary>
    public async Task<ConnectionAttemptSummary[]> RecentAttemptsAsync(int limit, ConnectionAttemptFilter? filter)
    {
        await database.FlushDeferredAsync();
        return database.Read(connection => ReadAttempts(connection, limit, filter));
    }

    private static ConnectionAttemptSummary[] ReadAttempts(DbConnection connection, int limit, ConnectionAttemptFilter? filter)
    {
        var code = NullIfEmpty(filter?.Code);
        using var command = connection.Command(
            null,
            "SELECT a.id, a.at, a.caller, a.callee, a.stage, a.code, a.session_id, p.path, p.no_path FROM connection_attempts a " +
            "LEFT JOIN connection_attempt_paths p ON p.attempt_id = a.id " +
            "WHERE (CAST(@caller AS TEXT) IS NULL OR a.caller = @caller) AND (CAST(@callee AS TEXT) IS NULL OR a.callee = @callee) AND (CAST(@stage AS TEXT) IS NULL OR a.stage = @stage) " +
            "AND (CAST(@code AS TEXT) IS NULL OR a.code = @code OR (@code = 'granted' AND a.code IS NULL)) " +
            "ORDER BY a.id DESC LIMIT @limit;",
            ("@limit", limit),
            ("@caller", NullIfEmpty(filter?.Caller)),
            ("@callee", NullIfEmpty(filter?.Callee)),
            ("@stage", NullIfEmpty(filter?.Stage)),
            ("@code", code));
        using var reader = command.ExecuteReader();
        var attempts = new List<ConnectionAttemptSummary>();
        while (reader.Read())
        {
            attempts.Add(new ConnectionAttemptSummary(
                reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetStringOrNull(3), reader.GetString(4), reader.GetStringOrNull(5), reader.GetStringOrNull(6),
                reader.GetStringOrNull(7), reader.GetStringOrNull(8)));
        }

        return attempts.ToArray();
    }

    /// <summary>Every terminal's last answer to a status query, by Terminal ID.</summary>
    public async Task<Dictionary<string, (string Status, string? Reason, long At)>> LastAnswersAsync()
    {
        await database.FlushDeferredAsync();
        return database.Read(ReadLastAnswers);
    }

    private static Dictionary<string, (string Status, string? Reason, long At)> ReadLastAnswers(DbConnection connection)
    {
        using var command = connection.Command(null, "SELECT terminal_id, status, reason, at FROM status_answers;");
        using var reader = command.ExecuteReader();
        var answers = new Dictionary<string, (string Status, string? Reason, long At)>(StringComparer.Ordinal);
        while (reader.Read())
        {
            answers[reader.GetString(0)] = (reader.GetString(1), reader.GetStringOrNull(2), reader.GetInt64(3));
        }

        return answers;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>
    /// Logs the attempt and, in the same commit, drops the oldest entries past the caps: the caller's own
    /// (<see cref="ServerOptions.MaxConnectionAttemptsPerCaller"/>) and the log's
    /// (<see cref="ServerOptions.MaxConnectionAttempts"/>). A few at a time: one comes in, at most a few
    /// go, so a lowered cap is reached over the next writes and the retention pass.
    /// </summary>
    private void Insert(DbConnection connection, DbTransaction transaction, ConnectionAttempt attempt)
    {
        var id = connection.Scalar(
            transaction,
            "INSERT INTO connection_attempts (at, caller, callee, stage, code, session_id) VALUES (@at, @caller, @callee, @stage, @code, @session) RETURNING id;",
            ("@at", attempt.At), ("@caller", attempt.Caller), ("@callee", attempt.Callee), ("@stage", attempt.Stage), ("@code", attempt.Code), ("@session", attempt.SessionId));
        if (attempt.Path is not null || attempt.NoPath is not null)
        {
            connection.Execute(
                transaction,
                "INSERT INTO connection_attempt_paths (attempt_id, path, no_path) VALUES (@attempt, @path, @noPath);",
                ("@attempt", id), ("@path", attempt.Path), ("@noPath", attempt.NoPath));
        }
        if (attempt.Answer is { } answer)
        {
            // The callee's answer to the status query (F17), one row per terminal, for the operator.
            connection.Execute(
                transaction,
                "INSERT INTO status_answers (terminal_id, status, reason, at) VALUES (@terminal, @status, @reason, @at) " +
                "ON CONFLICT (terminal_id) DO UPDATE SET status = excluded.status, reason = excluded.reason, at = excluded.at;",
                ("@terminal", attempt.Callee), ("@status", answer.Status), ("@reason", answer.Reason), ("@at", answer.At));
        }

        connection.Execute(
            transaction,
            "DELETE FROM connection_attempts WHERE id IN " +
            "(SELECT id FROM connection_attempts WHERE caller = @caller ORDER BY id DESC LIMIT @batch OFFSET @cap);",
            ("@caller", attempt.Caller), ("@batch", CapBatch), ("@cap", Math.Max(0, options.MaxConnectionAttemptsPerCaller)));
        TrimToCap(connection, transaction, options.MaxConnectionAttempts, CapBatch);
    }

    /// <summary>Deletes up to <paramref name="batch"/> of the oldest entries beyond the newest <paramref name="cap"/>; ids only rise, so that is one range.</summary>
    public static int TrimToCap(DbConnection connection, DbTransaction transaction, int cap, int batch) => connection.Execute(
        transaction,
        "DELETE FROM connection_attempts WHERE id IN (SELECT id FROM connection_attempts " +
        "WHERE id <= (SELECT max(id) FROM connection_attempts) - @cap ORDER BY id LIMIT @batch);",
        ("@cap", Math.Max(0, cap)), ("@batch", batch));
}

/// <summary>One connection query as it goes: the stage it reached, and at the end the code it stopped with.</summary>
public sealed class ConnectionAttempt(long at, string caller)
{
    public long At { get; } = at;

    public string Caller { get; } = caller;

    /// <summary>The callee's Terminal ID once known (by ID or resolved from its name); null when the query named none.</summary>
    public string? Callee { get; set; }

    public string Stage { get; set; } = AttemptStages.Received;

    /// <summary>Null while running and when granted; otherwise the code answered.</summary>
    public string? Code { get; set; }

    public string? SessionId { get; set; }

    /// <summary>One of ConnectionPaths once chosen (after the status query); null before, or when none was possible.</summary>
    public string? Path { get; set; }

    /// <summary>Why no path was possible (<see cref="ConnectionBroker.NoPathReasons"/>); null otherwise.</summary>
    public string? NoPath { get; set; }

    /// <summary>The callee's answer to the status query once it came; written with the attempt.</summary>
    public StatusAnswer? Answer { get; set; }
}

/// <summary>A callee's answer to a status query (Acceptable or Busy, F17) and when it came.</summary>
public sealed record StatusAnswer(string Status, string? Reason, long At);
