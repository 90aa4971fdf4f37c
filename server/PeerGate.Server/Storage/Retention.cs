using System.Data.Common;
using PeerGate.Server.Connections;
using PeerGate.Server.Sessions;

namespace PeerGate.Server.Storage;

/// <summary>
/// Deletes what the server no longer needs, on its own clock (<see cref="ServerOptions.RetentionInterval"/>):
/// spent and expired nonces, expired triggers, connection attempts past their age or the log's cap,
/// certificates well past their expiry, and ended sessions with their notices. Every delete runs in
/// batches of <see cref="ServerOptions.RetentionBatchSize"/> rows, each its own short transaction, so
/// devices' writes wait at most one batch.
/// </summary>
public sealed class Retention(Database database, ServerOptions options, TimeProvider time, ILogger<Retention> logger) : BackgroundService
{
    // Nonces are kept this long past expiry, so a late answer still learns it was expired (as on the challenge path).
    private const long NonceGraceSeconds = 60;

    // A pass stops after this many batches of one kind; the next pass goes on. Bounds one pass's work.
    private const int MaxBatchesPerPass = 1000;

    private long _lastPassAt = long.MinValue;

    /// <summary>The server's clock (Unix ms) as the last completed pass read it; tests wait on it after moving the clock.</summary>
    public long LastPassAt => Interlocked.Read(ref _lastPassAt);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RetentionInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var at = time.GetUtcNow().ToUnixTimeMilliseconds();
                try
                {
                    await PruneAsync();
                }
                catch (DbException exception)
                {
                    // A busy or failing disk: try again at the next tick; devices' requests report their own errors.
                    logger.LogWarning(exception, "Retention pass failed; retrying at the next one");
                }

                Interlocked.Exchange(ref _lastPassAt, at);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass over every table with a retention rule; the rows deleted per table.</summary>
    public async Task<IReadOnlyDictionary<string, int>> PruneAsync()
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var deleted = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            ["nonces"] = await BatchesAsync(
                "DELETE FROM nonces WHERE nonce_id IN (SELECT nonce_id FROM nonces WHERE expires_at < @horizon LIMIT @batch);",
                ("@horizon", now - NonceGraceSeconds)),
            ["triggers"] = await BatchesAsync(
                "DELETE FROM triggers WHERE (terminal_id, seq) IN (SELECT terminal_id, seq FROM triggers WHERE expires_at <= @now LIMIT @batch);",
                ("@now", now)),
            ["connection_attempts"] = await BatchesAsync(
                "DELETE FROM connection_attempts WHERE id IN (SELECT id FROM connection_attempts WHERE at < @horizon ORDER BY id LIMIT @batch);",
                ("@horizon", now - Seconds(options.ConnectionAttemptRetention)))
                + await BatchesOfAsync((connection, transaction, batch) => ConnectionStore.TrimToCap(connection, transaction, options.MaxConnectionAttempts, batch)),

            // Only certificates that have expired: an unknown serial counts as revoked, so a valid one must stay.
            ["certificates"] = await BatchesAsync(
                "DELETE FROM certificates WHERE serial IN (SELECT serial FROM certificates WHERE expires_at < @horizon LIMIT @batch);",
                ("@horizon", now - Seconds(options.ExpiredCertificateRetention))),
            ["sessions"] = await EndedSessionsAsync(now),
        };

        if (deleted.Values.Any(count => count > 0))
        {
            logger.LogInformation(
                "Retention removed {Nonces} nonces, {Triggers} triggers, {Attempts} connection attempts, {Certificates} certificates, {Sessions} sessions",
                deleted["nonces"], deleted["triggers"], deleted["connection_attempts"], deleted["certificates"], deleted["sessions"]);
        }

        return deleted;
    }

    /// <summary>Sessions ended longer ago than the retention, their notices first (they reference them).</summary>
    private async Task<int> EndedSessionsAsync(long now)
    {
        await database.WriteAsync((connection, transaction) =>
        {
            SessionStore.Sweep(connection, transaction, now);
            return 0;
        });

        const string Ended = "SELECT session_id FROM sessions WHERE state != 'active' AND ended_at < @horizon ORDER BY ended_at, session_id LIMIT @batch";
        var horizon = now - Seconds(options.EndedSessionRetention);
        return await BatchesOfAsync((connection, transaction, batch) =>
        {
            connection.Execute(transaction, $"DELETE FROM session_notices WHERE session_id IN ({Ended});", ("@horizon", horizon), ("@batch", batch));
            return connection.Execute(transaction, $"DELETE FROM sessions WHERE session_id IN ({Ended});", ("@horizon", horizon), ("@batch", batch));
        });
    }

    private Task<int> BatchesAsync(string sql, params (string Name, object? Value)[] parameters) =>
        BatchesOfAsync((connection, transaction, batch) => connection.Execute(transaction, sql, [.. parameters, ("@batch", batch)]));

    /// <summary>Runs <paramref name="batch"/> in its own transaction until it deletes less than a full batch.</summary>
    private async Task<int> BatchesOfAsync(Func<DbConnection, DbTransaction, int, int> batch)
    {
        var size = Math.Max(1, options.RetentionBatchSize);
        var total = 0;
        for (var round = 0; round < MaxBatchesPerPass; round++)
        {
            var deleted = await database.WriteAsync((connection, transaction) => batch(connection, transaction, size));
            total += deleted;
            if (deleted < size)
            {
                break;
            }
        }

        return total;
    }

    private static long Seconds(TimeSpan span) => (long)span.TotalSeconds;
}
