using System;

namespace PeerGate.Protocol.Peer
{
    /// <summary>
    /// AES-256-CBC without padding under the one key it was made with (<see cref="IPeerCrypto.CreateCipher"/>):
    /// the key schedule is set up once per key, not once per frame. Dispose wipes the key.
    /// </summary>
    /// <remarks>Not for two threads at once: each direction of a channel has its own.</remarks>
    public interface IFrameCipher : IDisposable
    {
        /// <summary>
        /// Encrypts <paramref name="count"/> bytes (a multiple of 16) under the 16-byte <paramref name="iv"/>,
        /// which is read, never changed; writes count bytes to output. Input and output may be the same range.
        /// </summary>
        void Encrypt(byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset);

        /// <summary>The inverse of <see cref="Encrypt"/>; input and output may be the same range.</summary>
        void Decrypt(byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset);
    }
}
