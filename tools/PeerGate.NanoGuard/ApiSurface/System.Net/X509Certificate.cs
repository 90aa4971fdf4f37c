// Mirrors nanoframework/System.Net nanoFramework.System.Net/X509Certificates/X509Certificate.cs
// (NuGet nanoFramework.System.Net 1.11.60). DER or PEM; the string constructor is nanoFramework's own.

namespace System.Security.Cryptography.X509Certificates
{
    public class X509Certificate
    {
        public X509Certificate() { }

        public X509Certificate(byte[] certificate) { }

        public X509Certificate(string certificate) { }

        public virtual string Issuer => throw null;

        public virtual string Subject => throw null;

        public virtual DateTime GetEffectiveDate() { throw null; }

        public virtual DateTime GetExpirationDate() { throw null; }

        public virtual byte[] GetRawCertData() { throw null; }
    }
}
