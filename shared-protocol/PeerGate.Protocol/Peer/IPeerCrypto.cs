namespace PeerGate.Protocol.Peer
{
    /// <summary>
    /// The primitives the peer frame codec and the rendezvous datagrams need, as every platform has them:
    /// AES-256-CBC without padding (nanoFramework's Aes has no padding modes, so the codec pads with PKCS#7
    /// itself), HMAC-SHA256 and a secure random source.
    /// </summary>
    /// <remarks>
    /// The per-frame and per-keepalive calls (<see cref="CreateCipher"/>'s cipher, the HMAC into a caller's
    /// buffer, <see cref="RandomBytes"/>) write into buffers the caller owns, so a platform can serve them
    /// without allocating. The HMAC that returns a new array is for the rare paths (key derivation, proofs).
    /// </remarks>
    public interface IPeerCrypto
    {
        /// <summary>
        /// AES-256-CBC without padding under one 32-byte key, set up once and reused for every frame of that
        /// key; the caller disposes it when the key is spent. The key is copied: the caller may wipe its array.
        /// </summary>
        IFrameCipher CreateCipher(byte[] key);

        /// <summary>HMAC-SHA256(key, data[offset..offset+count)): 32 bytes. Must not modify or keep <paramref name="key"/>.</summary>
        byte[] HmacSha256(byte[] key, byte[] data, int offset, int count);

        /// <summary>
        /// HMAC-SHA256(key, data[offset..offset+count)) written to <paramref name="tag"/>[<paramref name="tagOffset"/>..+32].
        /// Must not modify or keep <paramref name="key"/>; the tag range must not overlap the data.
        /// </summary>
        void HmacSha256(byte[] key, byte[] data, int offset, int count, byte[] tag, int tagOffset);

        /// <summary>Fills the range with cryptographically secure random bytes.</summary>
        void RandomBytes(byte[] buffer, int offset, int count);
    }
}
