using System;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Esp32.Diagnostics
{
    /// <summary>
    /// The board's peer crypto with one fixed IV, so a sealed frame can be compared byte for byte with
    /// shared-protocol/vectors/peer/frames.json. Self-test only: a fixed IV must never carry real data.
    /// </summary>
    internal class FixedIvCrypto : IPeerCrypto
    {
        private readonly IPeerCrypto _inner;
        private readonly byte[] _iv;

        public FixedIvCrypto(IPeerCrypto inner, byte[] iv)
        {
            _inner = inner;
            _iv = iv;
        }

        public void EncryptCbc(byte[] key, byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
        {
            _inner.EncryptCbc(key, iv, input, offset, count, output, outputOffset);
        }

        public void DecryptCbc(byte[] key, byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
        {
            _inner.DecryptCbc(key, iv, input, offset, count, output, outputOffset);
        }

        public byte[] HmacSha256(byte[] key, byte[] data, int offset, int count)
        {
            return _inner.HmacSha256(key, data, offset, count);
        }

        public void RandomBytes(byte[] buffer, int offset, int count)
        {
            Array.Copy(_iv, 0, buffer, offset, count);
        }
    }
}
