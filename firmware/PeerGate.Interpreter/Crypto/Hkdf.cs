namespace PeerGate.Interpreter.Crypto
{
    /// <summary>
    /// HKDF-SHA256 (RFC 5869). Noise's HKDF(ck, ikm, n) is Extract(salt: ck, ikm) followed by Expand with empty info,
    /// so the handshake uses these two calls.
    /// </summary>
    public static class Hkdf
    {
        public static byte[] Extract(byte[] salt, byte[] inputKeyMaterial)
        {
            byte[] key = salt == null || salt.Length == 0 ? new byte[Sha256.HashSize] : salt;
            return HmacSha256.Compute(key, inputKeyMaterial);
        }

        public static byte[] Expand(byte[] pseudoRandomKey, byte[] info, int length)
        {
            if (length < 0 || length > 255 * Sha256.HashSize)
            {
                throw new System.ArgumentOutOfRangeException("length");
            }

            HmacSha256 mac = new HmacSha256(pseudoRandomKey);
            byte[] output = new byte[length];
            byte[] previous = new byte[Sha256.HashSize];
            byte[] counter = new byte[1];
            int written = 0;
            for (int block = 1; written < length; block++)
            {
                if (block > 1)
                {
                    mac.Update(previous, 0, Sha256.HashSize);
                }

                if (info != null)
                {
                    mac.Update(info, 0, info.Length);
                }

                counter[0] = (byte)block;
                mac.Update(counter, 0, 1);
                mac.Final(previous, 0);
                int take = length - written < Sha256.HashSize ? length - written : Sha256.HashSize;
                System.Array.Copy(previous, 0, output, written, take);
                written += take;
            }

            return output;
        }
    }
}
