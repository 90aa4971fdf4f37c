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

        public IFrameCipher CreateCipher(byte[] key)
        {
            return _inner.CreateCipher(key);
        }

        public byte[] HmacSha256(byte[] key, byte[] data, int offset, int count)
        {
            return _inner.HmacSha256(key, data, offset, count);
        }

        public void HmacSha256(byte[] key, byte[] data, int offset, int count, byte[] tag, int tagOffset)
        {
            _inner.HmacSha256(key, data, offset, count, tag, tagOffset);
        }

        public void RandomBytes(byte[] buffer, int offset, int count)
        {
            Array.Copy(_iv, 0, buffer, offset, count);
        }
    }
}
