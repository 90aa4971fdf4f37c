using System;

namespace PeerGate.Protocol
{
    /// <summary>Upper-case hex, written out because nanoFramework 1.x has no Convert.ToHexString.</summary>
    public static class Hex
    {
        private const string Digits = "0123456789ABCDEF";

        public static string Encode(byte[] data, int offset, int count)
        {
            char[] chars = new char[count * 2];
            for (int i = 0; i < count; i++)
            {
                byte b = data[offset + i];
                chars[i * 2] = Digits[b >> 4];
                chars[(i * 2) + 1] = Digits[b & 0x0F];
            }

            return new string(chars);
        }

        /// <summary>Decodes hex of either case; throws <see cref="ArgumentException"/> on anything else.</summary>
        public static byte[] Decode(string hex)
        {
            if (hex == null || (hex.Length & 1) != 0)
            {
                throw new ArgumentException("hex must have an even number of digits", nameof(hex));
            }

            byte[] bytes = new byte[hex.Length / 2];
            for (int i = 0; i < bytes.Length; i++)
            {
                int high = DigitValue(hex[i * 2], true);
                int low = DigitValue(hex[(i * 2) + 1], true);
                if (high < 0 || low < 0)
                {
                    throw new ArgumentException("not a hex digit", nameof(hex));
                }

                bytes[i] = (byte)((high << 4) | low);
            }

            return bytes;
        }

        /// <summary>Value of one hex digit, or -1.</summary>
        public static int DigitValue(char c, bool allowLowerCase)
        {
            if (c >= '0' && c <= '9')
            {
                return c - '0';
            }

            if (c >= 'A' && c <= 'F')
            {
                return c - 'A' + 10;
            }

            if (allowLowerCase && c >= 'a' && c <= 'f')
            {
                return c - 'a' + 10;
            }

            return -1;
        }
    }
}
