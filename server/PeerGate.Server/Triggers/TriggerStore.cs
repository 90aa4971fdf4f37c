using System.Text.Json;
using System.Data.Common;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Server.Http;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Triggers;

/// <summary>
/// The per-terminal trigger queues (F21), the source of truth of the channel: a trigger is a row
/// until its terminal acknowledges it with the poll cursor, until it expires, or until a newer
/// trigger that says everything it said replaces it. Each queue is bounded
/// (<see cref="ServerOptions.MaxQueuedTriggersPerDevice"/>): a trigger that would pass the bound is
/// refused to whoever caused it (503 trigger_queue_full), never made room for by dropping another.
/// </summary>
public sealed class TriggerStore(Database database, ServerOptions options)
{
    /// <summary>Most triggers handed out in one batch; the rest follow on the next poll.</summary>
    public const int MaxBatch = 32;

    private long _reads;

    /// <summary>Database reads this store made so far: an idle re-poll must make none.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Queues <paramref name="trigger"/> for <paramref name="terminalId"/> and commits it; returns its sequence number.</summary>
    public Task<long> EnqueueAsync(string terminalId, Trigger trigger, long expiresAt) =>
        database.WriteAsync((connection, transaction) => Enqueue(connection, transaction, terminalId, trigger, expiresAt, options.MaxQueuedTriggersPerDevice));

    /// <summary>
    /// As <see cref="EnqueueAsync(string, Trigger, long)"/>, awaiting the shared commit; <paramref name="beforeCommit"/>
    /// gets the seq inside the transaction, before any reader can see the row.
    /// </summary>
    public Task<long> EnqueueAsync(string terminalId, Trigger trigger, long expiresAt, Action<long> beforeCommit) =>
        database.WriteAsync((connection, transaction) =>
        {
            var seq = Enqueue(connection, transaction, terminalId, trigger, expiresAt, options.MaxQueuedTriggersPerDevice);
            beforeCommit(seq);
            return seq;
        });

    /// <summary>
    /// Queues inside the caller's transaction, so a trigger can commit together with what it announces.
    /// Sets <see cref="Trigger.Seq"/> to the next number of the terminal and drops its expired rows
    /// (<see cref="Trigger.CreatedAt"/> is now).
    /// <para>
    /// Per kind: session-limits carries a session's whole current limits, so it replaces the
    /// unacknowledged session-limits of the same session; session-end replaces both (the limits of an
    /// ended session are moot). The replacement gets a new number, so a device that already handled
    /// the old one still sees the new one, and one that did not sees only the newest: nothing is
    /// handled twice or missed. Status and permit queries each have a caller waiting for their own
    /// reply and expire with that wait, and each session offer carries its own secrets, so those are
    /// never replaced. A queue holding <paramref name="capacity"/> triggers refuses any more with
    /// trigger_queue_full, except session-end: an operator's or policy's end must reach the device,
    /// and there is at most one per session.
    /// </para>
    /// </summary>
    public static long Enqueue(DbConnection connection, DbTransaction transaction, string terminalId, Trigger trigger, long expiresAt, int capacity)
    {
        connection.Execute(
            transaction,
            "DELETE FROM triggers WHERE terminal_id = @terminal AND expires_at <= @now;",
            ("@terminal", terminalId), ("@now", trigger.CreatedAt));
        if (trigger.Kind is TriggerKinds.SessionLimits or TriggerKinds.SessionEnd && trigger.SessionId is not null)
        {
            connection.Execute(
                transaction,
                "DELETE FROM triggers WHERE terminal_id = @terminal AND kind IN (@limits, @kind) AND json_extract(body, '$.SessionId') = @session;",
                ("@terminal", terminalId), ("@limits", TriggerKinds.SessionLimits), ("@kind", trigger.Kind), ("@session", trigger.SessionId));
        }

        if (trigger.Kind != TriggerKinds.SessionEnd && Queued(connection, transaction, terminalId, capacity) >= capacity)
        {
            throw ApiProblem.Exception(
                StatusCodes.Status503ServiceUnavailable,
                ErrorCodes.TriggerQueueFull,
                "The other device has as many undelivered triggers as it may hold; try again once it has caught up.");
        }

        var seq = Convert.ToInt64(
            connection.Scalar(
                transaction,
                "INSERT INTO trigger_sequences (terminal_id, last_seq) VALUES (@terminal, 1) " +
                "ON CONFLICT (terminal_id) DO UPDATE SET last_seq = trigger_sequences.last_seq + 1 RETURNING last_seq;",
                ("@terminal", terminalId)),
            System.Globalization.CultureInfo.InvariantCulture);
        trigger.Seq = seq;
        connection.Execute(
            transaction,
            "INSERT INTO triggers (terminal_id, seq, kind, body, created_at, expires_at) VALUES (@terminal, @seq, @kind, @body, @created, @expires);",
            ("@terminal", terminalId), ("@seq", seq), ("@kind", trigger.Kind), ("@body", JsonSerializer.Serialize(trigger, WireJson.Options)),
            ("@created", trigger.CreatedAt), ("@expires", expiresAt));
        return seq;
    }

    /// <summary>Rows in the terminal's queue, counted up to <paramref name="enough"/> (the count only has to reach the bound).</summary>
    private static long Queued(DbConnection connection, DbTransaction transaction, string terminalId, int enough) => Convert.ToInt64(
        connection.Scalar(
            transaction,
            "SELECT count(*) FROM (SELECT 1 FROM triggers WHERE terminal_id = @terminal LIMIT @enough) AS queued;",
            ("@terminal", terminalId), ("@enough", enough)),
        System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Deletes everything of the terminal up to and including <paramref name="cursor"/> (the device has
    /// handled it) and whatever has expired, in the next commit (<see cref="Database.WriteSoonAsync{T}"/>):
    /// no poll waits for it, since the cursor alone decides what a poll answers. Writes only when there
    /// is something to delete, so an idle device's polls cost no commit; null then. The task completes
    /// once the delete is durable; if it fails, the rows stay and the next poll acknowledges them again.
    /// </summary>
    public Task<int>? AcknowledgeSoon(string terminalId, long cursor, long now)
    {
        Interlocked.Increment(ref _reads);
        var stale = database.Read(connection => connection.Scalar(
            null,
            "SELECT 1 FROM triggers WHERE terminal_id = @terminal AND (seq <= @cursor OR expires_at <= @now) LIMIT 1;",
            ("@terminal", terminalId), ("@cursor", cursor), ("@now", now)));
        if (stale is null)
        {
            return null;
        }

        return database.WriteSoonAsync((connection, transaction) => connection.Execute(
            transaction,
            "DELETE FROM triggers WHERE terminal_id = @terminal AND (seq <= @cursor OR expires_at <= @now);",
            ("@terminal", terminalId), ("@cursor", cursor), ("@now", now)));
    }

    /// <summary>
    /// Deletes the session offers among <paramref name="delivered"/> (one batch, oldest first) as soon
    /// as they are handed out, so a key and password exist on the server only until one answer carries
    /// them. An offer is good for one connection within seconds; if that answer is lost, the caller's
    /// attempt fails and it asks again, which is cheaper than keeping the secrets until acknowledged.
    /// </summary>
    public async Task ForgetDeliveredOffersAsync(string terminalId, Trigger[] delivered)
    {
        if (!delivered.Any(trigger => trigger.Kind == TriggerKinds.SessionOffer))
        {
            return;
        }

        await database.WriteAsync((connection, transaction) => connection.Execute(
            transaction,
            "DELETE FROM triggers WHERE terminal_id = @terminal AND kind = @offer AND seq BETWEEN @first AND @last;",
            ("@terminal", terminalId), ("@offer", TriggerKinds.SessionOffer), ("@first", delivered[0].Seq), ("@last", delivered[^1].Seq)));
    }

    /// <summary>The highest sequence number ever issued to the terminal; 0 when none was.</summary>
    public long LastSeq(string terminalId)
    {
        Interlocked.Increment(ref _reads);
        return database.Read(connection => connection.Scalar(
            null,
            "SELECT last_seq FROM trigger_sequences WHERE terminal_id = @terminal;",
            ("@terminal", terminalId))) is { } last ? Convert.ToInt64(last, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>The session offer queued as <paramref name="seq"/>, or null when it is gone: handed out by a poll, or expired.</summary>
    public Trigger? QueuedOffer(string terminalId, long seq, long now) =>
        database.Read(connection => connection.Scalar(
            null,
            "SELECT body FROM triggers WHERE terminal_id = @terminal AND seq = @seq AND kind = @offer AND expires_at > @now;",
            ("@terminal", terminalId), ("@seq", seq), ("@offer", TriggerKinds.SessionOffer), ("@now", now))) is string body
            ? JsonSerializer.Deserialize<Trigger>(body, WireJson.Options)
            : null;

    /// <summary>Unexpired triggers after <paramref name="cursor"/>, oldest first, at most <see cref="MaxBatch"/>.</summary>
    public Trigger[] Pending(string terminalId, long cursor, long now) =>
        Array.ConvertAll(PendingRows(terminalId, cursor, now), row => row.Trigger);

    /// <summary>As <see cref="Pending"/>, each with the time its row expires.</summary>
    public QueuedTrigger[] PendingRows(string terminalId, long cursor, long now)
    {
        Interlocked.Increment(ref _reads);
        return database.Read(connection =>
        {
            using var command = connection.Command(
                null,
                "SELECT body, expires_at FROM triggers WHERE terminal_id = @terminal AND seq > @cursor AND expires_at > @now ORDER BY seq LIMIT @limit;",
                ("@terminal", terminalId), ("@cursor", cursor), ("@now", now), ("@limit", MaxBatch));
            using var reader = command.ExecuteReader();
            var rows = new List<QueuedTrigger>();
            while (reader.Read())
            {
                rows.Add(new QueuedTrigger(JsonSerializer.Deserialize<Trigger>(reader.GetString(0), WireJson.Options)!, reader.GetInt64(1)));
            }

            return rows.ToArray();
        });
    }
}
