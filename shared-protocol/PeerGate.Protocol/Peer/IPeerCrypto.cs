namespace PeerGate.Protocol.Peer
{
    /// <summary>
    /// The primitives the peer frame codec needs, as every platform has them: AES-256-CBC without
    /// padding (nanoFramework's Aes has no padding modes, so the codec pads with PKCS#7 itself),
    /// HMAC-SHA256 and a secure random source.
    /// </summary>
    public interface IPeerCrypto
    {
        /// <summary>AES-256-CBC, no padding: <paramref name="count"/> is a multiple of 16; writes count bytes to output.</summary>
        void EncryptCbc(byte[] key, byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset);

        /// <summary>AES-256-CBC, no padding: the inverse of <see cref="EncryptCbc"/>.</summary>
        void DecryptCbc(byte[] key, byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset);

        /// <summary>HMAC-SHA256(key, data[offset..offset+count)): 32 bytes. Must not modify or keep <paramref name="key"/>.</summary>
        byte[] HmacSha256(byte[] key, byte[] data, int offset, int count);

        /// <summary>Fills the range with cryptographically secure random bytes.</summary>
        void RandomBytes(byte[] buffer, int offset, int count);
    }
}
