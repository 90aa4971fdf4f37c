using System.Security.Cryptography;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Identity;

/// <summary>
/// This instance's certificate signing key: ECDSA P-256, made at first start and kept in the data
/// directory (PKCS#8 PEM, mode 600), so certificates stay verifiable across restarts.
/// </summary>
public sealed class SigningKey : IDisposable
{
    private const string FileName = "issuer-key.pem";

    public SigningKey(DataDirectory data, string issuer)
    {
        Issuer = issuer;
        var pem = data.ReadOrCreateSecret(FileName, () =>
        {
            using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return fresh.ExportPkcs8PrivateKeyPem();
        });
        Key = ECDsa.Create();
        Key.ImportFromPem(pem);
        PublicKeyInfo = Key.ExportSubjectPublicKeyInfo();
    }

    public string Issuer { get; }

    public ECDsa Key { get; }

    /// <summary>SubjectPublicKeyInfo (DER), as published at GET /v1/auth/public-key.</summary>
    public byte[] PublicKeyInfo { get; }

    public void Dispose() => Key.Dispose();
}
