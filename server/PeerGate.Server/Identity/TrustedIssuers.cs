using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;

namespace PeerGate.Server.Identity;

/// <summary>
/// Public keys and revocation lists of the other instances this one trusts, fetched over HTTP and
/// reused for <see cref="ServerOptions.TrustedIssuerCacheLifetime"/> (on the injected clock), so a
/// revocation at the issuer takes effect here within that lifetime.
/// </summary>
public sealed class TrustedIssuers(ServerOptions options, TimeProvider time, IHttpClientFactory httpClients, ILogger<TrustedIssuers> logger)
{
    public const string HttpClientName = "trusted-issuers";

    private readonly ConcurrentDictionary<string, IssuerSnapshot> _snapshots = new(StringComparer.Ordinal);

    public bool IsTrusted(string issuer) => Find(issuer) is not null;

    /// <summary>The issuer's current key and revoked serials, or null when it cannot be reached.</summary>
    public async Task<IssuerSnapshot?> GetAsync(string issuer, CancellationToken cancellationToken)
    {
        var trusted = Find(issuer);
        if (trusted is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (_snapshots.TryGetValue(issuer, out var cached) && cached.FetchedAt + options.TrustedIssuerCacheLifetime > now)
        {
            return cached;
        }

        try
        {
            var fresh = await FetchAsync(trusted, now, cancellationToken);
            _snapshots[issuer] = fresh;
            return fresh;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or CryptographicException or FormatException or InvalidDataException)
        {
            // Fail closed: without a fresh revocation list we cannot tell a revoked certificate apart.
            logger.LogWarning("Trusted issuer {Issuer} at {Url} could not be fetched: {Reason}", trusted.Name, trusted.BaseUrl, exception.Message);
            return null;
        }
    }

    /// <summary>
    /// True when the issuer's list as last fetched names <paramref name="serial"/>, without fetching:
    /// for judging registrations made earlier with its certificates. The list is refreshed whenever a
    /// certificate of that issuer is checked after <see cref="ServerOptions.TrustedIssuerCacheLifetime"/>.
    /// </summary>
    public bool IsListedRevoked(string issuer, string serial) =>
        _snapshots.TryGetValue(issuer, out var snapshot) && snapshot.RevokedSerials.Contains(serial);

    private TrustedIssuer? Find(string issuer) =>
        options.TrustedIssuers.FirstOrDefault(t => string.Equals(t.Name, issuer, StringComparison.Ordinal));

    private async Task<IssuerSnapshot> FetchAsync(TrustedIssuer trusted, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var http = httpClients.CreateClient(HttpClientName);
        var baseUrl = trusted.BaseUrl.TrimEnd('/');
        var key = await http.GetFromJsonAsync<IssuerKey>(baseUrl + Routes.AuthPublicKey, WireJson.Options, cancellationToken)
            ?? throw new InvalidDataException("empty public key answer");
        var revocations = await http.GetFromJsonAsync<RevocationList>(baseUrl + Routes.AuthRevocations, WireJson.Options, cancellationToken)
            ?? throw new InvalidDataException("empty revocation list");

        if (key.Issuer != trusted.Name || revocations.Issuer != trusted.Name || key.Algorithm != CertificateToken.Algorithm)
        {
            throw new InvalidDataException("the server at that URL is not the trusted issuer");
        }

        var publicKey = ECDsa.Create();
        publicKey.ImportSubjectPublicKeyInfo(Convert.FromBase64String(key.PublicKey), out _);
        return new IssuerSnapshot(publicKey, new HashSet<string>(revocations.Serials ?? [], StringComparer.Ordinal), now);
    }
}

/// <summary>One issuer's key and revoked serials as fetched at <see cref="FetchedAt"/>.</summary>
public sealed record IssuerSnapshot(ECDsa PublicKey, IReadOnlySet<string> RevokedSerials, DateTimeOffset FetchedAt);
