using Microsoft.Data.Sqlite;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Sessions;
using PeerGate.Server.Storage;
using PeerGate.Server.Triggers;

namespace PeerGate.Server.Connections;

/// <summary>Issued sessions and the connection-attempt log (F18, F33).</summary>
public sealed class ConnectionStore(Database database, ServerOptions options)
{
    /// <summary>Records a query that ended without a session.</summary>
    public void RecordAttempt(ConnectionAttempt attempt) =>
        database.Write((connection, transaction) => Insert(connection, transaction, attempt));

    /// <summary>
    /// Commits the session, the callee's session offer and the attempt's record together: once the
    /// caller holds the grant, the callee's queue holds the same password and key. Returns the offer's seq.
    /// </summary>
    public long Offer(string sessionId, string caller, string callee, Trigger offer, ConnectionAttempt attempt) =>
        database.Write((connection, transaction) =>
        {
            SessionStore.Insert(connection, transaction, sessionId, caller, callee, offer);
            var seq = TriggerStore.Enqueue(connection, transaction, callee, offer, offer.ExpiresAt, options.MaxQueuedTriggersPerDevice);
            Insert(connection, transaction, attempt);
            return seq;
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
