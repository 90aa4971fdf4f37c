using System;
using System.Security.Cryptography;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Esp32.Security
{
    /// <summary>
    /// The peer frame primitives on the board: nanoFramework's Aes in CBC mode (no padding: the codec
    /// pads), HMACSHA256, and System.Random, which is esp_random() on ESP32.
    /// </summary>
    /// <remarks>
    /// <para>The package's Aes and HMACSHA256 take whole arrays and return new ones, so each call copies
    /// its range in and out; that is the only per-frame allocation on the board.</para>
    /// <para>HMACSHA256 keeps the key array it is given and clears it on Dispose; Aes keeps its Key and
    /// IV arrays as given and has no Dispose, and mbedTLS may update the IV in place. So each call works
    /// on copies and clears them in a finally, also when the cipher throws. Older package builds had an
    /// IV setter that wrote the key field; the version in nf.props (1.0.38) has the fix.</para>
    /// </remarks>
    public class NanoPeerCrypto : IPeerCrypto
    {
        private readonly Random _random = new Random();
        private readonly object _randomLock = new object();

        public void EncryptCbc(byte[] key, byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
        {
            Transform(true, key, iv, input, offset, count, output, outputOffset);
        }

        public void DecryptCbc(byte[] key, byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
        {
            Transform(false, key, iv, input, offset, count, output, outputOffset);
        }

        public byte[] HmacSha256(byte[] key, byte[] data, int offset, int count)
        {
            byte[] message = Slice(data, offset, count);
            byte[] keyCopy = Copy(key);
            try
            {
                // Dispose clears keyCopy; the finally covers a constructor or hash that throws first.
                using (HMACSHA256 hmac = new HMACSHA256(keyCopy))
                {
                    return hmac.ComputeHash(message);
                }
            }
            finally
            {
                Array.Clear(keyCopy, 0, keyCopy.Length);
            }
        }

        public void RandomBytes(byte[] buffer, int offset, int count)
        {
            byte[] random = new byte[count];
            lock (_randomLock)
            {
                _random.NextBytes(random);
            }

            Array.Copy(random, 0, buffer, offset, count);

            // The caller may use these bytes as a nonce or key material: no second copy lingers.
            Array.Clear(random, 0, random.Length);
        }

        private static void Transform(bool encrypt, byte[] key, byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
        {
            if (count % FrameFormat.BlockSize != 0)
            {
                throw new ArgumentException("CBC without padding needs whole blocks", nameof(count));
            }

            byte[] keyCopy = Copy(key);
            byte[] ivCopy = Copy(iv);
            byte[] data = null;
            byte[] result = null;
            try
            {
                // Aes keeps the arrays it is given and has no Dispose: the copies are ours to clear,
                // whether the cipher succeeds or throws.
                Aes aes = new Aes(CipherMode.CBC);
                aes.Key = keyCopy;
                aes.IV = ivCopy;
                data = Slice(input, offset, count);
                result = encrypt ? aes.Encrypt(data) : aes.Decrypt(data);
                Array.Copy(result, 0, output, outputOffset, count);
            }
            finally
            {
                Array.Clear(keyCopy, 0, keyCopy.Length);
                Array.Clear(ivCopy, 0, ivCopy.Length);
                if (data != null)
                {
                    Array.Clear(data, 0, data.Length);
                }

                if (result != null)
                {
                    Array.Clear(result, 0, result.Length);
                }
            }
        }

        private static byte[] Copy(byte[] source)
        {
            if (source == null)
            {
                throw new ArgumentNullException(nameof(source));
            }

            return Slice(source, 0, source.Length);
        }

        private static byte[] Slice(byte[] source, int offset, int count)
        {
            byte[] copy = new byte[count];
            Array.Copy(source, offset, copy, 0, count);
            return copy;
        }
    }
}
