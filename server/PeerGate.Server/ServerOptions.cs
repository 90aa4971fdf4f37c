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

    /// <summary>
    /// The database engine: "sqlite" (default; <see cref="DatabasePath"/>) or "postgres"
    /// (<see cref="StorageConnectionString"/>). Configuration: PeerGate:Storage:Engine.
    /// </summary>
    public string? StorageEngine { get; set; }

    /// <summary>
    /// PostgreSQL's Npgsql connection string, with the "postgres" engine only; its password never
    /// reaches a log. Configuration: PeerGate:Storage:ConnectionString.
    /// </summary>
    public string? StorageConnectionString { get; set; }

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
    /// How long a write waits for a database locked by another process before answering 503
    /// storage_busy. Configuration: PeerGate:BusyTimeoutMilliseconds.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Most writes waiting for the database's one writer; past it a write is refused at once with 503
    /// storage_busy instead of queueing without end. Configuration: PeerGate:WriteQueueLimit.
    /// </summary>
    public int WriteQueueLimit { get; set; } = 1024;

    /// <summary>
    /// Most queued writes the writer commits together in one transaction and one fsync (group commit).
    /// Configuration: PeerGate:WriteBatchLimit.
    /// </summary>
    public int WriteBatchLimit { get; set; } = 256;

    /// <summary>
    /// Most undelivered triggers one device's queue holds (F21); past it, what would queue one more is
    /// refused with 503 trigger_queue_full. A device that polls holds a handful; this is room for
    /// bursts of callers. Configuration: PeerGate:MaxQueuedTriggersPerDevice.
    /// </summary>
    public int MaxQueuedTriggersPerDevice { get; set; } = 256;

    /// <summary>
    /// Writes one authenticated device may make per minute, in a burst or spread out: registrations,
    /// permit changes, connection queries, extensions, end notices, trigger replies (not polls or other
    /// reads). A device makes a few a minute; 0 turns the limit off. Configuration: PeerGate:DeviceWritesPerMinute.
    /// </summary>
    public int DeviceWritesPerMinute { get; set; } = 300;

    /// <summary>How often the retention pass runs (on <see cref="TimeProvider"/>); each pass deletes in small batches.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most rows one retention batch deletes, each batch its own short transaction, so a pass never holds the write lock long.</summary>
    public int RetentionBatchSize { get; set; } = 500;

    /// <summary>How long the connection-attempt log keeps an entry. Configuration: PeerGate:ConnectionAttemptRetentionDays.</summary>
    public TimeSpan ConnectionAttemptRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Most entries the connection-attempt log holds; the oldest go first, as each new one is written.
    /// Configuration: PeerGate:MaxConnectionAttempts.
    /// </summary>
    public int MaxConnectionAttempts { get; set; } = 100_000;

    /// <summary>
    /// Most entries of one caller the log holds, so one device's queries cannot push out everyone
    /// else's history. Configuration: PeerGate:MaxConnectionAttemptsPerCaller.
    /// </summary>
    public int MaxConnectionAttemptsPerCaller { get; set; } = 1_000;

    /// <summary>
    /// How long past its expiry a certificate's row is kept; only expired rows are deleted, since an
    /// unknown serial counts as revoked. Configuration: PeerGate:ExpiredCertificateRetentionDays.
    /// </summary>
    public TimeSpan ExpiredCertificateRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long an ended session and its end notices are kept after it ended. Configuration: PeerGate:EndedSessionRetentionDays.</summary>
    public TimeSpan EndedSessionRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Whether a device may claim an unbound device name by registering it (F22); off by default, so
    /// only the operator binds names and no device can take a name a permit trusts. Configuration:
    /// PeerGate:DeviceNameSelfClaim.
    /// </summary>
    public bool DeviceNameSelfClaim { get; set; }

    /// <summary>
    /// Serve the API over plain HTTP to any host: session keys and certificates then travel in the
    /// clear. For a lab only; logged as a warning at start. Off: plain HTTP only over loopback.
    /// Configuration: PeerGate:AllowPlainHttp.
    /// </summary>
    public bool AllowPlainHttp { get; set; }

    /// <summary>
    /// The server sits behind a proxy that terminates TLS and replaces X-Forwarded-Proto; a request
    /// from one of <see cref="KnownProxies"/> counts as TLS when that header says https, and only then.
    /// Configuration: PeerGate:BehindTlsProxy.
    /// </summary>
    public bool BehindTlsProxy { get; set; }

    /// <summary>
    /// Addresses of the TLS-terminating proxies whose X-Forwarded-Proto is believed; empty: loopback
    /// (127.0.0.1, ::1). Configuration: PeerGate:KnownProxies (a list).
    /// </summary>
    public List<System.Net.IPAddress> KnownProxies { get; } = [];

    /// <summary>
    /// How far a certificate's IssuedAt may lie in the future, for clocks that disagree between issuer
    /// and registry; expiry gets no such margin. Configuration: PeerGate:CertificateClockSkewSeconds.
    /// </summary>
    public TimeSpan CertificateClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How many checked certificates are kept in memory (about 0.5 KB each), so that a repeat request
    /// skips parsing, the signature check and the database; past it the expired go first, then arbitrary
    /// ones, which are checked in full at their next request. Configuration: PeerGate:CertificateCacheSize.
    /// </summary>
    public int CertificateCacheSize { get; set; } = 50_000;

    /// <summary>
    /// How far a trusted issuer's signed revocation list may be from now (older, or ahead by clock
    /// skew) and still be accepted, so an old list replayed at the issuer's URL is refused.
    /// Configuration: PeerGate:TrustedIssuerRevocationMaxAgeSeconds.
    /// </summary>
    public TimeSpan TrustedIssuerRevocationMaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The most devices that may enroll automatically through one group key, unless the operator sets
    /// the group's own cap: a leaked group key then enrolls at most this many devices. Devices already
    /// enrolled are never refused by it. Configuration: PeerGate:GroupEnrollmentCap.
    /// </summary>
    public long GroupEnrollmentCap { get; set; } = 10000;

    /// <summary>
    /// The address the UDP rendezvous listener (F27, docs/rendezvous.md) binds. Configuration:
    /// PeerGate:UdpAddress (default 127.0.0.1; a public deployment names its public interface).
    /// </summary>
    public string? UdpAddress { get; set; }

    /// <summary>
    /// The UDP rendezvous port (5081 is the customary one): 0 picks a free port (tests), a negative
    /// value (the default) leaves the listener off, so a new network surface opens only when the
    /// operator asks for it. Configuration: PeerGate:UdpPort.
    /// </summary>
    public int UdpPort { get; set; } = -1;

    /// <summary>
    /// The registration period the acknowledgement asks devices for (F31), kept well under the
    /// shortest NAT UDP timeouts seen in practice (30 s). Configuration: PeerGate:UdpIntervalSeconds.
    /// </summary>
    public TimeSpan UdpInterval { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>
    /// How long after its last datagram a UDP mapping still counts as the device's address (F31);
    /// older, it is stale and the HTTP registration's address is used. Configuration: PeerGate:UdpMappingMaxAgeSeconds.
    /// </summary>
    public TimeSpan UdpMappingMaxAge { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// How often mappings changed in memory are written to SQLite, in one transaction, whatever the
    /// datagram rate. Configuration: PeerGate:UdpPersistIntervalSeconds.
    /// </summary>
    public TimeSpan UdpPersistInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a UDP mapping stays in memory after its last registration: past the 15 minutes no NAT
    /// keeps an idle UDP mapping for (the probe measures at most 900 s), it reaches nobody. Its row stays
    /// (the replay floor); a device that comes back is read once from it. Configuration:
    /// PeerGate:UdpMappingRetentionSeconds.
    /// </summary>
    public TimeSpan UdpMappingRetention { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// The most devices with a mapping in memory; a registration of one more is dropped as
    /// <c>busy</c> until expiry frees room. Configuration: PeerGate:UdpMappingsMax.
    /// </summary>
    public int UdpMappingsMax { get; set; } = 100_000;

    /// <summary>
    /// How long the listener trusts what it read of a certificate's standing (revoked, device or group
    /// disabled, expiry) before reading it again; the bound on how late a disable reaches UDP.
    /// Configuration: PeerGate:UdpStandingRecheckSeconds.
    /// </summary>
    public TimeSpan UdpStandingRecheck { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// PEM file of the server's TLS certificate (leaf first), from a private CA that devices pin.
    /// With <see cref="TlsKeyPath"/>, every https:// endpoint Kestrel opens uses it, and so does every
    /// other TCP endpoint that runs TLS (see Http/ServerTls.cs). Configuration: PeerGate:TlsCertificatePath.
    /// </summary>
    public string? TlsCertificatePath { get; set; }

    /// <summary>
    /// PEM file of the certificate's private key; the server does not start while group or others may
    /// read it. Configuration: PeerGate:TlsKeyPath.
    /// </summary>
    public string? TlsKeyPath { get; set; }

    /// <summary>
    /// The address the rendezvous endpoint (F37: hole-punch coordination and relay, docs/rendezvous.md)
    /// binds. Configuration: PeerGate:RendezvousAddress (default 127.0.0.1; `::` binds both families).
    /// </summary>
    public string? RendezvousAddress { get; set; }

    /// <summary>
    /// The rendezvous endpoint's TCP port: 0 picks a free port (tests), a negative value (the default)
    /// leaves it off, so a relay opens only when the operator asks for it. Configuration: PeerGate:RendezvousPort.
    /// </summary>
    public int RendezvousPort { get; set; } = -1;

    /// <summary>
    /// The relays spliced at once at most (a side waiting for its peer holds one), each with two 16 KiB
    /// buffers; a pair beyond it is refused with its ticket unspent. Configuration: PeerGate:RelayMaxSessions.
    /// </summary>
    public int RelayMaxSessions { get; set; } = 64;

    /// <summary>
    /// The certificate the rendezvous endpoint speaks TLS with; null: plain TCP (the local demo, tests).
    /// Filled from PeerGate:TlsCertificatePath/TlsKeyPath when those are set (tests may set it in code).
    /// </summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? RendezvousCertificate { get; set; }

    /// <summary>
    /// The UDP port that answers the devices' lifetime probes (F31), on <see cref="UdpAddress"/>: a
    /// second port, so the NAT keeps a separate entry for it that the registrations do not refresh.
    /// Negative: off (devices then keep the server's interval); 0: any free port. Only with the
    /// listener on. Configuration: PeerGate:UdpProbePort.
    /// </summary>
    public int UdpProbePort { get; set; } = -1;

    /// <summary>
    /// The host devices dial for the rendezvous endpoint (F37), named in grants and session offers: an
    /// address or a name the endpoint's TLS certificate carries. Null: <see cref="RendezvousAddress"/>
    /// when it names one address, else the host the caller reached the HTTP API at. Configuration:
    /// PeerGate:RendezvousPublicHost.
    /// </summary>
    public string? RendezvousPublicHost { get; set; }

    /// <summary>The port devices dial for the rendezvous endpoint; 0: the bound port. Configuration: PeerGate:RendezvousPublicPort.</summary>
    public int RendezvousPublicPort { get; set; }

    /// <summary>
    /// glibc malloc arenas the process may use (<see cref="NativeHeap"/>); 0 leaves glibc's default of
    /// up to 8 per core. Configuration: PeerGate:MallocArenas.
    /// </summary>
    public int MallocArenas { get; set; } = 2;

    /// <summary>
    /// Receive loops on the UDP registration socket, each on its own thread; 0: one per core.
    /// Configuration: PeerGate:UdpReceiveLoops.
    /// </summary>
    public int UdpReceiveLoops { get; set; }

    /// <summary>
    /// The second TCP port of the rendezvous endpoint, on <see cref="RendezvousAddress"/>, where a punching
    /// device connects from its punch's local port so the endpoint sees its NAT's mapping towards two
    /// ports (RFC 5780's mapping test, for TCP): a different public port is a port-dependent mapping, and
    /// the pair goes to the relay at once. Negative: off (every pair punches first, then relays); 0: any
    /// free port. Devices are told the bound port, so a port forward must keep its number. Only with the
    /// endpoint on. Configuration: PeerGate:RendezvousProbePort.
    /// </summary>
    public int RendezvousProbePort { get; set; } = -1;

    /// <summary>
    /// How long a dashboard login lasts (F33), from the login, whatever the use: then the operator logs in
    /// again. Configuration: PeerGate:DashboardSessionMinutes (1 to 1440).
    /// </summary>
    public TimeSpan DashboardSessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>
    /// Dashboard logins held at once; a new one past it ends the oldest. They live in memory only, so a
    /// restart ends them all. Configuration: PeerGate:DashboardMaxSessions (1 to 1000).
    /// </summary>
    public int DashboardMaxSessions { get; set; } = 16;

    /// <summary>
    /// PeerGate:LogFormat: "text" (the default, the console's simple lines) or "json": one JSON object a
    /// line (the console's JSON formatter), for a log shipper. Anything else and the server does not start.
    /// </summary>
    public string? LogFormat { get; set; }
}

/// <summary>
/// Another PeerGate instance whose certificates are accepted: its issuer name, the base URL its signed
/// revocation list is fetched from, and its pinned public keys (base64 SubjectPublicKeyInfo or PEM),
/// one or more so a key can be rotated. Only these keys are trusted; nothing fetched from the URL is.
/// </summary>
public sealed record TrustedIssuer(string Name, string BaseUrl, IReadOnlyList<string> PublicKeys);
