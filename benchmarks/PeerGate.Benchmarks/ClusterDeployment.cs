using System.Security.Cryptography;
using PeerGate.Protocol.Host.Admin;

namespace PeerGate.Benchmarks;

/// <summary>
/// Server instances of one deployment, each a <see cref="ServedServer"/> of its own on 127.0.0.1 over
/// one database: one SQLite file (one instance only), or one PostgreSQL database that instances join
/// one by one. Every instance shares what a deployment's instances must: the issuer name (the default),
/// the signing key (the first instance's issuer-key.pem, copied into each new data directory before it
/// starts) and the admin token. Clients address the instances directly, no load balancer between.
/// </summary>
public sealed class ClusterDeployment : IAsyncDisposable
{
    private const string KeyFile = "issuer-key.pem";

    private readonly BenchSettings _settings;
    private readonly string _root;
    private readonly IReadOnlyDictionary<string, string> _storage;
    private readonly string _adminToken = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    private readonly List<ServedServer> _instances = [];
    private readonly List<HttpClient> _http = [];
    private AdminClient? _admin;

    private ClusterDeployment(BenchSettings settings, string engine, IReadOnlyDictionary<string, string> storage)
    {
        _settings = settings;
        Engine = engine;
        _storage = storage;
        _root = Path.Combine(settings.DataRoot, "peergate-bench-cluster-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
    }

    /// <summary>"SQLite" or "PostgreSQL", as the lines name it.</summary>
    public string Engine { get; }

    public IReadOnlyList<ServedServer> Instances => _instances;

    /// <summary>A client per instance, in the instances' order.</summary>
    public IReadOnlyList<HttpClient> Http => _http;

    /// <summary>The operator API at the first instance (every instance sees what it changes).</summary>
    public AdminClient Admin => _admin ?? throw new InvalidOperationException("no instance has started");

    /// <summary>One instance over a SQLite file in its data directory.</summary>
    public static Task<ClusterDeployment> SqliteAsync(BenchSettings settings) =>
        StartAsync(new ClusterDeployment(settings, "SQLite", new Dictionary<string, string>()));

    /// <summary>One instance over the PostgreSQL database <paramref name="connectionString"/> names; <see cref="AddInstanceAsync"/> adds more.</summary>
    public static Task<ClusterDeployment> PostgresAsync(BenchSettings settings, string connectionString) =>
        StartAsync(new ClusterDeployment(settings, "PostgreSQL", new Dictionary<string, string>
        {
            // In the environment, so the password is not on a command line.
            ["PeerGate__Storage__Engine"] = PeerGate.Server.Storage.StorageEngine.Postgres,
            ["PeerGate__Storage__ConnectionString"] = connectionString,
        }));

    private static async Task<ClusterDeployment> StartAsync(ClusterDeployment deployment)
    {
        try
        {
            await deployment.AddInstanceAsync();
            return deployment;
        }
        catch
        {
            await deployment.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more instance on the same database and returns once every instance hears from all the others.</summary>
    public async Task AddInstanceAsync()
    {
        var dataDirectory = Path.Combine(_root, "instance-" + _instances.Count);
        Directory.CreateDirectory(dataDirectory);
        if (_instances.Count > 0)
        {
            File.Copy(Path.Combine(_root, "instance-0", KeyFile), Path.Combine(dataDirectory, KeyFile));
        }

        var instance = await ServedServer.StartAsync(dataDirectory, _adminToken, _settings.ServerGc, _storage, ServedServer.BenchmarkLimits);
        _instances.Add(instance);
        _http.Add(new HttpClient { BaseAddress = new Uri(instance.BaseUrl), Timeout = TimeSpan.FromSeconds(60) });
        _admin ??= new AdminClient(new Uri(instance.BaseUrl), _adminToken);
        await UntilAllHearEachOtherAsync();
    }

    private async Task UntilAllHearEachOtherAsync()
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var others = _instances.Count - 1;
        foreach (var instance in _instances)
        {
            while (await instance.PeersAsync() < others)
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new InvalidOperationException($"instance {instance.BaseUrl} heard from fewer than {others} others after 30 s");
                }

                await Task.Delay(50);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _admin?.Dispose();
        foreach (var http in _http)
        {
            http.Dispose();
        }

        // The last one first, so the first (whose key the others copied) goes last.
        for (var i = _instances.Count - 1; i >= 0; i--)
        {
            await _instances[i].DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }
}
