using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Storage;

/// <summary>The database holds device and group keys: no file of it is readable by another local user.</summary>
[TestClass]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FileModeTests
{
    private const UnixFileMode GroupAndOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [TestInitialize]
    public void RequireUnix()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Inconclusive("skipped: Unix file modes (Windows uses the directory's ACL)");
        }
    }

    [TestMethod]
    public async Task FreshDataDirectoryAndEveryFileInItAreOwnerOnly()
    {
        var directory = NewTempPath("peergate-modes-");
        try
        {
            await using (var server = await StartAsync(directory))
            {
                AssertOwnerOnlyTree(directory, "after start");

                // A write: the WAL and its index exist now, and must be private too.
                await WriteAsync(server);
                Assert.IsTrue(File.Exists(server.DatabasePath + "-wal"), "the write left a WAL");
                Assert.IsTrue(File.Exists(server.DatabasePath + "-shm"), "the write left a WAL index");
                AssertOwnerOnlyTree(directory, "after a write");
                Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
            }
        }
        finally
        {
            Delete(directory);
        }
    }

    [TestMethod]
    public async Task LooseExistingFilesAreTightenedAndLoggedByPath()
    {
        var directory = NewTempPath("peergate-loose-");
        Directory.CreateDirectory(directory);
        try
        {
            File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
            var database = Path.Combine(directory, "peergate.db");
            using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString()))
            {
                connection.Open();
            }

            var demo = Directory.CreateDirectory(Path.Combine(directory, "demo")).FullName;
            var note = Path.Combine(demo, "device.json");
            File.WriteAllText(note, "{}");
            foreach (var path in new[] { database, note })
            {
                File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
            }

            File.SetUnixFileMode(demo, (UnixFileMode)0b111_101_101);

            using var logs = new CapturingLoggerProvider();
            await using (var server = await StartAsync(directory, logs))
            {
                await WriteAsync(server);
                AssertOwnerOnlyTree(directory, "after start over loose files");
            }

            foreach (var path in new[] { directory, database, demo, note })
            {
                StringAssert.Contains(logs.Text, path + " was readable by other users; it is owner-only now");
            }
        }
        finally
        {
            Delete(directory);
        }
    }

    [TestMethod]
    public async Task DatabaseOutsideTheDataDirectoryIsOwnerOnly()
    {
        var directory = NewTempPath("peergate-data-");
        var elsewhere = NewTempPath("peergate-db-");
        Directory.CreateDirectory(elsewhere);
        try
        {
            var database = Path.Combine(elsewhere, "outside.db");
            await using (var server = await TestServer.StartAsync(new TestServerOptions
            { Storage = "sqlite",
                DataDirectory = directory,
                Configure = options => options.DatabasePath = database,
            }))
            {
                await WriteAsync(server, database);
                foreach (var file in new[] { database, database + "-wal", database + "-shm" })
                {
                    Assert.IsTrue(File.Exists(file), file);
                    AssertOwnerOnly(file, "outside the data directory");
                }
            }
        }
        finally
        {
            Delete(directory);
            Delete(elsewhere);
        }
    }

    private static async Task<TestServer> StartAsync(string directory, CapturingLoggerProvider? logs = null) =>
        await TestServer.StartAsync(new TestServerOptions
        { Storage = "sqlite",
            DataDirectory = directory,
            Configure = options => options.ConfigureLogging = logs is null ? null : logging => logging.AddProvider(logs),
        });

    /// <summary>An enrollment: a device key written to the database.</summary>
    private static async Task WriteAsync(TestServer server, string? databasePath = null)
    {
        await Devices.EnrollAsync(server);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath ?? server.DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM devices WHERE device_key IS NOT NULL";
        Assert.AreEqual(1L, command.ExecuteScalar());
    }

    private static void AssertOwnerOnlyTree(string directory, string when)
    {
        AssertOwnerOnly(directory, when);
        var entries = Directory.GetFileSystemEntries(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 });
        Assert.IsNotEmpty(entries);
        foreach (var entry in entries)
        {
            AssertOwnerOnly(entry, when);
        }
    }

    private static void AssertOwnerOnly(string path, string when)
    {
        var mode = File.GetUnixFileMode(path);
        Assert.AreEqual((UnixFileMode)0, mode & GroupAndOther, $"{path} {when} has mode {Convert.ToString((int)mode, 8)}");
    }

    private static string NewTempPath(string prefix) => Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));

    private static void Delete(string directory)
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
