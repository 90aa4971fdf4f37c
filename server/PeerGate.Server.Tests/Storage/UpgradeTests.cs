using Microsoft.Data.Sqlite;
using PeerGate.Server.Storage;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Storage;

/// <summary>
/// A new binary on an old database migrates it forward in one transaction; a binary older than its
/// database refuses it untouched, so the way back from an upgrade is the backup taken before it.
/// </summary>
[TestClass]
public sealed class UpgradeTests
{
    [TestMethod]
    public async Task AnOldDatabaseIsMigratedForwardAndKeepsItsRows()
    {
        var dataDirectory = NewDataDirectory();
        try
        {
            var deviceId = TestDevice.NewDeviceId();
            OldDatabase(dataDirectory, through: 1, connection => connection.Execute(
                "INSERT INTO devices (device_id, device_key, created_at) VALUES (@d, zeroblob(32), 1);", ("@d", deviceId)));

            await using var server = await TestServer.StartAsync(new TestServerOptions { Storage = "sqlite", DataDirectory = dataDirectory });

            Assert.AreEqual(Migrations.Version, UserVersion(server.DatabasePath));
            Assert.Contains(deviceId, (await server.Admin.ListDevicesAsync()).Select(d => d.DeviceId).ToArray());
        }
        finally
        {
            Cleanup(dataDirectory);
        }
    }

    [TestMethod]
    public async Task AnUpgradeThatFailsPartWayLeavesTheDatabaseAsTheOldServerHadIt()
    {
        var dataDirectory = NewDataDirectory();
        try
        {
            // At step 1, with a table in the way of step 5: steps 2 to 4 run, then step 5 fails.
            OldDatabase(dataDirectory, through: 1, connection => connection.Execute("CREATE TABLE write_probe (x INTEGER);"));

            var failed = await Assert.ThrowsAsync<SqliteException>(() => TestServer.StartAsync(new TestServerOptions { Storage = "sqlite", DataDirectory = dataDirectory }));
            SqliteConnection.ClearAllPools();

            StringAssert.Contains(failed.Message, "write_probe");
            var path = Path.Combine(dataDirectory, "peergate.db");
            Assert.AreEqual(1, UserVersion(path));
            Assert.AreEqual(0L, TableCount(path, "permits"), "step 2's tables were rolled back with the failed step");

            // The cause removed, the next start carries the whole upgrade through.
            WithDatabase(path, connection => connection.Execute("DROP TABLE write_probe;"));
            await using var server = await TestServer.StartAsync(new TestServerOptions { Storage = "sqlite", DataDirectory = dataDirectory });
            Assert.AreEqual(Migrations.Version, UserVersion(path));
        }
        finally
        {
            Cleanup(dataDirectory);
        }
    }

    [TestMethod]
    public async Task ADatabaseNewerThanTheServerIsRefusedUntouched()
    {
        var dataDirectory = NewDataDirectory();
        try
        {
            await using (await TestServer.StartAsync(new TestServerOptions { Storage = "sqlite", DataDirectory = dataDirectory }))
            {
            }

            var path = Path.Combine(dataDirectory, "peergate.db");
            var newer = Migrations.Version + 1;
            WithDatabase(path, connection => connection.Execute($"PRAGMA user_version = {newer};"));
            SqliteConnection.ClearAllPools();
            var tables = TableCount(path, null);

            var refused = await Assert.ThrowsAsync<SchemaTooNewException>(() => TestServer.StartAsync(new TestServerOptions { Storage = "sqlite", DataDirectory = dataDirectory }));
            SqliteConnection.ClearAllPools();

            Assert.AreEqual(newer, refused.DatabaseVersion);
            Assert.AreEqual(Migrations.Version, refused.ServerVersion);
            StringAssert.Contains(refused.Message, $"schema version {newer}, newer than this server's {Migrations.Version}");
            StringAssert.Contains(refused.Message, "restore the backup");
            Assert.AreEqual(newer, UserVersion(path));
            Assert.AreEqual(tables, TableCount(path, null));
        }
        finally
        {
            Cleanup(dataDirectory);
        }
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task TheBinaryOnANewerDatabaseExitsWithOneLineAndTheStatusSystemdDoesNotRetry()
    {
        var dataDirectory = NewDataDirectory();
        try
        {
            OldDatabase(dataDirectory, through: Migrations.Version, _ => { });
            WithDatabase(Path.Combine(dataDirectory, "peergate.db"), connection => connection.Execute($"PRAGMA user_version = {Migrations.Version + 1};"));
            SqliteConnection.ClearAllPools();

            var (exit, output, error) = await ServerProcess.RunToEndAsync(
                dataDirectory, "--urls", "http://127.0.0.1:" + LoopbackPorts.Free(), "--PeerGate:DataDirectory", dataDirectory);

            Assert.AreEqual(PeerGateServer.RefusedStartExitCode, exit, output + error);
            var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.HasCount(1, lines, error);
            StringAssert.StartsWith(lines[0], "peergate-server: The database ");
            StringAssert.Contains(lines[0], $"schema version {Migrations.Version + 1}, newer than this server's {Migrations.Version}");
            Assert.AreEqual(Migrations.Version + 1, UserVersion(Path.Combine(dataDirectory, "peergate.db")));
        }
        finally
        {
            Cleanup(dataDirectory);
        }
    }

    private static string NewDataDirectory()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "peergate-upgrade-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        return dataDirectory;
    }

    /// <summary>peergate.db as a server that knew only the first <paramref name="through"/> steps left it.</summary>
    private static void OldDatabase(string dataDirectory, int through, Action<SqliteConnection> then)
    {
        WithDatabase(Path.Combine(dataDirectory, "peergate.db"), connection =>
        {
            connection.Execute("PRAGMA journal_mode = WAL;");
            Migrations.Apply(connection, through);
            then(connection);
        });
    }

    private static void WithDatabase(string path, Action<SqliteConnection> work)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        work(connection);
    }

    private static int UserVersion(string path)
    {
        var version = 0;
        WithDatabase(path, connection => version = Convert.ToInt32(connection.Scalar(null, "PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture));
        return version;
    }

    /// <summary>How many tables named <paramref name="table"/> exist (all tables when null).</summary>
    private static long TableCount(string path, string? table)
    {
        long count = 0;
        WithDatabase(path, connection => count = Convert.ToInt64(
            connection.Scalar(null, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND (@t IS NULL OR name = @t);", ("@t", table)),
            System.Globalization.CultureInfo.InvariantCulture));
        return count;
    }

    private static void Cleanup(string dataDirectory)
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(dataDirectory, recursive: true);
    }
}
