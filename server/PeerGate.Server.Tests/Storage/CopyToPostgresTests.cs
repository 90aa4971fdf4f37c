using System.Net;
using Microsoft.Data.Sqlite;
using Npgsql;
using PeerGate.Protocol;
using PeerGate.Server.Storage;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Storage;

/// <summary>
/// `peergate-server copy-to-postgres`: a SQLite deployment filled through the HTTP API, copied into
/// a new PostgreSQL database, served from there to the same devices; and every refusal, which
/// changes nothing. The PostgreSQL cases are skipped with the reason where PostgreSQL is not installed.
/// </summary>
[TestClass]
public sealed class CopyToPostgresTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task ACopiedDeploymentServesItsDevicesFromPostgres()
    {
        await using var deployment = await Deployment.FillAsync();
        var target = await deployment.NewDatabaseAsync();

        var (exit, output, error) = Run("--PeerGate:DataDirectory", deployment.Directory, "--to", target);
        TestContext.WriteLine(output);

        Assert.AreEqual(CopyToPostgresCommand.Matched, exit, output + error);
        StringAssert.Contains(output, $"all {TableLines(output).Count} tables match (schema version {Migrations.Version})");
        Assert.IsTrue(TableLines(output).All(line => line.EndsWith("  OK", StringComparison.Ordinal)), output);
        StringAssert.Contains(output, "registrations");
        StringAssert.Contains(output, "triggers");

        await using var server = await TestServer.StartAsync(new TestServerOptions
        {
            DataDirectory = deployment.Directory,
            Storage = StorageEngine.Postgres,
            Configure = options => options.StorageConnectionString = target,
        });
        Assert.AreEqual(deployment.Snapshot, Db.Snapshot(server));

        // The same device, its key and terminal from the copy; the caller's permit still lets it through,
        // and the new attempt and trigger get ids past the copied ones (the sequences were moved).
        using var http = server.CreateClient();
        var callee = await deployment.Callee.AuthenticateAsync(http);
        Assert.AreEqual(deployment.CalleeTerminal, callee.TerminalId);
        var caller = await deployment.Caller.AuthenticateAsync(http);
        await using (new TriggerResponder(http, callee.Certificate))
        {
            await Eventually.PollingAsync(server, callee.TerminalId);
            using var connect = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);
            Assert.AreEqual(HttpStatusCode.OK, connect.StatusCode, await connect.Content.ReadAsStringAsync());
        }

        Assert.AreEqual(2L, Db.Count(server, "SELECT count(*) FROM connection_attempts"));
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task ACopyTakenWhileTheServerWritesIsTheDatabaseAsOfOneCommit()
    {
        if (PostgresCluster.Missing is { } why)
        {
            Assert.Inconclusive(why);
        }

        var directory = Path.Combine(Path.GetTempPath(), "peergate-copy-" + Guid.NewGuid().ToString("N"));
        var target = await NewDatabaseAsync(directory);
        try
        {
            long acknowledged = 0;
            long acknowledgedBefore;
            (int Exit, string Output, string Error) copy;
            await using (var server = await TestServer.StartAsync(new TestServerOptions
            {
                DataDirectory = directory,
                Storage = StorageEngine.Sqlite,
                Configure = options => options.DeviceWritesPerMinute = 0,
            }))
            {
                using var http = server.CreateClient();
                var certificate = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));

                // Registrations with a rising port and a new device before every tenth, all through the copy.
                using var stop = new CancellationTokenSource();
                var writer = Task.Run(async () =>
                {
                    for (var port = 1; !stop.IsCancellationRequested; port++)
                    {
                        if (port % 10 == 0)
                        {
                            await Devices.EnrollAsync(server);
                        }

                        var request = Devices.Registration(certificate.TerminalId);
                        request.LocalPort = port;
                        using var response = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, request);
                        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);

                        Volatile.Write(ref acknowledged, port);
                    }
                });
                await Eventually.TrueAsync(() => Volatile.Read(ref acknowledged) >= 20, "the writer has written");
                acknowledgedBefore = Volatile.Read(ref acknowledged);
                copy = Run("--PeerGate:DataDirectory", directory, "--to", target);
                var acknowledgedAfter = Volatile.Read(ref acknowledged);
                await stop.CancelAsync();
                await writer;
                Assert.IsTrue(acknowledgedAfter > acknowledgedBefore, "no write was acknowledged while the copy ran");
            }

            // Both digests come from the one snapshot, so a copy made under writes matches throughout;
            // and the snapshot holds every registration acknowledged before the copy started.
            Assert.AreEqual(CopyToPostgresCommand.Matched, copy.Exit, copy.Output + copy.Error);
            var port = (long)Scalar(target, "SELECT local_port FROM registrations;")!;
            Assert.IsTrue(port >= acknowledgedBefore, $"the copy has port {port}, older than the {acknowledgedBefore} acknowledged before it");

            // One writer, so commits come in its order: every device enrolled before that registration
            // is there, and at most the one enrolled right after it.
            var devices = (long)Scalar(target, "SELECT count(*) FROM devices;")!;
            Assert.IsTrue(devices == 1 + (port / 10) || (devices == 2 + (port / 10) && (port + 1) % 10 == 0), $"{devices} devices beside the registration with port {port}: of different commits");
        }
        finally
        {
            await DropAsync(target);
            await TestStorage.DropAsync(directory);
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task ATargetHoldingRowsIsRefusedAndLeftAsItWas()
    {
        await using var deployment = await Deployment.FillAsync();

        // A database holding anything at all, even a table of its own: not one migration runs on it.
        var foreign = await deployment.NewDatabaseAsync();
        Execute(foreign, "CREATE TABLE notes (n BIGINT); INSERT INTO notes VALUES (1);");
        var (exit, _, error) = Run("--PeerGate:DataDirectory", deployment.Directory, "--to", foreign);
        Assert.AreEqual(CopyToPostgresCommand.Refused, exit, error);
        StringAssert.Contains(error, "target_not_empty");
        Assert.AreEqual(1L, Scalar(foreign, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public';"));

        // A copied deployment: a second copy into it is refused and the check still finds the first.
        var copied = await deployment.NewDatabaseAsync();
        Assert.AreEqual(CopyToPostgresCommand.Matched, Run("--PeerGate:DataDirectory", deployment.Directory, "--to", copied).Exit);
        (exit, _, error) = Run("--PeerGate:DataDirectory", deployment.Directory, "--to", copied);
        Assert.AreEqual(CopyToPostgresCommand.Refused, exit, error);
        StringAssert.Contains(error, "target_not_empty");
        var check = Run("--PeerGate:DataDirectory", deployment.Directory, "--to", copied, "--check-only");
        Assert.AreEqual(CopyToPostgresCommand.Matched, check.Exit, check.Output + check.Error);
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task TheCheckFindsARowChangedInTheTarget()
    {
        await using var deployment = await Deployment.FillAsync();
        var target = await deployment.NewDatabaseAsync();
        Assert.AreEqual(CopyToPostgresCommand.Matched, Run("--PeerGate:DataDirectory", deployment.Directory, "--to", target).Exit);

        // Same row count, one value different: only the digest can tell.
        Execute(target, "UPDATE registrations SET local_port = local_port + 1 WHERE terminal_id = (SELECT min(terminal_id) FROM registrations);");
        var (exit, output, error) = Run("--PeerGate:DataDirectory", deployment.Directory, "--to", target, "--check-only");

        Assert.AreEqual(CopyToPostgresCommand.Mismatched, exit, output + error);
        var lines = TableLines(output);
        var registrations = lines.Single(line => line.StartsWith("registrations ", StringComparison.Ordinal));
        StringAssert.EndsWith(registrations, "MISMATCH");
        Assert.AreEqual(1, lines.Count(line => line.EndsWith("MISMATCH", StringComparison.Ordinal)), output);
        StringAssert.Contains(output, "MISMATCH: 1 of ");

        // A deleted row shows in the counts too.
        Execute(target, "DELETE FROM permits;");
        (exit, output, _) = Run("--PeerGate:DataDirectory", deployment.Directory, "--to", target, "--check-only");
        Assert.AreEqual(CopyToPostgresCommand.Mismatched, exit);
        StringAssert.EndsWith(TableLines(output).Single(line => line.StartsWith("permits ", StringComparison.Ordinal)), "0  MISMATCH");
    }

    [TestMethod]
    public void AMissingOrOutOfDateSourceIsRefusedBeforeTheTargetIsReached()
    {
        // No server listens at port 1: a refusal here is the source's, before any connection.
        const string Unreachable = "Host=127.0.0.1;Port=1;Database=peergate;Username=peergate;Password=never-shown";
        var folder = Path.Combine(Path.GetTempPath(), "peergate-copy-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (exit, _, error) = Run("--PeerGate:DataDirectory", folder, "--to", Unreachable);
            Assert.AreEqual(CopyToPostgresCommand.Refused, exit);
            StringAssert.Contains(error, "source_missing");
            Assert.IsFalse(Directory.Exists(folder), "the refused copy created the data directory");

            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, "peergate.db");
            using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
            {
                connection.Open();
                Migrations.Apply(connection, Migrations.Version - 1);
            }

            var before = File.ReadAllBytes(path);
            (exit, _, error) = Run("--PeerGate:DatabasePath", path, "--to", Unreachable);
            Assert.AreEqual(CopyToPostgresCommand.Refused, exit);
            StringAssert.Contains(error, "source_out_of_date");
            StringAssert.Contains(error, $"schema version {Migrations.Version - 1}, older than this server's {Migrations.Version}");
            CollectionAssert.AreEqual(before, File.ReadAllBytes(path), "the refused source was changed");
            Assert.IsFalse(error.Contains("never-shown", StringComparison.Ordinal));

            (exit, _, error) = Run("--PeerGate:DatabasePath", path);
            Assert.AreEqual(CopyToPostgresCommand.Refused, exit);
            StringAssert.Contains(error, "--to");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public async Task TheServerBinaryNeverPrintsThePassword()
    {
        var folder = Path.Combine(Path.GetTempPath(), "peergate-copy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "peergate.db"), Pooling = false }.ToString()))
            {
                connection.Open();
                Migrations.Apply(connection, Migrations.Version);
            }

            // Nothing listens: the driver's error is passed on, without the password.
            const string Secret = "s3cret-Pa55word";
            var refused = await ServerProcess.RunToEndAsync(folder, CopyToPostgresCommand.Name, "--PeerGate:DataDirectory", folder, "--to", $"Host=127.0.0.1;Port={LoopbackPorts.Free()};Database=peergate;Username=peergate;Password={Secret};Timeout=5");
            Assert.AreEqual(CopyToPostgresCommand.Refused, refused.Exit, refused.Output + refused.Error);
            StringAssert.Contains(refused.Error, "target_unreachable");
            Assert.IsFalse((refused.Output + refused.Error).Contains(Secret, StringComparison.Ordinal), refused.Output + refused.Error);

            var garbled = await ServerProcess.RunToEndAsync(folder, CopyToPostgresCommand.Name, "--to", $"Host=127.0.0.1;Password={Secret};Bogus");
            Assert.AreEqual(CopyToPostgresCommand.Refused, garbled.Exit);
            StringAssert.Contains(garbled.Error, "target_invalid");
            Assert.IsFalse((garbled.Output + garbled.Error).Contains(Secret, StringComparison.Ordinal), garbled.Output + garbled.Error);

            if (PostgresCluster.Missing is { } why)
            {
                Assert.Inconclusive(why);
            }

            var target = await NewDatabaseAsync(folder);
            var password = new NpgsqlConnectionStringBuilder(target).Password!;
            var wrong = new NpgsqlConnectionStringBuilder(target) { Password = Secret }.ConnectionString;
            var denied = await ServerProcess.RunToEndAsync(folder, CopyToPostgresCommand.Name, "--PeerGate:DataDirectory", folder, "--to", wrong);
            Assert.AreEqual(CopyToPostgresCommand.Refused, denied.Exit, denied.Output + denied.Error);
            StringAssert.Contains(denied.Error, "password authentication failed");
            Assert.IsFalse((denied.Output + denied.Error).Contains(Secret, StringComparison.Ordinal), denied.Output + denied.Error);

            var copied = await ServerProcess.RunToEndAsync(folder, CopyToPostgresCommand.Name, "--PeerGate:DataDirectory", folder, "--to", target);
            Assert.AreEqual(CopyToPostgresCommand.Matched, copied.Exit, copied.Output + copied.Error);
            var builder = new NpgsqlConnectionStringBuilder(target);
            StringAssert.Contains(copied.Output, $"to postgres://{builder.Username}@127.0.0.1:{builder.Port}/{builder.Database}");
            Assert.IsFalse((copied.Output + copied.Error).Contains(password, StringComparison.Ordinal), "the password was printed");
            await DropAsync(target);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static (int Exit, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = CopyToPostgresCommand.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>The printed table's rows, without its header and verdict.</summary>
    private static List<string> TableLines(string output) => output
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .SkipWhile(line => !line.StartsWith("table ", StringComparison.Ordinal))
        .Skip(1)
        .TakeWhile(line => line.EndsWith("OK", StringComparison.Ordinal) || line.EndsWith("MISMATCH", StringComparison.Ordinal))
        .Where(line => !line.StartsWith("MISMATCH:", StringComparison.Ordinal))
        .ToList();

    private static void Execute(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        connection.Open();
        connection.Execute(sql);
    }

    private static object? Scalar(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        connection.Open();
        return connection.Scalar(null, sql);
    }

    /// <summary>A new database on the run's cluster, made from template0: no table in it, so the copy migrates it.</summary>
    private static async Task<string> NewDatabaseAsync(string key)
    {
        var builder = new NpgsqlConnectionStringBuilder(await TestStorage.DatabaseForAsync(key)) { Database = "postgres", Pooling = false };
        var name = "copy_" + Guid.NewGuid().ToString("N")[..16];
        Execute(builder.ConnectionString, $"CREATE DATABASE {name} TEMPLATE template0;");
        builder.Database = name;
        return builder.ConnectionString;
    }

    private static async Task DropAsync(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var name = builder.Database;
        builder.Database = "postgres";
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        connection.Execute($"DROP DATABASE IF EXISTS {name} WITH (FORCE);");
    }

    /// <summary>A stopped SQLite deployment filled through the HTTP API, and the databases copied from it.</summary>
    private sealed class Deployment : IAsyncDisposable
    {
        private readonly List<string> _databases = [];

        private Deployment(string directory, TestDevice callee, string calleeTerminal, TestDevice caller, string snapshot)
        {
            Directory = directory;
            Callee = callee;
            CalleeTerminal = calleeTerminal;
            Caller = caller;
            Snapshot = snapshot;
        }

        public string Directory { get; }

        public TestDevice Callee { get; }

        public string CalleeTerminal { get; }

        public TestDevice Caller { get; }

        /// <summary>Row counts of the stores' tables as the SQLite server left them.</summary>
        public string Snapshot { get; }

        public static async Task<Deployment> FillAsync()
        {
            if (PostgresCluster.Missing is { } why)
            {
                Assert.Inconclusive(why);
            }

            var directory = Path.Combine(Path.GetTempPath(), "peergate-copy-" + Guid.NewGuid().ToString("N"));
            await using var server = await TestServer.StartAsync(new TestServerOptions { DataDirectory = directory, Storage = StorageEngine.Sqlite });
            using var http = server.CreateClient();

            // Enrolled, authenticated and registered devices (one in a group, one named), a permit, a
            // trigger answered and a session granted: a row in most tables.
            var callee = await Devices.EnrollNamedAsync(server, "front-door", "lab");
            var caller = await Devices.EnrollAsync(server, "lab");
            var bystander = await Devices.EnrollAsync(server);
            var calleeCertificate = await Devices.RegisterAsync(server, http, callee, discoverable: true, capabilities: ["video"], attributes: ["floor=2"]);
            var callerCertificate = await Devices.RegisterAsync(server, http, caller);
            await Devices.RegisterAsync(server, http, bystander);
            await TestDevice.PermitAsync(http, calleeCertificate.Certificate, PermitKinds.Terminal, callerCertificate.TerminalId);
            await using (new TriggerResponder(http, calleeCertificate.Certificate))
            {
                await Eventually.PollingAsync(server, calleeCertificate.TerminalId);
                using var connect = await TestDevice.RequestConnectionAsync(http, callerCertificate.Certificate, calleeCertificate.TerminalId);
                Assert.AreEqual(HttpStatusCode.OK, connect.StatusCode, await connect.Content.ReadAsStringAsync());
            }

            // Counted once the server has stopped: the responder's last poll acknowledges its trigger
            // and may still be deleting it while the server runs.
            await server.StopAsync();
            var snapshot = Db.Snapshot(server);
            return new Deployment(directory, callee, calleeCertificate.TerminalId, caller, snapshot);
        }

        public async Task<string> NewDatabaseAsync()
        {
            var database = await CopyToPostgresTests.NewDatabaseAsync(Directory);
            _databases.Add(database);
            return database;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var database in _databases)
            {
                await DropAsync(database);
            }

            await TestStorage.DropAsync(Directory);
            SqliteConnection.ClearAllPools();
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
