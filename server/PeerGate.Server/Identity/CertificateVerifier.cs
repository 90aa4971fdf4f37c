using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Identity;

/// <summary>
/// Decides whether a bearer certificate may be used here: a well-formed token, signed by this
/// instance or a trusted issuer, not expired, not revoked. Checked in that order, each with its code.
/// </summary>
public sealed class CertificateVerifier(Database database, SigningKey signingKey, TrustedIssuers trustedIssuers, TimeProvider time)
{
    public async Task<CertificatePayload> VerifyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var token = BearerToken.From(request)
            ?? throw Unauthorized(ErrorCodes.CertificateMissing, "Present the certificate as \"Authorization: Bearer <certificate>\".");

        if (!CertificateToken.TryParse(token, out var payload, out var signedBytes, out var signature))
        {
            throw Unauthorized(ErrorCodes.CertificateInvalid, "The certificate is not well-formed.");
        }

        bool revoked;
        if (payload.Issuer == signingKey.Issuer)
        {
            if (!CertificateToken.Verify(signedBytes, signature, signingKey.Key))
            {
                throw Unauthorized(ErrorCodes.CertificateInvalid, "The certificate's signature does not verify.");
            }

            // A serial this instance never stored is treated as revoked: its database was replaced.
            revoked = database.Read(connection =>
                connection.Scalar(null, "SELECT revoked FROM certificates WHERE serial = $serial;", ("$serial", payload.Serial)) is not long flag || flag != 0);
        }
        else
        {
            var issuer = trustedIssuers.IsTrusted(payload.Issuer)
                ? await trustedIssuers.GetAsync(payload.Issuer, cancellationToken)
                    ?? throw Unauthorized(ErrorCodes.CertificateInvalid, "The certificate's issuer cannot be reached to check it.")
                : throw Unauthorized(ErrorCodes.CertificateInvalid, "The certificate's issuer is not trusted here.");
            if (!CertificateToken.Verify(signedBytes, signature, issuer.PublicKey))
            {
                throw Unauthorized(ErrorCodes.CertificateInvalid, "The certificate's signature does not verify.");
            }

            revoked = issuer.RevokedSerials.Contains(payload.Serial);
        }

        if (payload.ExpiresAt <= time.GetUtcNow().ToUnixTimeSeconds())
        {
            throw Unauthorized(ErrorCodes.CertificateExpired, "The certificate has expired; authenticate again.");
        }

        if (revoked)
        {
            throw Unauthorized(ErrorCodes.CertificateRevoked, "The certificate has been revoked.");
        }

        return payload;
    }

    private static ApiProblemException Unauthorized(string code, string detail) =>
        ApiProblem.Exception(StatusCodes.Status401Unauthorized, code, detail);
}
