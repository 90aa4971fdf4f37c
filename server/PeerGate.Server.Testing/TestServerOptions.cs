using Microsoft.Extensions.Time.Testing;

namespace PeerGate.Server.Testing;

/// <summary>How to start a <see cref="TestServer"/>. Every property has a usable default.</summary>
public sealed class TestServerOptions
{
    /// <summary>
    /// The clock. Null (default) gives the server a fresh <see cref="FakeTimeProvider"/>; pass one
    /// to share a clock between instances; set <see cref="UseSystemClock"/> for real time.
    /// </summary>
    public FakeTimeProvider? Time { get; init; }

    /// <summary>Run on the real clock instead of a fake one (for benchmarks and long-running demos).</summary>
    public bool UseSystemClock { get; init; }

    /// <summary>The issuer name in this instance's certificates. Default "test-auth".</summary>
    public string IssuerName { get; init; } = "test-auth";

    /// <summary>Other instances whose certificates this one accepts for registration.</summary>
    public IReadOnlyList<TrustedIssuer> TrustedIssuers { get; init; } = [];

    /// <summary>The registry certificates point devices at. Default: this instance.</summary>
    public string? RegistryUrl { get; init; }

    /// <summary>
    /// An existing data directory to start on (e.g. to restart over the same database).
    /// Null: a fresh temporary directory.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>
    /// The database engine, "sqlite" or "postgres". Null (default): <see cref="TestStorage.Engine"/>,
    /// SQLite unless the test run asks for PostgreSQL. A test about SQLite's file says "sqlite".
    /// </summary>
    public string? Storage { get; init; }

    /// <summary>Keep the data directory after dispose. A directory passed in is never deleted.</summary>
    public bool KeepData { get; init; }

    /// <summary>The operator token. Default: a fixed test token.</summary>
    public string AdminToken { get; init; } = "test-admin-token";

    /// <summary>Adjusts the server options last, for settings not covered above (lifetimes, limits).</summary>
    public Action<ServerOptions>? Configure { get; init; }

    /// <summary>
    /// Serve the API over https://127.0.0.1 with this certificate (from a <see cref="TestCertificateAuthority"/>):
    /// <see cref="TestServer.BaseUrl"/> is then the https address, and the operator API goes over a
    /// second, plain-HTTP loopback listener, as an operator's tools on the host do. Null: plain HTTP only.
    /// </summary>
    public ServerCertificate? Tls { get; init; }
}
