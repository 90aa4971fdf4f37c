using System;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32.Platform
{
    /// <summary>
    /// Randomness for nonces and backoff jitter. On ESP32 nanoFramework backs System.Random with
    /// esp_random() and ignores the seed, so this is the hardware RNG; it is truly random while the
    /// radio is on, which it is whenever the device talks to anyone.
    /// </summary>
    public class HardwareRandom : IRandomSource
    {
        private readonly Random _random = new Random();
        private readonly object _lock = new object();

        public int Next(int maxExclusive)
        {
            if (maxExclusive <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(maxExclusive));
            }

            lock (_lock)
            {
                return _random.Next(maxExclusive);
            }
        }

        public void NextBytes(byte[] buffer)
        {
            if (buffer == null)
            {
                throw new ArgumentNullException(nameof(buffer));
            }

            lock (_lock)
            {
                _random.NextBytes(buffer);
            }
        }
    }
}
