namespace PeerGate.Interpreter.Crypto
{
    /// <summary>
    /// HMAC-SHA256 (RFC 2104) over <see cref="Sha256"/>. The key is fixed at construction; Final writes the tag and
    /// leaves the instance keyed for the next message, so one instance serves every frame of a session.
    /// </summary>
    public sealed class HmacSha256
    {
        public const int TagSize = Sha256.HashSize;

        private readonly Sha256 _inner = new Sha256();
        private readonly Sha256 _outer = new Sha256();
        private readonly byte[] _innerPad = new byte[Sha256.BlockSize];
        private readonly byte[] _outerPad = new byte[Sha256.BlockSize];
        private readonly byte[] _innerDigest = new byte[Sha256.HashSize];

        public HmacSha256(byte[] key)
        {
            byte[] block = new byte[Sha256.BlockSize];
            if (key.Length > Sha256.BlockSize)
            {
                System.Array.Copy(Sha256.Hash(key), block, Sha256.HashSize);
            }
            else
            {
                System.Array.Copy(key, block, key.Length);
            }

            for (int i = 0; i < Sha256.BlockSize; i++)
            {
                _innerPad[i] = (byte)(block[i] ^ 0x36);
                _outerPad[i] = (byte)(block[i] ^ 0x5c);
                block[i] = 0;
            }

            _inner.Update(_innerPad, 0, Sha256.BlockSize);
        }

        /// <summary>The tag of <paramref name="data"/> under <paramref name="key"/> in one call.</summary>
        public static byte[] Compute(byte[] key, byte[] data)
        {
            HmacSha256 mac = new HmacSha256(key);
            mac.Update(data, 0, data.Length);
            byte[] tag = new byte[TagSize];
            mac.Final(tag, 0);
            return tag;
        }

        public void Update(byte[] data, int offset, int count)
        {
            _inner.Update(data, offset, count);
        }

        /// <summary>Writes the 32-byte tag at <paramref name="offset"/> and starts the next message under the same key.</summary>
        public void Final(byte[] output, int offset)
        {
            _inner.Final(_innerDigest, 0);
            _outer.Update(_outerPad, 0, Sha256.BlockSize);
            _outer.Update(_innerDigest, 0, Sha256.HashSize);
            _outer.Final(output, offset);
            _inner.Update(_innerPad, 0, Sha256.BlockSize);
        }
    }
}
