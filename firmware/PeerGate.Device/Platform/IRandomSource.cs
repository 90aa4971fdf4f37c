namespace PeerGate.Device.Platform
{
    /// <summary>Randomness for jitter and nonces: the hardware RNG on the board (System.Random is esp_random there).</summary>
    public interface IRandomSource
    {
        /// <summary>A value in [0, maxExclusive).</summary>
        int Next(int maxExclusive);

        void NextBytes(byte[] buffer);
    }
}
