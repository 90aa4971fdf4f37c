using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PeerGate.Server.Http;

/// <summary>
/// The server's TLS certificate and key (PEM files from PeerGate:TlsCertificatePath and
/// PeerGate:TlsKeyPath), loaded once at start: Kestrel's https:// endpoints use it, and so does any
/// other TCP endpoint of this server that runs TLS, so devices pin one private CA for all of them.
/// </summary>
/// <remarks>
/// The server refuses to start rather than fall back to plain text or another certificate: with a
/// path missing, a file unreadable, a key that is not the certificate's, or a key file other local
/// users can read. Error messages and logs name paths and the certificate's subject, never the key.
/// </remarks>
public sealed class ServerTls
{
    /// <summary>TLS 1.2 is what the board's mbedTLS speaks; nothing older is offered.</summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    private const UnixFileMode GroupAndOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private ServerTls(X509Certificate2? certificate, string? certificatePath)
    {
        Certificate = certificate;
        CertificatePath = certificatePath;
    }

    /// <summary>The certificate with its private key, or null when the server has none (plain HTTP, a proxy terminates TLS).</summary>
    public X509Certificate2? Certificate { get; }

    public string? CertificatePath { get; }

    public bool Enabled => Certificate is not null;

    /// <summary>No certificate configured.</summary>
    public static ServerTls None { get; } = new(null, null);

    /// <summary>
    /// Loads the pair, or <see cref="None"/> when neither path is set.
    /// </summary>
    /// <exception cref="InvalidOperationException">Only one path is set, a file is missing or unreadable, the key file is open to group or others, or the key does not match the certificate.</exception>
    public static ServerTls Load(string? certificatePath, string? keyPath)
    {
        if (certificatePath is null && keyPath is null)
        {
            return None;
        }

        if (certificatePath is null || keyPath is null)
        {
            throw Refusal("PeerGate:TlsCertificatePath and PeerGate:TlsKeyPath must be set together");
        }

        foreach (var (path, what) in new[] { (certificatePath, "certificate"), (keyPath, "key") })
        {
            if (!File.Exists(path))
            {
                throw Refusal($"the TLS {what} file {path} does not exist");
            }
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(keyPath) & GroupAndOther) != 0)
        {
            // Refused, not tightened: the file is the operator's, and who else read it cannot be undone.
            throw Refusal($"the TLS key file {keyPath} is readable or writable by group or others; make it owner-only (chmod 600 {keyPath})");
        }

        string certificatePem;
        string keyPem;
        try
        {
            certificatePem = File.ReadAllText(certificatePath);
            keyPem = File.ReadAllText(keyPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Refusal($"the TLS certificate {certificatePath} or key {keyPath} cannot be read ({e.GetType().Name})");
        }

        if (!certificatePem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            throw Refusal($"the TLS certificate file {certificatePath} holds no PEM certificate");
        }

        if (!keyPem.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw Refusal($"the TLS key file {keyPath} holds no PEM private key");
        }

        X509Certificate2 certificate;
        try
        {
            using var withEphemeralKey = X509Certificate2.CreateFromPem(certificatePem, keyPem);

            // Round-trip through PKCS#12 so the key is usable by SslStream on every platform
            // (Windows refuses ephemeral keys). The bytes stay in memory.
            certificate = X509CertificateLoader.LoadPkcs12(withEphemeralKey.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // The exception's message may quote what it could not parse: it is not passed on.
            throw Refusal($"the TLS certificate {certificatePath} and key {keyPath} are not a matching PEM certificate and private key");
        }

        return new ServerTls(certificate, certificatePath);
    }

    private static InvalidOperationException Refusal(string why) => new($"PeerGate does not start: {why}.");
}
