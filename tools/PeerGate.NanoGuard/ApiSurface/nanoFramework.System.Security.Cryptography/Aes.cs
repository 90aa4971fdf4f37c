// Mirrors nanoframework/System.Security.Cryptography System.Security.Cryptography/{Aes,CipherMode}.cs
// (NuGet nanoFramework.System.Security.Cryptography 1.0.38). ECB and CBC only, no padding modes:
// Encrypt/Decrypt take whole blocks and return a new array.

namespace System.Security.Cryptography
{
    public enum CipherMode
    {
        None = 0,
        CBC = 1,
        ECB = 2,
    }

    public class Aes
    {
        public Aes(CipherMode mode) { }

        public CipherMode Mode
        {
            get { throw null; }
            set { }
        }

        public byte[] Key
        {
            get { throw null; }
            set { }
        }

        public byte[] IV
        {
            get { throw null; }
            set { }
        }

        public byte[] Encrypt(byte[] data) { throw null; }

        public byte[] Decrypt(byte[] data) { throw null; }
    }
}
