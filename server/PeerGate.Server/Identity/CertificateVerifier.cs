using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Identity;

/// <summary>
/// Decides whether a bearer certificate may be used here: a well-formed token, signed by this
/// instance or with a trusted issuer's pinned key, not expired, not revoked, held by a device that
/// is not disabled, and carrying a Terminal ID that is its issuer's (<see cref="TerminalOwners"/>).
/// Checked in that order, each with its code. Every certificate route goes through
/// <see cref="VerifyAsync"/>, so this is the one place where a disabled device is stopped.
/// </summary>
public sealed class CertificateVerifier(Database database, SigningKey signingKey, TrustedIssuers trustedIssuers, TerminalOwners terminalOwners, TimeProvider time, ServerOptions options)
{
    /// <summary>Own certificates whose signature verified, remembered at most; the set starts over when full.</summary>
    public const int MaxVerifiedSignatures = 50_000;

    // SHA-256 of (signed bytes, signature) of own certificates whose ECDSA signature verified. The
    // signature is a pure function of those bytes and this instance's key, so a match needs no second
    // verification; expiry and standing (revocation, disabled device) are still checked on every request.
    private readonly ConcurrentDictionary<SignatureDigest, byte> _verified = new();

    private readonly record struct SignatureDigest(UInt128 First, UInt128 Second);

    private enum Standing
    {
        Good,
        Revoked,
        Disabled,
    }

    public async Task<CertificatePayload> VerifyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var token = BearerToken.From(request)
            ?? throw Unauthorized(ErrorCodes.CertificateMissing, "Present the certificate as \"Authorization: Bearer <certificate>\".");

        if (!CertificateToken.TryParse(token, out var payload, out var signedBytes, out var signature))
        {
            throw Unauthorized(ErrorCodes.CertificateInvalid, "The certificate is not well-formed.");
        }

        if (!VerifySignature(payload, signedBytes, signature))
        {
            throw Unauthorized(ErrorCodes.CertificateInvalid, "The certificate's signature does not verify.");
        }

        RequireInDate(payload);
        Require(await StandingAsync(payload, cancellationToken));
        terminalOwners.Require(payload);
        return payload;
    }

    /// <summary>
    /// Checks again that a certificate verified earlier in this request is neither revoked nor held by
    /// a disabled device: a long request (the trigger poll) does this whenever it wakes, so the
    /// operator's refusal ends it at once. Expiry is not checked again: the certificate was in date
    /// when the request began.
    /// </summary>
    public async Task RecheckAsync(CertificatePayload payload, CancellationToken cancellationToken) =>
        Require(await StandingAsync(payload, cancellationToken));

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

    private async Task<Standing> StandingAsync(CertificatePayload payload, CancellationToken cancellationToken)
    {
        if (payload.Issuer != signingKey.Issuer)
        {
            // Another issuer lists the certificates of the devices it refuses among its revocations.
            var issuer = await IssuerAsync(payload.Issuer, cancellationToken);
            return issuer.RevokedSerials.Contains(payload.Serial) ? Standing.Revoked : Standing.Good;
        }

        // One read by primary key, plus the device's groups by index. A serial this instance never
        // stored is treated as revoked: its database was replaced.
        return database.Read(connection =>
        {
            using var command = connection.Command(
                null,
                "SELECT revoked, " + DeviceStanding.RefusedSql("$device") + " FROM certificates WHERE serial = $serial;",
                ("$serial", payload.Serial),
                ("$device", payload.DeviceId));
            using var reader = command.ExecuteReader();
            if (!reader.Read() || reader.GetInt64(0) != 0)
            {
                return Standing.Revoked;
            }

            return reader.GetInt64(1) != 0 ? Standing.Disabled : Standing.Good;
        });
    }

    /// <summary>This instance's key, or a trusted issuer's pinned keys: a key its URL serves is never used.</summary>
    private bool VerifySignature(CertificatePayload payload, byte[] signedBytes, byte[] signature) =>
        payload.Issuer == signingKey.Issuer
            ? VerifyOwn(signedBytes, signature)
            : trustedIssuers.IsTrusted(payload.Issuer)
                ? trustedIssuers.VerifySignature(payload.Issuer, signedBytes, signature)
                : throw Unauthorized(ErrorCodes.CertificateInvalid, "The certificate's issuer is not trusted here.");

    /// <summary>This instance's signature, verified once per distinct certificate (see <see cref="_verified"/>).</summary>
    private bool VerifyOwn(byte[] signedBytes, byte[] signature)
    {
        var digest = Digest(signedBytes, signature);
        if (_verified.ContainsKey(digest))
        {
            return true;
        }

        if (!CertificateToken.Verify(signedBytes, signature, signingKey.Key))
        {
            return false;
        }

        if (_verified.Count >= MaxVerifiedSignatures)
        {
            _verified.Clear();
        }

        _verified.TryAdd(digest, 0);
        return true;
    }

    private static SignatureDigest Digest(byte[] signedBytes, byte[] signature)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, signedBytes.Length);
        hash.AppendData(length);
        hash.AppendData(signedBytes);
        hash.AppendData(signature);
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return new SignatureDigest(BinaryPrimitives.ReadUInt128BigEndian(digest), BinaryPrimitives.ReadUInt128BigEndian(digest[16..]));
    }

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
