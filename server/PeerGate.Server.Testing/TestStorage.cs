using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Testing;

/// <summary>
/// The database engine test servers run on: SQLite, or PostgreSQL when the environment variable
/// <see cref="Variable"/> is <c>postgres</c>. On PostgreSQL one cluster serves the whole test run
/// (<see cref="PostgresCluster"/>, started at the first server) and every data directory gets a
/// database of its own, made from a migrated template (a file copy, fast), so a server restarted on
/// the same directory finds its data again.
/// </summary>
public static class TestStorage
{
    public const string Variable = "PEERGATE_TEST_STORAGE";

    private const string Template = "peergate_template";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static PostgresCluster? _cluster;
    private static NpgsqlDataSource? _admin;

    /// <summary><see cref="StorageEngine.Sqlite"/> unless <see cref="Variable"/> says <c>postgres</c>.</summary>
    public static string Engine =>
        string.Equals(Environment.GetEnvironmentVariable(Variable), StorageEngine.Postgres, StringComparison.OrdinalIgnoreCase)
            ? StorageEngine.Postgres
            : StorageEngine.Sqlite;

    /// <summary>
    /// Reports a test as skipped with the reason (the test framework's own "inconclusive"); set by a
    /// test project at start. Without it, a missing PostgreSQL fails the test instead.
    /// </summary>
    public static Action<string>? Skip { get; set; }

    /// <summary>The database of <paramref name="dataDirectory"/>, created from the template when new; an Npgsql connection string.</summary>
    public static async Task<string> DatabaseForAsync(string dataDirectory, CancellationToken cancellationToken = default)
    {
        var name = DatabaseName(dataDirectory);
        await Gate.WaitAsync(cancellationToken);
        try
        {
            var admin = await AdminAsync(cancellationToken);
            await using var exists = admin.CreateCommand("SELECT 1 FROM pg_database WHERE datname = @name;");
            exists.Parameters.AddWithValue("name", name);
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                await using var create = admin.CreateCommand($"CREATE DATABASE {name} TEMPLATE {Template};");
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            return _cluster!.ConnectionString(name);
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Drops the database of <paramref name="dataDirectory"/>, if there is one.</summary>
    public static async Task DropAsync(string dataDirectory)
    {
        if (_admin is not { } admin)
        {
            return;
        }

        await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {DatabaseName(dataDirectory)} WITH (FORCE);");
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Stops the cluster, at the end of the test run.</summary>
    public static async Task StopAsync()
    {
        if (_admin is { } admin)
        {
            await admin.DisposeAsync();
            _admin = null;
        }

        if (_cluster is { } cluster)
        {
            _cluster = null;
            await cluster.DisposeAsync();
        }
    }

    private static async Task<NpgsqlDataSource> AdminAsync(CancellationToken cancellationToken)
    {
        if (_admin is { } admin)
        {
            return admin;
        }

        if (PostgresCluster.Missing is { } why)
        {
            var reason = "the PostgreSQL run needs PostgreSQL: " + why;
            Skip?.Invoke(reason);
            throw new InvalidOperationException(reason);
        }

        _cluster = await PostgresCluster.StartAsync(cancellationToken);

        // The template: every migration applied once, then copied for each database.
        admin = NpgsqlDataSource.Create(_cluster.ConnectionString());
        await using (var create = admin.CreateCommand($"CREATE DATABASE {Template};"))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        using (var database = new Database(new PostgresEngine(_cluster.ConnectionString(Template), TimeSpan.FromSeconds(5)), TimeSpan.FromSeconds(5)))
        {
            database.Initialize();
        }

        _admin = admin;
        return admin;
    }

    private static string DatabaseName(string dataDirectory) =>
        "test_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..24].ToString(CultureInfo.InvariantCulture);
}
