// Mirrors nanoframework/System.Net nanoFramework.System.Net/Security/NetworkSecurity.cs
// (NuGet nanoFramework.System.Net 1.11.60): the TLS versions and certificate checks HttpClient and
// SslStream take. Values as in the reference assembly.

namespace System.Net.Security
{
    [Flags]
    public enum SslProtocols
    {
        None = 0,
        Tls = 192,
        Tls11 = 768,
        Tls12 = 3072,
        Tls13 = 12288,
    }

    public enum SslVerification
    {
        NoVerification = 1,
        VerifyPeer = 2,
        CertificateRequired = 4,
        VerifyClientOnce = 8,
    }
}
