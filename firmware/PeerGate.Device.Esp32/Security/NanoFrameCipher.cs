using System;
using System.Security.Cryptography;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Esp32.Security
{
    /// <summary>
    /// AES-256-CBC under one key on the board: one nanoFramework <see cref="Aes"/> per key (per channel
    /// direction), with its key copy, IV array and input array reused for every frame.
    /// </summary>
    /// <remarks>
    /// <para>What still allocates, and cannot be avoided with this package (1.0.38): <c>Aes.Encrypt(byte[])</c>
    /// and <c>Aes.Decrypt(byte[])</c> return a new array as long as their input (the native code makes it),
    /// so each frame sealed or opened allocates one array of its ciphertext length (16..4112 bytes). The
    /// input array is reused while frames keep their size (<see cref="ExactArrays"/>); a new size costs one
    /// array of that size once.</para>
    /// <para>Aes keeps the Key and IV arrays it is given and has no Dispose, and mbedTLS may update the IV in
    /// place, so the IV is copied into our own array on every call and every array is cleared after use.
    /// Key and IV are set on every call, in that order, as the package's fixed IV setter expects.</para>
    /// </remarks>
    internal sealed class NanoFrameCipher : IFrameCipher
    {
        private readonly Aes _aes = new Aes(CipherMode.CBC);
        private readonly byte[] _key = new byte[FrameFormat.KeyLength];
        private readonly byte[] _iv = new byte[FrameFormat.IvLength];
        private readonly ExactArrays _input = new ExactArrays(1);
        private readonly object _lock = new object();
        private bool _disposed;

        public NanoFrameCipher(byte[] key)
        {
            if (key == null || key.Length != FrameFormat.KeyLength)
            {
                throw new ArgumentException("AES-256 needs a 32-byte key", nameof(key));
            }

            Array.Copy(key, 0, _key, 0, FrameFormat.KeyLength);
        }

        public void Encrypt(byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
        {
            Transform(true, iv, input, offset, count, output, outputOffset);
        }

        public void Decrypt(byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
        {
            Transform(false, iv, input, offset, count, output, outputOffset);
        }

        public void Dispose()
        {
            lock (_lock)
            {
                _disposed = true;
                Array.Clear(_key, 0, _key.Length);
                Array.Clear(_iv, 0, _iv.Length);
                _input.Clear();
            }
        }

        private void Transform(bool encrypt, byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
        {
            if (iv == null || iv.Length != FrameFormat.IvLength || input == null || output == null)
            {
                throw new ArgumentException("CBC needs a 16-byte IV and both buffers");
            }

            if (count <= 0 || count % FrameFormat.BlockSize != 0)
            {
                throw new ArgumentException("CBC without padding needs whole blocks", nameof(count));
            }

            lock (_lock)
            {
                if (_disposed)
                {
                    throw new ObjectDisposedException();
                }

                byte[] data = _input.Take(count);
                byte[] result = null;
                try
                {
                    Array.Copy(iv, 0, _iv, 0, FrameFormat.IvLength);
                    Array.Copy(input, offset, data, 0, count);
                    _aes.Key = _key;
                    _aes.IV = _iv;
                    result = encrypt ? _aes.Encrypt(data) : _aes.Decrypt(data);
                    Array.Copy(result, 0, output, outputOffset, count);
                }
                finally
                {
                    Array.Clear(data, 0, data.Length);
                    Array.Clear(_iv, 0, _iv.Length);
                    if (result != null)
                    {
                        Array.Clear(result, 0, result.Length);
                    }
                }
            }
        }
    }
}
