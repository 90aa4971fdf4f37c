using System;
using PeerGate.Interpreter.Crypto;
using PeerGate.Protocol.Peer;

namespace PeerGate.NanoRig.Crypto
{
    /// <summary>
    /// AES-256-CBC under one key on the interpreter, over the managed <see cref="Aes256"/>: the key schedule is
    /// expanded once and three 16-byte blocks are reused, so a frame allocates nothing here, as on the host.
    /// </summary>
    public sealed class ManagedFrameCipher : IFrameCipher
    {
        private const int Block = Aes256.BlockSize;

        private readonly Aes256 _aes;
        private readonly byte[] _chain = new byte[Block];
        private readonly byte[] _block = new byte[Block];
        private readonly byte[] _next = new byte[Block];

        public ManagedFrameCipher(byte[] key)
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
                Array.Copy(input, offset + at, _next, 0, Block);
                _aes.DecryptBlock(_next, 0, _block, 0);
                for (int i = 0; i < Block; i++)
                {
                    output[outputOffset + at + i] = (byte)(_block[i] ^ _chain[i]);
                }

                Array.Copy(_next, 0, _chain, 0, Block);
            }
        }

        public void Dispose()
        {
            Array.Clear(_chain, 0, Block);
            Array.Clear(_block, 0, Block);
            Array.Clear(_next, 0, Block);
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
