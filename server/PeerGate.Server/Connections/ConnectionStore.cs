using Microsoft.Data.Sqlite;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Identity;
using PeerGate.Server.Sessions;
using PeerGate.Server.Storage;
using PeerGate.Server.Triggers;

namespace PeerGate.Server.Connections;

/// <summary>Issued sessions and the connection-attempt log (F18, F33).</summary>
public sealed class ConnectionStore(Database database, SigningKey signingKey)
{
    public const string CallerRefused = "caller";
    public const string CalleeRefused = "callee";

    /// <summary>Records a query that ended without a session.</summary>
    public void RecordAttempt(ConnectionAttempt attempt) =>
        database.Write((connection, transaction) => Insert(connection, transaction, attempt));

    /// <summary>
    /// Commits the session, the callee's session offer and the attempt's record together: once the
    /// caller holds the grant, the callee's queue holds the same password and key. Both sides' standing
    /// is checked again in the same transaction, so an operator's disable commits either before (no
    /// session: <see cref="CallerRefused"/> or <see cref="CalleeRefused"/> is returned and nothing is
    /// written) or after (and ends the session). Null when the session was committed.
    /// </summary>
    public string? Offer(string sessionId, CertificatePayload caller, string callee, Trigger offer, ConnectionAttempt attempt) =>
        database.Write<string?>((connection, transaction) =>
        {
            using (var command = connection.Command(
                transaction,
                "SELECT $callerOwn AND (NOT EXISTS (SELECT 1 FROM certificates WHERE serial = $serial AND revoked = 0) OR " + DeviceStanding.RefusedSql("$callerDevice") + "), " +
                "(SELECT " + DeviceStanding.RegistrationRefusedSql + " FROM registrations r WHERE r.terminal_id = $callee);",
                ("$callerOwn", caller.Issuer == signingKey.Issuer ? 1 : 0),
                ("$serial", caller.Serial),
                ("$callerDevice", caller.DeviceId),
                ("$callee", callee),
                ("$self", signingKey.Issuer)))
            using (var reader = command.ExecuteReader())
            {
                reader.Read();
                if (reader.GetInt64(0) != 0)
                {
                    return CallerRefused;
                }

                if (reader.IsDBNull(1) || reader.GetInt64(1) != 0)
                {
                    return CalleeRefused;
                }
            }

            SessionStore.Insert(connection, transaction, sessionId, caller.TerminalId, callee, offer);
            TriggerStore.Enqueue(connection, transaction, callee, offer, offer.ExpiresAt);
            Insert(connection, transaction, attempt);
            return null;
        });

    /// <summary>The most recent attempts, newest first.</summary>
    public ConnectionAttemptSummary[] RecentAttempts(int limit) => database.Read(connection =>
    {
        using var command = connection.Command(
            null,
            "SELECT id, at, caller, callee, stage, code, session_id FROM connection_attempts ORDER BY id DESC LIMIT $limit;",
            ("$limit", limit));
        using var reader = command.ExecuteReader();
        var attempts = new List<ConnectionAttemptSummary>();
        while (reader.Read())
        {
            attempts.Add(new ConnectionAttemptSummary(
                reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetStringOrNull(3), reader.GetString(4), reader.GetStringOrNull(5), reader.GetStringOrNull(6)));
        }

        return attempts.ToArray();
    });

    private static int Insert(SqliteConnection connection, SqliteTransaction transaction, ConnectionAttempt attempt) => connection.Execute(
        transaction,
        "INSERT INTO connection_attempts (at, caller, callee, stage, code, session_id) VALUES ($at, $caller, $callee, $stage, $code, $session);",
        ("$at", attempt.At), ("$caller", attempt.Caller), ("$callee", attempt.Callee), ("$stage", attempt.Stage), ("$code", attempt.Code), ("$session", attempt.SessionId));
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
}
