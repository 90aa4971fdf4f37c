using System.Collections.Concurrent;
using PeerGate.Protocol;
using PeerGate.Server.Http;

namespace PeerGate.Server.Identity;

/// <summary>
/// Decides whether a bearer certificate may be used here: a well-formed token, signed by this
/// instance or with a trusted issuer's pinned key, not expired, not revoked, held by a device that
/// is not disabled, and carrying a Terminal ID that is its issuer's (<see cref="TerminalOwners"/>).
/// Checked in that order, each with its code. Every certificate route goes through
/// <see cref="VerifyAsync"/>, so this is the one place where a disabled device is stopped.
/// What never changes for a token is checked once and kept (<see cref="VerifiedTokens"/>); expiry
/// and standing are checked on every request, against the clock and <see cref="StandingSet"/>, so a
/// repeat request reads no database and a refusal still holds from the next request on.
/// </summary>
public sealed class CertificateVerifier(SigningKey signingKey, TrustedIssuers trustedIssuers, TerminalOwners terminalOwners, StandingSet standing, TimeProvider time, ServerOptions options)
{
    private readonly VerifiedTokens _tokens = new(options.CertificateCacheSize, time);

    // One string per group name for every cached certificate, not one per certificate.
    private readonly CountedDictionary<string, string> _groupNames = new(StringComparer.Ordinal);

    // Devices whose stored groups are not all named by their certificate; none when every row was
    // written by this version. At most one entry per enrolled device.
    private readonly ConcurrentDictionary<string, string[]> _groupsNotListed = new(StringComparer.Ordinal);

    private enum Standing
    {
        Good,
        Revoked,
        Disabled,
    }

    /// <summary>The certificates checked and kept; their count is bounded by <see cref="ServerOptions.CertificateCacheSize"/>.</summary>
    public VerifiedTokens Tokens => _tokens;

    public async Task<CertificatePayload> VerifyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var token = BearerToken.From(request)
            ?? throw Unauthorized(ErrorCodes.CertificateMissing, "Present the certificate as \"Authorization: Bearer <certificate>\".");

        var digest = VerifiedTokens.Digest(token);
        if (_tokens.TryGet(digest, out var known) && known.Generation == standing.Generation)
        {
            RequireInDate(known.Payload);
            Require(await StandingAsync(known.Payload, known.Groups, known.RevokedForGood, cancellationToken));
            return known.Payload;
        }

        if (!CertificateToken.TryParse(token, out var payload, out var signedBytes, out var signature))
        {
            throw Unauthorized(ErrorCodes.CertificateInvalid, "The certificate is not well-formed.");
        }

        if (!VerifySignature(payload, signedBytes, signature))
        {
            throw Unauthorized(ErrorCodes.CertificateInvalid, "The certificate's signature does not verify.");
        }

        RequireInDate(payload);
        var generation = standing.Generation;
        var own = payload.Issuer == signingKey.Issuer;
        var row = own ? standing.ReadCertificate(payload.Serial, payload.DeviceId, Shared) : null;
        if (own)
        {
            // Kept for the certificate's lifetime: the strings every certificate repeats are shared.
            for (var i = 0; i < payload.Groups.Length; i++)
            {
                payload.Groups[i] = Shared(payload.Groups[i]);
            }

            payload = payload with { Issuer = signingKey.Issuer };
        }

        var entry = new VerifiedTokens.Entry(payload, row is null ? [] : StandingGroups(payload, row.Groups), row is { Stored: false } or { Revoked: true }, generation);
        var verdict = await StandingAsync(payload, entry.Groups, entry.RevokedForGood, cancellationToken);

        // A refusal for good is kept, so a revoked token costs no second signature check; one that may
        // change (a disabled device) is not, and neither is one whose Terminal ID is not yet checked.
        if (entry.RevokedForGood)
        {
            _tokens.Add(digest, entry);
        }

        Require(verdict);
        await terminalOwners.RequireAsync(payload);
        _tokens.Add(digest, entry);
        return payload;
    }

    /// <summary>
    /// Checks again that a certificate verified earlier in this request is neither revoked nor held by
    /// a disabled device: a long request (the trigger poll) does this whenever it wakes, so the
    /// operator's refusal ends it at once. Expiry is not checked again: the certificate was in date
    /// when the request began.
    /// </summary>
    public async Task RecheckAsync(CertificatePayload payload, CancellationToken cancellationToken) =>
        Require(await StandingAsync(payload, payload.Issuer == signingKey.Issuer ? GroupsOf(payload) : [], revokedForGood: false, cancellationToken));

    /// <summary>
    /// Not before IssuedAt, allowing the configured clock skew between issuer and this instance; and
    /// not from ExpiresAt on, with no skew: a device renews well before expiry, and a stolen
    /// certificate must not outlive its stated lifetime.
    /// </summary>
    private void RequireInDate(CertificatePayload payload)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (payload.IssuedAt > now + (long)options.CertificateClockSkew.TotalSeconds)
        {
            throw Unauthorized(ErrorCodes.CertificateNotYetValid, "The certificate was issued in the future; the issuer's clock and this server's disagree.");
        }

        if (payload.ExpiresAt <= now)
        {
            throw Unauthorized(ErrorCodes.CertificateExpired, "The certificate has expired; authenticate again.");
        }
    }

    /// <summary>
    /// Another issuer's certificate by that issuer's signed revocation list (in memory, fetched again
    /// after its lifetime); this instance's own by <see cref="StandingSet"/>, with no database read.
    /// </summary>
    private async ValueTask<Standing> StandingAsync(CertificatePayload payload, string[] groups, bool revokedForGood, CancellationToken cancellationToken)
    {
        if (payload.Issuer != signingKey.Issuer)
        {
            // Another issuer lists the certificates of the devices it refuses among its revocations.
            var issuer = await IssuerAsync(payload.Issuer, cancellationToken);
            return issuer.RevokedSerials.Contains(payload.Serial) ? Standing.Revoked : Standing.Good;
        }

        if (revokedForGood || standing.IsRevoked(payload.Serial))
        {
            return Standing.Revoked;
        }

        return standing.IsRefused(payload.DeviceId, groups) ? Standing.Disabled : Standing.Good;
    }

    /// <summary>
    /// The groups whose standing is the device's. A certificate of this instance names every group the
    /// device belonged to when it was issued, its enrollment group among them, and membership does not
    /// change afterwards; so the certificate's own list is kept, sharing its array. A device whose
    /// rows say otherwise (written by hand, or by an old version) has its groups remembered by Device ID.
    /// </summary>
    private string[] StandingGroups(CertificatePayload payload, string[] stored)
    {
        if (stored.All(group => payload.Groups.Contains(group, StringComparer.Ordinal)))
        {
            _groupsNotListed.TryRemove(payload.DeviceId, out _);
            return payload.Groups;
        }

        _groupsNotListed[payload.DeviceId] = stored;
        return stored;
    }

    /// <summary>The groups whose standing is the device's, for a payload alone (see <see cref="StandingGroups"/>).</summary>
    private string[] GroupsOf(CertificatePayload payload) =>
        _groupsNotListed.TryGetValue(payload.DeviceId, out var stored) ? stored : payload.Groups;

    private string Shared(string group) => _groupNames.Count < options.CertificateCacheSize ? _groupNames.GetOrAdd(group, group) : group;

    /// <summary>This instance's key, or a trusted issuer's pinned keys: a key its URL serves is never used.</summary>
    private bool VerifySignature(CertificatePayload payload, byte[] signedBytes, byte[] signature) =>
        payload.Issuer == signingKey.Issuer
            ? CertificateToken.Verify(signedBytes, signature, signingKey.Key)
            : trustedIssuers.IsTrusted(payload.Issuer)
                ? trustedIssuers.VerifySignature(payload.Issuer, signedBytes, signature)
                : throw Unauthorized(ErrorCodes.CertificateInvalid, "The certificate's issuer is not trusted here.");

    private async Task<IssuerSnapshot> IssuerAsync(string issuer, CancellationToken cancellationToken) =>
        trustedIssuers.IsTrusted(issuer)
            ? await trustedIssuers.GetAsync(issuer, cancellationToken)
                ?? throw Unauthorized(ErrorCodes.CertificateInvalid, "The certificate's issuer cannot be reached to check it.")
            : throw Unauthorized(ErrorCodes.CertificateInvalid, "The certificate's issuer is not trusted here.");

    private static void Require(Standing standing)
    {
        if (standing == Standing.Revoked)
        {
            throw Unauthorized(ErrorCodes.CertificateRevoked, "The certificate has been revoked.");
        }

        if (standing == Standing.Disabled)
        {
            throw ApiProblem.Exception(StatusCodes.Status403Forbidden, ErrorCodes.DeviceDisabled, "The device or its group has been disabled.");
        }
    }

    private static ApiProblemException Unauthorized(string code, string detail) =>
        ApiProblem.Exception(StatusCodes.Status401Unauthorized, code, detail);
}
