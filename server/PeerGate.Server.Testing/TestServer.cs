using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PeerGate.Protocol.Host.Admin;

namespace PeerGate.Server.Testing;

/// <summary>
/// A real PeerGate server for tests: in-process, on Kestrel at http://127.0.0.1 with a free port,
/// over its own SQLite file in a temporary directory that is deleted on dispose, or its own
/// PostgreSQL database (<see cref="TestStorage"/>), dropped with the directory.
/// </summary>
/// <example>
/// <code>
/// await using var server = await TestServer.StartAsync();
/// var device = await server.Admin.EnrollDeviceAsync("24A160C3D4E5");
/// server.Time!.Advance(TimeSpan.FromMinutes(2));
/// </code>
/// </example>
public sealed class TestServer : IAsyncDisposable
{
    private static readonly DateTimeOffset DefaultStart = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly WebApplication _app;
    private readonly bool _deleteData;
    private bool _stopped;

    private TestServer(WebApplication app, string baseUrl, string operatorUrl, ServerCertificate? tls, FakeTimeProvider? time, string adminToken, string dataDirectory, bool deleteData, ServerOptions serverOptions)
    {
        StorageEngine = serverOptions.StorageEngine!;
        StorageConnectionString = serverOptions.StorageConnectionString;
        _app = app;
        _deleteData = deleteData;
        BaseUrl = baseUrl;
        OperatorUrl = operatorUrl;
        Tls = tls;
        Time = time;
        AdminToken = adminToken;
        DataDirectory = dataDirectory;
        Admin = new AdminClient(new Uri(operatorUrl), adminToken);
    }

    /// <summary>e.g. "http://127.0.0.1:41234", without a trailing slash.</summary>
    public string BaseUrl { get; }

    /// <summary>Where the operator API is reached: <see cref="BaseUrl"/>, or with TLS the plain-HTTP loopback listener.</summary>
    public string OperatorUrl { get; }

    /// <summary>The server's TLS certificate, or null when it serves plain HTTP.</summary>
    public ServerCertificate? Tls { get; }

    /// <summary>The server's clock, or null when it runs on the system clock.</summary>
    public FakeTimeProvider? Time { get; }

    public string AdminToken { get; }

    public string DataDirectory { get; }

    /// <summary>The SQLite file (on SQLite).</summary>
    public string DatabasePath => Path.Combine(DataDirectory, "peergate.db");

    /// <summary>"sqlite" or "postgres".</summary>
    public string StorageEngine { get; }

    /// <summary>The PostgreSQL database's connection string, or null on SQLite.</summary>
    public string? StorageConnectionString { get; }

    /// <summary>The operator API of this server.</summary>
    public AdminClient Admin { get; }

    /// <summary>The server's services, for tests that need to look inside (e.g. its database).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>This instance's certificate public key (base64 SubjectPublicKeyInfo), to pin in another instance.</summary>
    public string PublicKey => Convert.ToBase64String(_app.Services.GetRequiredService<PeerGate.Server.Identity.SigningKey>().PublicKeyInfo);

    /// <summary>This instance as a trusted issuer of another: its name, URL and pinned public key.</summary>
    public TrustedIssuer AsTrustedIssuer() => new(_app.Services.GetRequiredService<PeerGate.Server.Identity.SigningKey>().Issuer, BaseUrl, [PublicKey]);

    /// <summary>The UDP rendezvous port bound on 127.0.0.1 (F27), or 0 when the listener is off.</summary>
    public int UdpPort => _app.Services.GetRequiredService<PeerGate.Server.Rendezvous.UdpRegistrar>().BoundPort;

    /// <summary>The UDP lifetime-probe port bound on 127.0.0.1 (F31), or 0 when probes are off.</summary>
    public int UdpProbePort => _app.Services.GetRequiredService<PeerGate.Server.Rendezvous.UdpRegistrar>().BoundProbePort;

    /// <summary>True while <paramref name="terminalId"/> has a trigger poll open here.</summary>
    public bool IsPolling(string terminalId) => _app.Services.GetRequiredService<PeerGate.Server.Triggers.TriggerHub>().IsPolling(terminalId);

    public static async Task<TestServer> StartAsync(TestServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new TestServerOptions();
        var time = options.UseSystemClock ? null : options.Time ?? new FakeTimeProvider(DefaultStart);
        var dataDirectory = options.DataDirectory ?? Path.Combine(Path.GetTempPath(), "peergate-test-" + Guid.NewGuid().ToString("N"));
        var deleteData = options.DataDirectory is null && !options.KeepData;

        var serverOptions = new ServerOptions
        {
            DataDirectory = dataDirectory,
            Urls = options.Tls is null ? "http://127.0.0.1:0" : "https://127.0.0.1:0;http://127.0.0.1:0",
            TlsCertificatePath = options.Tls?.CertificatePath,
            TlsKeyPath = options.Tls?.KeyPath,
            TimeProvider = (TimeProvider?)time ?? TimeProvider.System,
            AdminToken = options.AdminToken,
            IssuerName = options.IssuerName,
            RegistryUrl = options.RegistryUrl,
            Quiet = true,
            UdpAddress = "127.0.0.1",
            UdpPort = 0,
            UdpProbePort = 0,
        };
        serverOptions.TrustedIssuers.AddRange(options.TrustedIssuers);
        serverOptions.StorageEngine = options.Storage ?? TestStorage.Engine;
        if (serverOptions.StorageEngine == PeerGate.Server.Storage.StorageEngine.Postgres)
        {
            serverOptions.StorageConnectionString = await TestStorage.DatabaseForAsync(dataDirectory, cancellationToken);
        }

        options.Configure?.Invoke(serverOptions);

        var app = PeerGateServer.Build(serverOptions);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            if (deleteData)
            {
                TryDelete(dataDirectory);
                if (serverOptions.StorageConnectionString is not null)
                {
                    await TestStorage.DropAsync(dataDirectory);
                }
            }

            throw;
        }

        // Bound to every interface (e.g. for a board on the rig): reach it over loopback from here.
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(address => address.TrimEnd('/').Replace("://0.0.0.0:", "://127.0.0.1:", StringComparison.Ordinal).Replace("://[::]:", "://127.0.0.1:", StringComparison.Ordinal))
            .ToList();
        var baseUrl = addresses.FirstOrDefault(address => address.StartsWith(options.Tls is null ? "http://" : "https://", StringComparison.Ordinal)) ?? addresses.First();
        var operatorUrl = addresses.FirstOrDefault(address => address.StartsWith("http://", StringComparison.Ordinal)) ?? baseUrl;
        return new TestServer(app, baseUrl, operatorUrl, options.Tls, time, options.AdminToken, dataDirectory, deleteData, serverOptions);
    }

    /// <summary>A client for the device-facing API of this server; with TLS it trusts only the server's CA.</summary>
    public HttpClient CreateClient()
    {
        if (Tls is null)
        {
            return new() { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        }

        var authority = Tls.Authority;
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return false;
            }

            using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
            chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
            chain.ChainPolicy.CustomTrustStore.Add(authority);
            return chain.Build(new System.Security.Cryptography.X509Certificates.X509Certificate2(certificate));
        };
        return new(handler) { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Stops accepting requests and closes the database; the data directory stays until dispose.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
        Admin.Dispose();
        if (_deleteData)
        {
            // Pooled SQLite handles keep the file open on some platforms until cleared.
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TryDelete(DataDirectory);
            if (StorageConnectionString is not null)
            {
                await TestStorage.DropAsync(DataDirectory);
            }
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is not worth failing a test over.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
