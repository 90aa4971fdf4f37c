using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;

namespace PeerGate.Server.Identity;

/// <summary>
/// The other instances this one trusts. Their public keys are pinned in configuration and are the
/// only keys their certificates and revocation lists verify against: nothing served at an issuer's
/// URL is trusted by itself, so a forged answer or a man in the middle can add no key. The signed
/// revocation list is fetched from the URL and reused for <see cref="ServerOptions.TrustedIssuerCacheLifetime"/>
/// (on the injected clock), so a revocation at the issuer takes effect here within that lifetime.
/// </summary>
public sealed class TrustedIssuers : IDisposable
{
    public const string HttpClientName = "trusted-issuers";

    /// <summary>
    /// The largest revocation list read from a trusted issuer (about 30 000 serials). Its signature is
    /// checked only once it is read, so without a bound whoever answers at the issuer's URL could make
    /// this server buffer anything; a larger answer fails closed like an unsigned one.
    /// </summary>
    public const int MaxAnswerBytes = 1 << 20;

    private readonly ServerOptions _options;
    private readonly TimeProvider _time;
    private readonly IHttpClientFactory _httpClients;
    private readonly ILogger<TrustedIssuers> _logger;
    private readonly Dictionary<string, (TrustedIssuer Trusted, ECDsa[] Keys)> _pinned = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IssuerSnapshot> _snapshots = new(StringComparer.Ordinal);

    public TrustedIssuers(ServerOptions options, TimeProvider time, IHttpClientFactory httpClients, ILogger<TrustedIssuers> logger)
    {
        _options = options;
        _time = time;
        _httpClients = httpClients;
        _logger = logger;
        foreach (var trusted in options.TrustedIssuers)
        {
            _pinned.TryAdd(trusted.Name, (trusted, PinnedKeys.Import(trusted)));
        }
    }

    public bool IsTrusted(string issuer) => _pinned.ContainsKey(issuer);

    /// <summary>True when <paramref name="signature"/> over <paramref name="signedBytes"/> verifies with one of the issuer's pinned keys (old and new during a rotation).</summary>
    public bool VerifySignature(string issuer, byte[] signedBytes, byte[] signature) =>
        _pinned.TryGetValue(issuer, out var pinned) && pinned.Keys.Any(key => CertificateToken.Verify(signedBytes, signature, key));

    /// <summary>
    /// The issuer's revoked serials from a list signed with a pinned key, or null when no such list can be
    /// had now: unreachable, unsigned, wrongly signed, another issuer's, older than the last one accepted
    /// or too far from now. Null fails closed: that issuer's certificates cannot be checked.
    /// </summary>
    public async Task<IssuerSnapshot?> GetAsync(string issuer, CancellationToken cancellationToken)
    {
        if (!_pinned.TryGetValue(issuer, out var pinned))
        {
            return null;
        }

        var now = _time.GetUtcNow();
        _snapshots.TryGetValue(issuer, out var cached);
        if (cached is not null && cached.FetchedAt + _options.TrustedIssuerCacheLifetime > now)
        {
            return cached;
        }

        try
        {
            var fresh = await FetchAsync(pinned.Trusted, pinned.Keys, cached, now, cancellationToken);
            _snapshots[issuer] = fresh;
            return fresh;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or InvalidDataException)
        {
            // Fail closed: without a fresh, authentic revocation list we cannot tell a revoked certificate apart.
            _logger.LogWarning("Trusted issuer {Issuer} at {Url}: no usable revocation list: {Reason}", pinned.Trusted.Name, pinned.Trusted.BaseUrl, exception.Message);
            return null;
        }
    }

    /// <summary>
    /// True when the issuer's list as last accepted names <paramref name="serial"/>, without fetching:
    /// for judging registrations made earlier with its certificates. The list is refreshed whenever a
    /// certificate of that issuer is checked after <see cref="ServerOptions.TrustedIssuerCacheLifetime"/>.
    /// </summary>
    public bool IsListedRevoked(string issuer, string serial) =>
        _snapshots.TryGetValue(issuer, out var snapshot) && snapshot.RevokedSerials.Contains(serial);

    public void Dispose()
    {
        foreach (var key in _pinned.Values.SelectMany(pinned => pinned.Keys))
        {
            key.Dispose();
        }
    }

    private async Task<IssuerSnapshot> FetchAsync(TrustedIssuer trusted, ECDsa[] keys, IssuerSnapshot? last, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var http = _httpClients.CreateClient(HttpClientName);
        var list = await http.GetFromJsonAsync<RevocationList>(trusted.BaseUrl.TrimEnd('/') + Routes.AuthRevocations, WireJson.Options, cancellationToken)
            ?? throw new InvalidDataException("empty revocation list");

        if (!RevocationSigning.Verify(list, keys))
        {
            throw new InvalidDataException("the list is unsigned or its signature does not verify with a pinned key");
        }

        if (list.Issuer != trusted.Name)
        {
            throw new InvalidDataException("the list is another issuer's");
        }

        if (last is not null && list.IssuedAt < last.IssuedAt)
        {
            throw new InvalidDataException("the list is older than the one accepted before");
        }

        var maxAge = (long)_options.TrustedIssuerRevocationMaxAge.TotalSeconds;
        if (Math.Abs(now.ToUnixTimeSeconds() - list.IssuedAt) > maxAge)
        {
            throw new InvalidDataException($"the list was issued at {list.IssuedAt}, more than {maxAge} s from now");
        }

        return new IssuerSnapshot(new HashSet<string>(list.Serials ?? [], StringComparer.Ordinal), list.IssuedAt, now);
    }
}

/// <summary>One issuer's revoked serials from the list it issued at <see cref="IssuedAt"/> (Unix seconds), accepted here at <see cref="FetchedAt"/>.</summary>
public sealed record IssuerSnapshot(IReadOnlySet<string> RevokedSerials, long IssuedAt, DateTimeOffset FetchedAt);
