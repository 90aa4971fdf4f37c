using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;

namespace PeerGate.Server.Identity;

/// <summary>
/// The compact certificate format: base64url(payload JSON) "." base64url(signature), where the
/// signature is ES256 (ECDSA P-256, SHA-256, r‖s as 64 bytes) over the payload JSON bytes.
/// </summary>
public static class CertificateToken
{
    public const string Algorithm = "ES256";

    private const int MaxTokenLength = 2048;

    public static string Sign(CertificatePayload payload, ECDsa key)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(payload);
        byte[] signature;

        // One key object serves every request; .NET does not promise its members are thread-safe.
        lock (key)
        {
            signature = key.SignData(json, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }

        return Base64Url.EncodeToString(json) + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>Splits and decodes a token without trusting it; false for anything not shaped like one.</summary>
    public static bool TryParse(string token, out CertificatePayload payload, out byte[] signedBytes, out byte[] signature)
    {
        payload = null!;
        signedBytes = [];
        signature = [];
        if (token.Length > MaxTokenLength)
        {
            return false;
        }

        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot != token.LastIndexOf('.') || dot == token.Length - 1)
        {
            return false;
        }

        try
        {
            signedBytes = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
            signature = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
            var parsed = JsonSerializer.Deserialize<CertificatePayload>(signedBytes);
            if (parsed is null || parsed.TerminalId is null || parsed.DeviceId is null || parsed.Issuer is null || parsed.Serial is null)
            {
                return false;
            }

            payload = parsed with { Groups = parsed.Groups ?? [] };
            return true;
        }
        catch (Exception exception) when (exception is FormatException or JsonException)
        {
            return false;
        }
    }

    public static bool Verify(byte[] signedBytes, byte[] signature, ECDsa publicKey)
    {
        if (signature.Length != 64)
        {
            return false;
        }

        lock (publicKey)
        {
            return publicKey.VerifyData(signedBytes, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
    }
}
