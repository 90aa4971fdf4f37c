namespace PeerGate.Server;

/// <summary>
/// Everything one server instance needs to know. Properties left null are read from configuration
/// (section "PeerGate") by <see cref="PeerGateServer.Build"/>, then fall back to the defaults below.
/// </summary>
public sealed class ServerOptions
{
    /// <summary>Command-line arguments, for configuration and <c>--urls</c>.</summary>
    public string[] Args { get; init; } = [];

    /// <summary>Where the database, the signing key and the generated admin token live. Default ./data.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>The SQLite file. Default: peergate.db in <see cref="DataDirectory"/>.</summary>
    public string? DatabasePath { get; set; }

    /// <summary>Where Kestrel listens, e.g. "http://127.0.0.1:0". Default: --urls, else http://127.0.0.1:5080.</summary>
    public string? Urls { get; set; }

    /// <summary>The clock for nonces, certificates, registrations and caches; tests pass a FakeTimeProvider.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Bearer token of /v1/admin. Null: read from, or generated into, the data directory.</summary>
    public string? AdminToken { get; set; }

    /// <summary>This instance's name as a certificate issuer. Default "peergate".</summary>
    public string? IssuerName { get; set; }

    /// <summary>The URL devices reach this instance at. Default: the first address Kestrel bound.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>The registry that certificates send devices to. Default: <see cref="PublicBaseUrl"/>.</summary>
    public string? RegistryUrl { get; set; }

    /// <summary>Other instances whose certificates this registry accepts.</summary>
    public List<TrustedIssuer> TrustedIssuers { get; } = [];

    /// <summary>How long a challenge nonce can be answered.</summary>
    public TimeSpan NonceLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a certificate is valid.</summary>
    public TimeSpan CertificateLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a registration stays online without refresh; devices refresh at half of it.</summary>
    public TimeSpan RegistrationLifetime { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>How long a trusted issuer's public key and revocation list are reused before fetching again.</summary>
    public TimeSpan TrustedIssuerCacheLifetime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Challenges, proofs and allocation lookups one client address may make per minute, in a burst or
    /// spread out; 0 turns the limit off. Configuration: PeerGate:UnauthenticatedRequestsPerMinute.
    /// </summary>
    public int UnauthenticatedRequestsPerMinute { get; set; } = 600;

    /// <summary>Timeout of each hop when this instance walks the allocation chain for a device (F8).</summary>
    public TimeSpan AllocationHopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a trigger long-poll waits for something to deliver before answering an empty batch (F21).</summary>
    public TimeSpan TriggerPollTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>
    /// How long after its last poll ended a terminal still counts as connected to the trigger channel:
    /// the gap between handling one batch and the next poll.
    /// </summary>
    public TimeSpan TriggerConnectedGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a connection query waits for the callee's answer to the status query (F17).</summary>
    public TimeSpan StatusQueryTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an issued one-time password and key can be used for the peer REQUEST (F18).</summary>
    public TimeSpan SessionOfferLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A session's lifetime when the caller asks for none (TimeLimitSeconds 0) (F23).</summary>
    public int DefaultSessionSeconds { get; set; } = 600;

    /// <summary>
    /// The longest total lifetime of a session, extensions included, unless the operator set a
    /// per-device maximum (F23, F24). Configuration: PeerGate:MaxSessionSeconds.
    /// </summary>
    public int MaxSessionSeconds { get; set; } = 3600;

    /// <summary>
    /// The most bytes a session may carry in total, extensions included; 0 for no server-wide cap
    /// (F23, F24). Configuration: PeerGate:MaxSessionBytes.
    /// </summary>
    public long MaxSessionBytes { get; set; }

    /// <summary>Log warnings and errors only (tests and benchmarks); the default logs startup and requests at Information.</summary>
    public bool Quiet { get; set; }

    /// <summary>Adds to the logging set-up last (e.g. a test's capturing provider).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }

    /// <summary>Largest request body accepted; device messages are a few hundred bytes.</summary>
    public int MaxRequestBodyBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// Whether a device may claim an unbound device name by registering it (F22); off by default, so
    /// only the operator binds names and no device can take a name a permit trusts. Configuration:
    /// PeerGate:DeviceNameSelfClaim.
    /// </summary>
    public bool DeviceNameSelfClaim { get; set; }
}

/// <summary>Another PeerGate instance whose certificates are accepted, by issuer name and base URL.</summary>
public sealed record TrustedIssuer(string Name, string BaseUrl);
