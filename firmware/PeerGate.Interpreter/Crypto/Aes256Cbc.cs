using System;

namespace PeerGate.Interpreter.Crypto
{
    /// <summary>
    /// AES-256-CBC over whole blocks under one key: the key schedule is expanded once and the three
    /// 16-byte blocks the chaining needs are reused, so encrypting or decrypting allocates nothing.
    /// Input and output may be the same range.
    /// </summary>
    public sealed class Aes256Cbc : IDisposable
    {
        private const int Block = Aes256.BlockSize;

        private readonly Aes256 _aes;
        private readonly byte[] _chain = new byte[Block];
        private readonly byte[] _cipher = new byte[Block];
        private readonly byte[] _plain = new byte[Block];

        public Aes256Cbc(byte[] key)
        {
            _aes = new Aes256(key);
        }

        public void Encrypt(byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
        {
            Check(iv, count);
            Array.Copy(iv, 0, _chain, 0, Block);
            for (int at = 0; at < count; at += Block)
            {
                for (int i = 0; i < Block; i++)
                {
                    _chain[i] ^= input[offset + at + i];
                }

                _aes.EncryptBlock(_chain, 0, _chain, 0);
                Array.Copy(_chain, 0, output, outputOffset + at, Block);
            }
        }

        public void Decrypt(byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
        {
            Check(iv, count);
            Array.Copy(iv, 0, _chain, 0, Block);
            for (int at = 0; at < count; at += Block)
            {
                // The cipher block is kept before the output overwrites it, for in-place decryption.
                Array.Copy(input, offset + at, _cipher, 0, Block);
                _aes.DecryptBlock(_cipher, 0, _plain, 0);
                for (int i = 0; i < Block; i++)
                {
                    output[outputOffset + at + i] = (byte)(_plain[i] ^ _chain[i]);
                }

                Array.Copy(_cipher, 0, _chain, 0, Block);
            }
        }

        public void Dispose()
        {
            Array.Clear(_chain, 0, Block);
            Array.Clear(_cipher, 0, Block);
            Array.Clear(_plain, 0, Block);
        }

        private static void Check(byte[] iv, int count)
        {
            if (iv == null || iv.Length != Block || count < 0 || count % Block != 0)
            {
                throw new ArgumentException("CBC needs a 16-byte IV and whole blocks");
            }
        }
    }
}
