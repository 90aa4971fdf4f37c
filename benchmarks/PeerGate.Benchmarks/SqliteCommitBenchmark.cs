using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace PeerGate.Benchmarks;

/// <summary>
/// What SQLite alone does with the server's durability settings (WAL, synchronous=FULL): one
/// upsert per committed transaction, no HTTP and no verification. The gap to the registration
/// number is what the server adds.
/// </summary>
public static class SqliteCommitBenchmark
{
    public static LatencySample Run(string dataRoot, double seconds)
    {
        var path = Path.Combine(dataRoot, "peergate-sqlite-" + Guid.NewGuid().ToString("N") + ".db");
        var latencies = new List<long>();
        try
        {
            using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
            {
                connection.Open();
                Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE r (id INTEGER PRIMARY KEY, ip TEXT, seen INTEGER);");
                using var upsert = connection.CreateCommand();
                upsert.CommandText = "INSERT INTO r (id, ip, seen) VALUES ($id, '10.0.0.1', $seen) ON CONFLICT(id) DO UPDATE SET ip = excluded.ip, seen = excluded.seen";
                var id = upsert.Parameters.Add("$id", SqliteType.Integer);
                var seen = upsert.Parameters.Add("$seen", SqliteType.Integer);

                var clock = Stopwatch.StartNew();
                var duration = TimeSpan.FromSeconds(Math.Max(0.2, seconds));
                for (var i = 0; clock.Elapsed < duration; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    using (var transaction = connection.BeginTransaction())
                    {
                        upsert.Transaction = transaction;
                        id.Value = i % 64;
                        seen.Value = i;
                        upsert.ExecuteNonQuery();
                        transaction.Commit();
                    }

                    latencies.Add(Stopwatch.GetTimestamp() - started);
                }

                return LatencySample.From(latencies, 0, clock.Elapsed);
            }
        }
        finally
        {
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(path + suffix);
            }
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
