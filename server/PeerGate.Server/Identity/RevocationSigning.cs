using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PeerGate.Protocol;

namespace PeerGate.Server.Identity;

/// <summary>
/// The bytes an issuer signs in its revocation list (ES256, r‖s as 64 bytes, base64 in
/// <see cref="RevocationList.Signature"/>): a fixed label, then issuer, issued-at, the count and each
/// serial, one per line. The label keeps such a signature from ever passing as a certificate's (those
/// sign JSON, which starts with "{"); no field may hold a line break, so the lines cannot be reread otherwise.
/// </summary>
public static class RevocationSigning
{
    private const string Label = "PeerGate revocation list v1";

    public static void Sign(RevocationList list, ECDsa key)
    {
        var bytes = Bytes(list) ?? throw new InvalidOperationException("A revocation list field holds a line break.");
        lock (key)
        {
            list.Signature = Convert.ToBase64String(key.SignData(bytes, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        }
    }

    /// <summary>True when the list's signature verifies against one of <paramref name="keys"/>.</summary>
    public static bool Verify(RevocationList list, IEnumerable<ECDsa> keys)
    {
        var bytes = Bytes(list);
        if (bytes is null || string.IsNullOrEmpty(list.Signature))
        {
            return false;
        }

        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(list.Signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return keys.Any(key => CertificateToken.Verify(bytes, signature, key));
    }

    private static byte[]? Bytes(RevocationList list)
    {
        var serials = list.Serials ?? [];
        if (list.Issuer is null || !IsLine(list.Issuer) || serials.Any(serial => serial is null || !IsLine(serial)))
        {
            return null;
        }

        var text = new StringBuilder();
        text.Append(Label).Append('\n')
            .Append(list.Issuer).Append('\n')
            .Append(list.IssuedAt.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(serials.Length.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var serial in serials)
        {
            text.Append(serial).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static bool IsLine(string value) => value.IndexOfAny(['\n', '\r']) < 0;
}
