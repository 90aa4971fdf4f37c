using System;
using System.IO;
using System.Security.Cryptography;
using PeerGate.Device.Platform;
using PeerGate.Protocol;

namespace PeerGate.Device.Esp32.Security
{
    /// <summary>
    /// Signs with the 32-byte Device Key kept in a file on the internal flash volume I: (F2). This is
    /// the key holder stock firmware allows, and the weaker one: the flash is not encrypted by
    /// default, so anyone holding the board can dump it and read the key. The stronger holder is the
    /// HMAC peripheral of the ESP32-S2/S3/C3/C6 with the key in an eFuse key block (custom firmware,
    /// see docs/provisioning-hardware.md).
    /// </summary>
    /// <remarks>
    /// nanoFramework's HMACSHA256(byte[] key) keeps the caller's array and clears it on Dispose, so
    /// every signature gets its own copy of the key, and the copy is wiped in a finally whatever throws.
    /// </remarks>
    public class FlashKeySigner : IDeviceSigner
    {
        private readonly byte[] _key;
        private readonly object _lock = new object();

        private FlashKeySigner(byte[] key)
        {
            _key = key;
        }

        /// <summary>Reads the key file; the message never includes key bytes.</summary>
        /// <exception cref="InvalidOperationException">The file is missing or is not exactly 32 bytes.</exception>
        public static FlashKeySigner FromFile(string path)
        {
            if (!File.Exists(path))
            {
                throw new InvalidOperationException("Device Key file " + path + " is missing: write it with flash.sh config");
            }

            byte[] key = File.ReadAllBytes(path);
            if (key.Length != AuthProofs.DeviceKeyLength)
            {
                int length = key.Length;
                Array.Clear(key, 0, key.Length);
                throw new InvalidOperationException("Device Key file " + path + " holds " + length.ToString() + " bytes, expected 32");
            }

            return new FlashKeySigner(key);
        }

        public byte[] Sign(byte[] message)
        {
            if (message == null)
            {
                throw new ArgumentNullException(nameof(message));
            }

            lock (_lock)
            {
                byte[] keyCopy = new byte[_key.Length];
                Array.Copy(_key, 0, keyCopy, 0, _key.Length);
                try
                {
                    using (HMACSHA256 hmac = new HMACSHA256(keyCopy))
                    {
                        return hmac.ComputeHash(message);
                    }
                }
                finally
                {
                    // Dispose has cleared it already, unless the constructor threw first.
                    Array.Clear(keyCopy, 0, keyCopy.Length);
                }
            }
        }
    }
}
