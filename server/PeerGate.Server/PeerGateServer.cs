using PeerGate.Protocol.Host;
using PeerGate.Server.Admin;
using PeerGate.Server.Allocation;
using PeerGate.Server.Cluster;
using PeerGate.Server.Connections;
using PeerGate.Server.Dashboard;
using PeerGate.Server.Http;
using PeerGate.Server.Identity;
using PeerGate.Server.Observability;
using PeerGate.Server.Permits;
using PeerGate.Server.Registry;
using PeerGate.Server.Rendezvous;
using PeerGate.Server.Sessions;
using PeerGate.Server.Storage;
using PeerGate.Server.Triggers;

namespace PeerGate.Server;

/// <summary>
/// Builds one PeerGate server instance. Every instance runs all roles: service and allocation
/// server at any level, authentication server, registry; the operator's tables decide which it plays.
/// </summary>
public static class PeerGateServer
{
    /// <summary>
    /// How long a stop (SIGTERM, Ctrl-C) waits for requests in flight and hosted services before the
    /// host gives up; deploy/peergate.service's TimeoutStopSec is longer, so systemd never kills first.
    /// </summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The exit status of a start refused for its configuration or data (EX_CONFIG): retrying cannot
    /// help, so deploy/peergate.service names it in RestartPreventExitStatus.
    /// </summary>
    public const int RefusedStartExitCode = 78;

    /// <summary>The host's own switch for reloading configuration files when they change; a later argument may still turn it on.</summary>
    private const string NoConfigReload = "--hostBuilder:reloadConfigOnChange=false";

    public static WebApplication Build(ServerOptions options)
    {
        // Settings are read once, at start. Watching appsettings.json for changes would watch the content
        // root, which under systemd is the data directory, and wake a thread on every database write.
        var builder = WebApplication.CreateBuilder([NoConfigReload, .. options.Args]);
        ApplyConfiguration(options, builder.Configuration);
        NativeHeap.LimitArenas(options.MallocArenas);
        builder.WebHost.UseUrls(options.Urls!);

        // Kestrel's own refusals (before any middleware) get a problem+json body too.
        // One certificate for every TLS endpoint: Kestrel's https:// addresses here, the relay by ServerTls.
        var tls = ServerTls.Load(options.TlsCertificatePath, options.TlsKeyPath);
        options.RendezvousCertificate ??= tls.Certificate;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ConfigureEndpointDefaults(listen => listen.UseKestrelProblems());
            if (tls.Certificate is { } certificate)
            {
                kestrel.ConfigureHttpsDefaults(https =>
                {
                    https.ServerCertificate = certificate;
                    https.SslProtocols = ServerTls.Protocols;
                });
            }
        });
        FilterFrameworkLogs(builder.Logging);
        if (options.Quiet)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        }

        if (options.LogFormat == "json")
        {
            // One object a line, UTC timestamps; the same messages and fields as the text lines, so no secret is added.
            builder.Logging.AddJsonConsole(json =>
            {
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                json.IncludeScopes = false;
            });
        }

        options.ConfigureLogging?.Invoke(builder.Logging);

        // Storage: the data directory with the secrets, and the database (SQLite's file in it, or
        // PostgreSQL), its schema migrated now.
        var data = new DataDirectory(options.DataDirectory!);
        var database = new Database(StorageEngine.FromOptions(options), options.BusyTimeout, options.WriteQueueLimit, options.WriteBatchLimit);
        var tightened = data.Tightened.Concat(database.Initialize()).Distinct().ToList();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(tls);
        builder.Services.AddSingleton(options.TimeProvider!);
        builder.Services.AddSingleton(data);
        builder.Services.AddSingleton(database);
        builder.Services.AddSingleton<StorageHealth>();
        builder.Services.AddSingleton<Retention>();
        builder.Services.AddHostedService(services => services.GetRequiredService<Retention>());

        // Several instances on one PostgreSQL database tell each other what only memory knows (docs/deployment.md).
        builder.Services.AddSingleton<ClusterBus>(services => database.Engine is PostgresEngine postgres
            ? new PostgresClusterBus(postgres, services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ServerMetrics>(), services.GetRequiredService<ILogger<PostgresClusterBus>>())
            : ClusterBus.Single());
        builder.Services.AddHostedService(services => services.GetRequiredService<ClusterBus>());

        // Identity: the signing key, challenge-response, certificate checks (own and trusted issuers).
        builder.Services.AddSingleton(new SigningKey(data, options.IssuerName!));
        builder.Services.AddSingleton<DeviceAuthenticator>();
        builder.Services.AddSingleton<StandingSet>();
        builder.Services.AddSingleton<CertificateVerifier>();
        PinnedKeys.Validate(options.TrustedIssuers);
        builder.Services.AddSingleton<TrustedIssuers>();
        builder.Services.AddSingleton<TerminalOwners>();
        builder.Services.AddHttpClient(TrustedIssuers.HttpClientName, http =>
        {
            http.Timeout = TimeSpan.FromSeconds(5);
            http.MaxResponseContentBufferSize = TrustedIssuers.MaxAnswerBytes;
        });

        // Allocation: the operator's tables and the walker for delegated allocation.
        builder.Services.AddSingleton<AllocationStore>();
        builder.Services.AddSingleton<ChainWalker>();
        builder.Services.AddHttpClient(ChainWalker.HttpClientName, http => http.MaxResponseContentBufferSize = ChainWalker.MaxAnswerBytes);

        // Registry, with the gate that decides who sees whom.
        builder.Services.AddSingleton<RegistryStore>();
        builder.Services.AddSingleton<DeviceNameStore>();
        builder.Services.AddSingleton<VisibilityGate>();

        // UDP rendezvous (F27): the NAT mappings in memory, the listener that moves them.
        builder.Services.AddSingleton<UdpMappings>();
        builder.Services.AddSingleton<UdpPresence>();
        builder.Services.AddSingleton<UdpRegistrar>();
        builder.Services.AddHostedService(services => services.GetRequiredService<UdpRegistrar>());
        builder.Services.AddSingleton<UdpWaker>();

        // Rendezvous endpoint (F37): hole-punch coordination and the relay, tickets in memory.
        builder.Services.AddSingleton<RelayTickets>();
        builder.Services.AddSingleton<RendezvousEndpoint>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RendezvousEndpoint>());

        // Permits, the trigger channel (queue in SQLite, wake-ups and pollers in memory), mediated connections.
        builder.Services.AddSingleton<PermitStore>();
        builder.Services.AddSingleton<TriggerStore>();
        builder.Services.AddSingleton<TriggerHub>();
        builder.Services.AddSingleton<PollTimeouts>();
        builder.Services.AddSingleton<ConnectionStore>();
        builder.Services.AddSingleton<ConnectionBroker>();

        // Sessions: limits, extensions, end notices, forced termination (F23-F26).
        builder.Services.AddSingleton<SessionStore>();
        builder.Services.AddSingleton<SessionEndAnnouncer>();
        builder.Services.AddSingleton<SessionPolicy>();

        // Operator API.
        builder.Services.AddSingleton<AdminStore>();
        builder.Services.AddSingleton(new AdminToken(options.AdminToken ?? data.ReadOrCreateSecret("admin-token", NewAdminToken)));
        builder.Services.AddDashboard();

        // HTTP plumbing: public URLs, problem+json, metrics, OpenAPI.
        builder.Services.AddSingleton<PublicUrls>();
        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.ConfigureHttpJsonOptions(json => UseWireNames(json.SerializerOptions));
        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = AuthenticateChallenge.OnProblem);
        builder.Services.AddPeerGateOpenApi();
        builder.Services.AddUnauthenticatedRateLimit(options);
        builder.Services.AddSingleton<DeviceWriteLimiter>();

        var app = builder.Build();

        // Once every request and background service has stopped: commit what is queued, then close.
        app.Lifetime.ApplicationStopped.Register(database.Dispose);

        // The rendezvous endpoint tells which path a punched session took; the attempt log and the metric follow it.
        var rendezvousEndpoint = app.Services.GetRequiredService<RendezvousEndpoint>();
        var connectionStore = app.Services.GetRequiredService<ConnectionStore>();
        var serverMetrics = app.Services.GetRequiredService<ServerMetrics>();
        rendezvousEndpoint.PathSettled = async (sessionId, path, reason) =>
        {
            await connectionStore.SettlePathAsync(sessionId, path, reason);
            serverMetrics.CountConnectionPath(path);
            serverMetrics.CountConnectionOutcome(PeerGate.Server.Connections.AttemptStages.Granted, path);
        };
        var triggerHub = app.Services.GetRequiredService<TriggerHub>();
        app.Lifetime.ApplicationStopping.Register(triggerHub.Stop);
        var udpMappings = app.Services.GetRequiredService<UdpMappings>();
        serverMetrics.ObserveDevicesOnline(triggerHub.PollingCount, () => udpMappings.FreshCount(options.TimeProvider!.GetUtcNow().ToUnixTimeSeconds()));
        app.UseHeadAsGet();
        app.UseRouting();
        app.UseHeadRestored();
        app.UseChallengeOn401();
        app.UseApiProblems();
        app.UseTransportGate();
        app.UseRateLimiter();

        app.MapOpenApi();
        app.MapApiReference();
        app.MapOperations();
        app.MapAllocation();
        app.MapIdentity();
        app.MapRegistry();
        app.MapPermits();
        app.MapTriggers();
        app.MapConnections();
        app.MapSessions();
        app.MapAdmin();
        app.MapDashboard();

        LogStartup(app, options, data, database, tightened);
        return app;
    }

    /// <summary>ASP.NET Core's and HttpClient's own log lines from Warning up, and none of hosting's per-request ones.</summary>
    public static void FilterFrameworkLogs(ILoggingBuilder logging)
    {
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        // Hosting logs only each request's start and end (Information and Debug), yet while its category
        // is on at any level it gives every request an Activity and a logging scope, kept for as long as
        // the request is held: some 300 bytes on each waiting poll.
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
    }

    /// <summary>The database file of these options: PeerGate:DatabasePath, else peergate.db in the data directory.</summary>
    public static string DatabasePathOf(ServerOptions options) =>
        Path.GetFullPath(options.DatabasePath ?? Path.Combine(options.DataDirectory!, "peergate.db"));

    internal static void ApplyConfiguration(ServerOptions options, IConfiguration configuration)
    {
        var section = configuration.GetSection("PeerGate");
        options.DataDirectory ??= section["DataDirectory"] ?? "data";
        options.DatabasePath ??= section["DatabasePath"];
        options.StorageEngine ??= NullIfEmpty(section["Storage:Engine"]) ?? Storage.StorageEngine.Sqlite;
        options.StorageConnectionString ??= NullIfEmpty(section["Storage:ConnectionString"]);
        if (options.StorageEngine is not (Storage.StorageEngine.Sqlite or Storage.StorageEngine.Postgres))
        {
            throw new InvalidOperationException("PeerGate:Storage:Engine must be sqlite or postgres.");
        }

        if ((options.StorageEngine == Storage.StorageEngine.Postgres) != (options.StorageConnectionString is not null))
        {
            throw new InvalidOperationException("PeerGate:Storage:ConnectionString is needed with PeerGate:Storage:Engine postgres, and only with it.");
        }
        options.Urls ??= configuration["urls"] ?? "http://127.0.0.1:5080";
        options.TimeProvider ??= TimeProvider.System;
        options.AdminToken ??= NullIfEmpty(section["AdminToken"]);
        options.IssuerName ??= section["Issuer"] ?? "peergate";
        options.PublicBaseUrl ??= NullIfEmpty(section["PublicBaseUrl"]);
        options.RegistryUrl ??= NullIfEmpty(section["RegistryUrl"]);
        options.MaxSessionSeconds = section.GetValue("MaxSessionSeconds", options.MaxSessionSeconds);
        options.MaxSessionBytes = section.GetValue("MaxSessionBytes", options.MaxSessionBytes);
        options.UnauthenticatedRequestsPerMinute = section.GetValue("UnauthenticatedRequestsPerMinute", options.UnauthenticatedRequestsPerMinute);
        options.BusyTimeout = TimeSpan.FromMilliseconds(section.GetValue("BusyTimeoutMilliseconds", options.BusyTimeout.TotalMilliseconds));
        options.WriteQueueLimit = section.GetValue("WriteQueueLimit", options.WriteQueueLimit);
        options.WriteBatchLimit = section.GetValue("WriteBatchLimit", options.WriteBatchLimit);
        if (options.WriteQueueLimit < 1 || options.WriteBatchLimit < 1)
        {
            throw new InvalidOperationException("PeerGate:WriteQueueLimit and PeerGate:WriteBatchLimit must be at least 1.");
        }

        options.MaxQueuedTriggersPerDevice = section.GetValue("MaxQueuedTriggersPerDevice", options.MaxQueuedTriggersPerDevice);
        options.DeviceWritesPerMinute = section.GetValue("DeviceWritesPerMinute", options.DeviceWritesPerMinute);
        options.ConnectionAttemptRetention = Days(section, "ConnectionAttemptRetentionDays", options.ConnectionAttemptRetention);
        options.MaxConnectionAttempts = section.GetValue("MaxConnectionAttempts", options.MaxConnectionAttempts);
        options.MaxConnectionAttemptsPerCaller = section.GetValue("MaxConnectionAttemptsPerCaller", options.MaxConnectionAttemptsPerCaller);
        options.ExpiredCertificateRetention = Days(section, "ExpiredCertificateRetentionDays", options.ExpiredCertificateRetention);
        options.EndedSessionRetention = Days(section, "EndedSessionRetentionDays", options.EndedSessionRetention);
        options.DeviceNameSelfClaim = section.GetValue("DeviceNameSelfClaim", options.DeviceNameSelfClaim);
        options.AllowPlainHttp = section.GetValue("AllowPlainHttp", options.AllowPlainHttp);
        options.BehindTlsProxy = section.GetValue("BehindTlsProxy", options.BehindTlsProxy);
        foreach (var proxy in section.GetSection("KnownProxies").GetChildren())
        {
            options.KnownProxies.Add(System.Net.IPAddress.TryParse(proxy.Value, out var address)
                ? address
                : throw new InvalidOperationException($"PeerGate:KnownProxies holds '{proxy.Value}', which is not an IP address."));
        }

        options.CertificateClockSkew = TimeSpan.FromSeconds(section.GetValue("CertificateClockSkewSeconds", options.CertificateClockSkew.TotalSeconds));
        options.CertificateCacheSize = section.GetValue("CertificateCacheSize", options.CertificateCacheSize);
        if (options.CertificateCacheSize < 1)
        {
            throw new InvalidOperationException("PeerGate:CertificateCacheSize must be at least 1.");
        }

        options.TrustedIssuerRevocationMaxAge = TimeSpan.FromSeconds(section.GetValue("TrustedIssuerRevocationMaxAgeSeconds", options.TrustedIssuerRevocationMaxAge.TotalSeconds));
        options.GroupEnrollmentCap = section.GetValue("GroupEnrollmentCap", options.GroupEnrollmentCap);
        if (options.GroupEnrollmentCap < 0 || options.GroupEnrollmentCap > GroupEnrollment.MaxCap)
        {
            throw new InvalidOperationException($"PeerGate:GroupEnrollmentCap must be between 0 and {GroupEnrollment.MaxCap}.");
        }

        options.UdpAddress ??= section["UdpAddress"] ?? "127.0.0.1";
        options.UdpPort = section.GetValue("UdpPort", options.UdpPort);
        options.UdpInterval = TimeSpan.FromSeconds(section.GetValue("UdpIntervalSeconds", options.UdpInterval.TotalSeconds));
        options.UdpMappingMaxAge = TimeSpan.FromSeconds(section.GetValue("UdpMappingMaxAgeSeconds", options.UdpMappingMaxAge.TotalSeconds));
        options.UdpPersistInterval = TimeSpan.FromSeconds(section.GetValue("UdpPersistIntervalSeconds", options.UdpPersistInterval.TotalSeconds));
        options.UdpMappingRetention = TimeSpan.FromSeconds(section.GetValue("UdpMappingRetentionSeconds", options.UdpMappingRetention.TotalSeconds));
        options.UdpMappingsMax = section.GetValue("UdpMappingsMax", options.UdpMappingsMax);
        options.UdpStandingRecheck = TimeSpan.FromSeconds(section.GetValue("UdpStandingRecheckSeconds", options.UdpStandingRecheck.TotalSeconds));
        options.TlsCertificatePath ??= NullIfEmpty(section["TlsCertificatePath"]);
        options.TlsKeyPath ??= NullIfEmpty(section["TlsKeyPath"]);
        options.UdpProbePort = section.GetValue("UdpProbePort", options.UdpProbePort);
        foreach (var trusted in section.GetSection("TrustedIssuers").GetChildren())
        {
            if (trusted["Name"] is { Length: > 0 } name && trusted["BaseUrl"] is { Length: > 0 } baseUrl)
            {
                var keys = trusted.GetSection("PublicKeys").GetChildren().Select(key => key.Value).OfType<string>().Where(key => key.Length > 0).ToList();
                options.TrustedIssuers.Add(new TrustedIssuer(name, baseUrl, keys));
            }
        }

        options.LogFormat ??= section["LogFormat"] is { Length: > 0 } logFormat ? logFormat.ToLowerInvariant() : "text";
        if (options.LogFormat is not ("text" or "json"))
        {
            throw new InvalidOperationException("PeerGate:LogFormat must be text or json.");
        }

        options.RendezvousAddress ??= section["RendezvousAddress"] ?? "127.0.0.1";
        options.RendezvousPort = section.GetValue("RendezvousPort", options.RendezvousPort);
        options.RelayMaxSessions = section.GetValue("RelayMaxSessions", options.RelayMaxSessions);
        options.RendezvousPublicHost ??= section["RendezvousPublicHost"] is { Length: > 0 } publicHost ? publicHost : null;
        options.RendezvousPublicPort = section.GetValue("RendezvousPublicPort", options.RendezvousPublicPort);
        options.RendezvousProbePort = section.GetValue("RendezvousProbePort", options.RendezvousProbePort);
        if (options.RendezvousProbePort > 65535)
        {
            throw new InvalidOperationException("PeerGate:RendezvousProbePort must be at most 65535 (negative: off).");
        }
        if (options.RendezvousPublicPort < 0 || options.RendezvousPublicPort > 65535)
        {
            throw new InvalidOperationException("PeerGate:RendezvousPublicPort must be between 0 and 65535.");
        }

        options.MallocArenas = section.GetValue("MallocArenas", options.MallocArenas);
        if (options.MallocArenas < 0 || options.MallocArenas > 64)
        {
            throw new InvalidOperationException("PeerGate:MallocArenas must be between 0 and 64 (0: glibc's default).");
        }

        options.UdpReceiveLoops = section.GetValue("UdpReceiveLoops", options.UdpReceiveLoops);
        if (options.UdpReceiveLoops < 0 || options.UdpReceiveLoops > 64)
        {
            throw new InvalidOperationException("PeerGate:UdpReceiveLoops must be between 0 and 64.");
        }

        if (options.RelayMaxSessions < 1 || options.RelayMaxSessions > 100_000)
        {
            throw new InvalidOperationException("PeerGate:RelayMaxSessions must be between 1 and 100000.");
        }

        options.DashboardSessionLifetime = TimeSpan.FromMinutes(section.GetValue("DashboardSessionMinutes", options.DashboardSessionLifetime.TotalMinutes));
        options.DashboardMaxSessions = section.GetValue("DashboardMaxSessions", options.DashboardMaxSessions);
        if (options.DashboardSessionLifetime < TimeSpan.FromMinutes(1) || options.DashboardSessionLifetime > TimeSpan.FromDays(1))
        {
            throw new InvalidOperationException("PeerGate:DashboardSessionMinutes must be between 1 and 1440.");
        }

        if (options.DashboardMaxSessions < 1 || options.DashboardMaxSessions > 1000)
        {
            throw new InvalidOperationException("PeerGate:DashboardMaxSessions must be between 1 and 1000.");
        }
    }

    /// <summary>
    /// Answers are written exactly as <see cref="WireJson.Options"/> writes them: names as declared.
    /// Its depth limit guards what devices send, and RequestBody applies it there; here it would also
    /// cap the OpenAPI document, whose schemas nest deeper than any message.
    /// </summary>
    private static void UseWireNames(System.Text.Json.JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = WireJson.Options.PropertyNamingPolicy;
        json.DictionaryKeyPolicy = null;
        json.PropertyNameCaseInsensitive = WireJson.Options.PropertyNameCaseInsensitive;
        json.DefaultIgnoreCondition = WireJson.Options.DefaultIgnoreCondition;
        json.NumberHandling = WireJson.Options.NumberHandling;
    }

    private static string NewAdminToken() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private static TimeSpan Days(IConfiguration section, string key, TimeSpan fallback) =>
        section.GetValue<double?>(key) is { } days ? TimeSpan.FromDays(days) : fallback;

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static void LogStartup(WebApplication app, ServerOptions options, DataDirectory data, Database database, IReadOnlyList<string> tightened)
    {
        // Paths and names only: the token and keys stay in their files.
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("PeerGate.Server");
        foreach (var path in tightened)
        {
            logger.LogWarning("{Path} was readable by other users; it is owner-only now", path);
        }

        logger.LogInformation(
            "PeerGate issuer {Issuer}, data in {DataDirectory}, database {Engine} at {Database}, {TrustedCount} trusted issuer(s); admin token {TokenSource}",
            options.IssuerName,
            data.Path,
            database.Engine.Name,
            database.Engine.Location,
            options.TrustedIssuers.Count,
            options.AdminToken is null ? "in " + data.File("admin-token") : "from configuration");

        var tls = app.Services.GetRequiredService<ServerTls>();
        if (tls.Certificate is { } certificate)
        {
            // The certificate is public; its key is never logged.
            logger.LogInformation(
                "TLS certificate {Subject} from {Path}, issued by {Issuer}, valid until {NotAfter:u}, SHA-256 {Thumbprint}",
                certificate.Subject,
                tls.CertificatePath,
                certificate.Issuer,
                certificate.NotAfter.ToUniversalTime(),
                certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256));
        }

        foreach (var warning in TransportGate.StartupWarnings(options, options.Urls!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            logger.LogWarning("{Warning}", warning);
        }

        // The public key is no secret: another instance pins it to trust this one's certificates.
        var signingKey = app.Services.GetRequiredService<SigningKey>();
        logger.LogInformation(
            "Issuer {Issuer} public key, to pin in another instance as PeerGate:TrustedIssuers:N:PublicKeys:M: {PublicKey}",
            signingKey.Issuer,
            Convert.ToBase64String(signingKey.PublicKeyInfo));
    }
}
