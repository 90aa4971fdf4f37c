using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PeerGate.Server.Testing;

/// <summary>
/// A throwaway private CA for tests and labs: an ECDSA P-256 root and server certificates it signs,
/// for the IP addresses and DNS names the caller gives, written as PEM files into a temporary folder
/// (keys owner-only) that is deleted on dispose.
/// </summary>
/// <example>
/// <code>
/// using var ca = new TestCertificateAuthority();
/// var leaf = ca.IssueServer(ipAddresses: [IPAddress.Loopback]);
/// // server: PeerGate:TlsCertificatePath=leaf.CertificatePath, PeerGate:TlsKeyPath=leaf.KeyPath
/// // device: --ca ca.CertificatePath
/// </code>
/// </example>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly ECDsa _key;
    private int _issued;

    /// <param name="name">The CA's common name.</param>
    /// <param name="folder">Where the PEM files go (created if missing, kept on dispose); null for a fresh temporary folder, deleted on dispose.</param>
    public TestCertificateAuthority(string name = "PeerGate Test CA", string? folder = null)
    {
        Folder = folder is null ? Directory.CreateTempSubdirectory("peergate-ca-").FullName : Directory.CreateDirectory(folder).FullName;
        _ownsFolder = folder is null;
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        Certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
        CertificatePath = Path.Combine(Folder, "ca.pem");
        File.WriteAllText(CertificatePath, Certificate.ExportCertificatePem() + "\n");
    }

    private readonly bool _ownsFolder;

    public string Folder { get; }

    /// <summary>The root, without its key: what a device pins.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>PEM of <see cref="Certificate"/> (what <c>--ca</c> and the board's CaFile take).</summary>
    public string CertificatePath { get; }

    /// <summary>
    /// A server certificate signed by this CA for <paramref name="ipAddresses"/> and
    /// <paramref name="dnsNames"/> (subject alternative names; the common name is the first of them).
    /// </summary>
    /// <param name="notBefore">Start of validity; default a day ago.</param>
    /// <param name="notAfter">End of validity; default 30 days from now. In the past, the certificate is expired.</param>
    public ServerCertificate IssueServer(
        IEnumerable<IPAddress>? ipAddresses = null, IEnumerable<string>? dnsNames = null, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var ips = ipAddresses?.ToList() ?? [];
        var names = dnsNames?.ToList() ?? [];
        if (ips.Count == 0 && names.Count == 0)
        {
            throw new ArgumentException("a server certificate needs at least one IP address or DNS name");
        }

        var san = new SubjectAlternativeNameBuilder();
        ips.ForEach(san.AddIpAddress);
        names.ForEach(san.AddDnsName);

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={(names.Count > 0 ? names[0] : ips[0].ToString())}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));

        var now = DateTimeOffset.UtcNow;
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        using var signed = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), notBefore ?? now.AddDays(-1), notAfter ?? now.AddDays(30), serial);
        var certificate = signed.CopyWithPrivateKey(key);

        var number = Interlocked.Increment(ref _issued);
        var certificatePath = Path.Combine(Folder, $"server-{number}.pem");
        var keyPath = Path.Combine(Folder, $"server-{number}.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
        WriteOwnerOnly(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        return new ServerCertificate(certificate, certificatePath, keyPath, Certificate);
    }

    public void Dispose()
    {
        _key.Dispose();
        if (_ownsFolder)
        {
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp folder left behind is not worth failing a test over.
            }
        }
    }

    /// <summary>Mode 600 from creation on, so the key is never readable by others, not even briefly.</summary>
    private static void WriteOwnerOnly(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }
}

/// <summary>A server certificate with its key, the PEM files holding them (the key's owner-only), and the CA that signed it.</summary>
public sealed record ServerCertificate(X509Certificate2 Certificate, string CertificatePath, string KeyPath, X509Certificate2 Authority);
