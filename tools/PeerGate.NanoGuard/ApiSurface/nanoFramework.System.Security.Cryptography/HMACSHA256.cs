// Mirrors nanoframework/System.Security.Cryptography System.Security.Cryptography/HMACSHA256.cs
// (NuGet nanoFramework.System.Security.Cryptography 1.0.38). Note: the byte[] constructor keeps the
// caller's array and Dispose clears it.

namespace System.Security.Cryptography
{
    public class HMACSHA256 : IDisposable
    {
        public HMACSHA256() { }

        public HMACSHA256(byte[] key) { }

        public byte[] Hash => throw null;

        public byte[] Key
        {
            get { throw null; }
            set { }
        }

        public byte[] ComputeHash(byte[] buffer) { throw null; }

        public static byte[] HashData(byte[] key, byte[] source) { throw null; }

        public void Dispose() { }

        protected void Dispose(bool disposing) { }
    }
}
