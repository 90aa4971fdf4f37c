using System.Security.Cryptography;

namespace PeerGate.Server.Identity;

/// <summary>
/// The public keys configured for a trusted issuer: base64 SubjectPublicKeyInfo (what
/// <c>GET /v1/auth/public-key</c> and the startup log show) or a PEM "PUBLIC KEY" block, ECDSA P-256.
/// </summary>
public static class PinnedKeys
{
    /// <summary>Refuses to start on a trusted issuer without a key or with a key that is not ECDSA P-256.</summary>
    public static void Validate(IEnumerable<TrustedIssuer> trustedIssuers)
    {
        foreach (var trusted in trustedIssuers)
        {
            foreach (var key in Import(trusted))
            {
                key.Dispose();
            }
        }
    }

    public static ECDsa[] Import(TrustedIssuer trusted)
    {
        if (trusted.PublicKeys is not { Count: > 0 })
        {
            throw new InvalidOperationException(
                $"Trusted issuer {trusted.Name} has no pinned public key: set PeerGate:TrustedIssuers:N:PublicKeys:0 to the key its startup log shows.");
        }

        return [.. trusted.PublicKeys.Select((text, index) => ImportOne(trusted.Name, index, text))];
    }

    private static ECDsa ImportOne(string issuer, int index, string text)
    {
        var key = ECDsa.Create();
        try
        {
            if (text.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                key.ImportFromPem(text);
            }
            else
            {
                key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(text.Trim()), out _);
            }

            if (key.KeySize != 256 || key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                throw new CryptographicException("not a P-256 key");
            }

            return key;
        }
        catch (Exception exception) when (exception is CryptographicException or FormatException or ArgumentException or PlatformNotSupportedException)
        {
            key.Dispose();
            throw new InvalidOperationException($"Trusted issuer {issuer}: public key {index} is not an ECDSA P-256 public key (base64 SubjectPublicKeyInfo or PEM).", exception);
        }
    }
}
