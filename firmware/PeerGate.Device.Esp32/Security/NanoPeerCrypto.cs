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
    /// <para>The per-frame and per-keepalive calls reuse their arrays: one <see cref="NanoFrameCipher"/>
    /// per key, and here the HMAC input and the random bytes in <see cref="ExactArrays"/>. What the package
    /// (1.0.38) still allocates per call, because its methods take whole arrays and return new ones:
    /// <c>HMACSHA256.HashData(byte[], byte[])</c> returns a new 32-byte array per MAC (one per frame sealed,
    /// one per frame opened, two per keepalive: the registration and its ack), and the cipher's
    /// <c>Aes.Encrypt</c>/<c>Decrypt</c> one array of the ciphertext length per frame. Each is cleared at
    /// once and left to the collector.</para>
    /// <para>The static <c>HashData</c> does not keep the key (the HMACSHA256 constructor would, and clear it
    /// on Dispose), so the caller's key is passed as it is.</para>
    /// </remarks>
    public class NanoPeerCrypto : IPeerCrypto
    {
        private readonly Random _random = new Random();
        private readonly object _randomLock = new object();
        private readonly ExactArrays _randomBytes = new ExactArrays(1);
        private readonly object _macLock = new object();
        private readonly ExactArrays _macInput = new ExactArrays(2);

        public IFrameCipher CreateCipher(byte[] key)
        {
            return new NanoFrameCipher(key);
        }

        public byte[] HmacSha256(byte[] key, byte[] data, int offset, int count)
        {
            byte[] tag = new byte[FrameFormat.TagLength];
            HmacSha256(key, data, offset, count, tag, 0);
            return tag;
        }

        public void HmacSha256(byte[] key, byte[] data, int offset, int count, byte[] tag, int tagOffset)
        {
            if (key == null || data == null || tag == null)
            {
                throw new ArgumentNullException(key == null ? nameof(key) : data == null ? nameof(data) : nameof(tag));
            }

            lock (_macLock)
            {
                byte[] message = _macInput.Take(count);
                byte[] mac = null;
                try
                {
                    Array.Copy(data, offset, message, 0, count);
                    mac = HMACSHA256.HashData(key, message);
                    Array.Copy(mac, 0, tag, tagOffset, FrameFormat.TagLength);
                }
                finally
                {
                    Array.Clear(message, 0, message.Length);
                    if (mac != null)
                    {
                        Array.Clear(mac, 0, mac.Length);
                    }
                }
            }
        }

        public void RandomBytes(byte[] buffer, int offset, int count)
        {
            lock (_randomLock)
            {
                byte[] random = _randomBytes.Take(count);
                _random.NextBytes(random);
                Array.Copy(random, 0, buffer, offset, count);

                // The caller may use these bytes as a nonce or key material: no second copy lingers.
                Array.Clear(random, 0, random.Length);
            }
        }
    }
}
