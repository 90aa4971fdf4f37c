using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using PeerGate.Server.Storage;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Storage;

/// <summary>
/// What only the PostgreSQL engine has to show, on PostgreSQL in either run: writes serialised across
/// instances by the advisory lock, the schema's version row, the password kept out of logs, and the
/// SQLite-only backup refused. Skipped with the reason where PostgreSQL is not installed.
/// </summary>
[TestClass]
public sealed class PostgresStorageTests
{
    // Long enough that the instance waiting for the lock in the first test is not refused meanwhile.
    private static readonly TimeSpan Busy = TimeSpan.FromSeconds(30);

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task AWriteOfAnotherInstanceWaitsForTheWriteLockAndNoUpdateIsLost()
    {
        await using var scratch = await ScratchDatabase.CreateAsync();
        using var first = scratch.Open();
        using var second = scratch.Open();
        first.Write((connection, transaction) => connection.Execute(
            transaction,
            "CREATE TABLE race (id BIGINT PRIMARY KEY, n BIGINT NOT NULL); INSERT INTO race (id, n) VALUES (1, 0);"));

        // The first instance holds the lock inside its batch: the second's batch waits for it at BEGIN.
        using var release = new ManualResetEventSlim();
        var held = first.WriteAsync((connection, transaction) => release.Wait(TimeSpan.FromSeconds(60)));
        await Eventually.TrueAsync(() => AdvisoryLocks(scratch, granted: true) == 1, "the first instance holds the write lock");
        var waiting = second.WriteAsync((connection, transaction) => Increment(connection, transaction));
        await Eventually.TrueAsync(() => AdvisoryLocks(scratch, granted: false) == 1, "the second instance waits for it");
        Assert.IsFalse(waiting.IsCompleted, "no write of the second instance ran while the first held the lock");
        release.Set();
        Assert.IsTrue(await held);
        await waiting;

        // Read, then write what was read plus one, from both instances at once: none is lost.
        var writes = Enumerable.Range(0, 100)
            .Select(i => (i % 2 == 0 ? first : second).WriteAsync((connection, transaction) => Increment(connection, transaction)))
            .ToArray();
        await Task.WhenAll(writes);
        Assert.AreEqual(101L, first.Read(connection => connection.Scalar(null, "SELECT n FROM race WHERE id = 1;")));
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task TheSchemaVersionIsOneRowAndANewerDatabaseIsRefusedUntouched()
    {
        await using var scratch = await ScratchDatabase.CreateAsync();
        using (var database = scratch.Open())
        {
            database.Initialize();
            Assert.AreEqual((long)Migrations.Version, database.Read(connection => connection.Scalar(null, "SELECT version FROM peergate_schema;")));
            Assert.AreEqual(1L, database.Read(connection => connection.Scalar(null, "SELECT count(*) FROM peergate_schema;")));
            database.Write((connection, transaction) => connection.Execute(transaction, "UPDATE peergate_schema SET version = version + 1;"));
        }

        using var older = scratch.Open();
        var refused = Assert.ThrowsExactly<SchemaTooNewException>(() => older.Initialize());
        Assert.AreEqual(Migrations.Version + 1, refused.DatabaseVersion);
        StringAssert.StartsWith(refused.Message, "The database postgres://127.0.0.1:");
        Assert.AreEqual((long)Migrations.Version + 1, older.Read(connection => connection.Scalar(null, "SELECT version FROM peergate_schema;")));
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task TheConnectionStringsPasswordNeverReachesALog()
    {
        using var logs = new CapturingLoggerProvider();
        var options = logs.ServerOptions(LogLevel.Trace);
        await using var server = await TestServer.StartAsync(new TestServerOptions { Storage = StorageEngine.Postgres, Configure = options.Configure });
        var password = new NpgsqlConnectionStringBuilder(server.StorageConnectionString).Password!;
        using var http = server.CreateClient();
        await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));

        StringAssert.Contains(logs.Text, "database postgres at postgres://127.0.0.1:");
        Assert.IsFalse(logs.Text.Contains(password, StringComparison.Ordinal), "the password is in a log line");
        var engine = server.Services.GetRequiredService<Database>().Engine;
        using var connection = engine.Open();
        Assert.IsFalse(connection.ConnectionString.Contains(password, StringComparison.Ordinal), "an open connection gives its password back");
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task TheBackupCommandSendsAPostgresDeploymentToPgDump()
    {
        await using var scratch = await ScratchDatabase.CreateAsync();
        var target = Path.Combine(Path.GetTempPath(), "peergate-backup-" + Guid.NewGuid().ToString("N") + ".db");
        using var error = new StringWriter();
        var exit = BackupCommand.Run(["--PeerGate:Storage:Engine", "postgres", "--PeerGate:Storage:ConnectionString", scratch.ConnectionString, "--to", target], TextWriter.Null, error);

        Assert.AreEqual(1, exit);
        StringAssert.Contains(error.ToString(), "backup_sqlite_only");
        StringAssert.Contains(error.ToString(), "pg_dump");
        Assert.IsFalse(error.ToString().Contains(new NpgsqlConnectionStringBuilder(scratch.ConnectionString).Password!, StringComparison.Ordinal));
        Assert.IsFalse(File.Exists(target));
    }

    [TestMethod]
    public void TheEngineAndItsConnectionStringComeTogether()
    {
        using var error = new StringWriter();
        Assert.AreEqual(1, BackupCommand.Run(["--PeerGate:Storage:Engine", "postgres", "--to", "x.db"], TextWriter.Null, error));
        StringAssert.Contains(error.ToString(), "PeerGate:Storage:ConnectionString is needed");

        error.GetStringBuilder().Clear();
        Assert.AreEqual(1, BackupCommand.Run(["--PeerGate:Storage:Engine", "mysql", "--to", "x.db"], TextWriter.Null, error));
        StringAssert.Contains(error.ToString(), "PeerGate:Storage:Engine must be sqlite or postgres");
    }

    [TestMethod]
    public void SqliteDdlIsTranslatedToPostgresTypes()
    {
        Assert.AreEqual(
            """
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n BIGINT NOT NULL, k BYTEA NULL, t TEXT COLLATE "C" NOT NULL, one BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY CHECK (one = 1);
            INSERT INTO t (a) SELECT a FROM u ON CONFLICT DO NOTHING;
            """,
            PostgresEngine.Translate(
                """
                id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL, k BLOB NULL, t TEXT NOT NULL, one INTEGER PRIMARY KEY CHECK (one = 1);
                INSERT OR IGNORE INTO t (a) SELECT a FROM u;
                """));
    }

    private static long Increment(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction)
    {
        var n = (long)connection.Scalar(transaction, "SELECT n FROM race WHERE id = 1;")!;
        connection.Execute(transaction, "UPDATE race SET n = @n WHERE id = 1;", ("@n", n + 1));
        return n;
    }

    private static long AdvisoryLocks(ScratchDatabase scratch, bool granted)
    {
        using var connection = new NpgsqlConnection(scratch.ConnectionString + ";Pooling=false");
        connection.Open();
        return (long)connection.Scalar(
            null,
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database " +
            "WHERE l.locktype = 'advisory' AND d.datname = current_database() AND l.granted = " + (granted ? "true;" : "false;"))!;
    }

    /// <summary>A database of its own on the run's cluster, dropped at the end.</summary>
    private sealed class ScratchDatabase : IAsyncDisposable
    {
        private readonly string _key;

        private ScratchDatabase(string key, string connectionString)
        {
            _key = key;
            ConnectionString = connectionString;
        }

        public string ConnectionString { get; }

        public static async Task<ScratchDatabase> CreateAsync()
        {
            if (PostgresCluster.Missing is { } why)
            {
                Assert.Inconclusive(why);
            }

            var key = Path.Combine(Path.GetTempPath(), "peergate-scratch-" + Guid.NewGuid().ToString("N"));
            return new ScratchDatabase(key, await TestStorage.DatabaseForAsync(key));
        }

        public Database Open() => new(new PostgresEngine(ConnectionString, Busy), Busy);

        public async ValueTask DisposeAsync() => await TestStorage.DropAsync(_key);
    }
}
