namespace PeerGate.Interpreter.Vectors
{
    /// <summary>Lower-case hexadecimal, both ways (nanoFramework 1.x has no Convert.FromHexString).</summary>
    public static class Hex
    {
        private const string Digits = "0123456789abcdef";

        public static byte[] Decode(string hex)
        {
            if (hex.Length % 2 != 0)
            {
                throw new System.ArgumentException("odd number of hex digits");
            }

            byte[] bytes = new byte[hex.Length / 2];
            for (int i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)((Nibble(hex[2 * i]) << 4) | Nibble(hex[2 * i + 1]));
            }

            return bytes;
        }

        public static string Encode(byte[] bytes)
        {
            char[] chars = new char[bytes.Length * 2];
            for (int i = 0; i < bytes.Length; i++)
            {
                chars[2 * i] = Digits[bytes[i] >> 4];
                chars[2 * i + 1] = Digits[bytes[i] & 0xf];
            }

            return new string(chars);
        }

        /// <summary>count copies of one byte: the RFC vectors' 0x0b x 20, 0xaa x 131, ...</summary>
        public static byte[] Repeat(byte value, int count)
        {
            byte[] bytes = new byte[count];
            for (int i = 0; i < count; i++)
            {
                bytes[i] = value;
            }

            return bytes;
        }

        /// <summary>ASCII bytes of a vector's text (every vector text is ASCII).</summary>
        public static byte[] Ascii(string text)
        {
            byte[] bytes = new byte[text.Length];
            for (int i = 0; i < text.Length; i++)
            {
                bytes[i] = (byte)text[i];
            }

            return bytes;
        }

        private static int Nibble(char c)
        {
            if (c >= '0' && c <= '9')
            {
                return c - '0';
            }

            if (c >= 'a' && c <= 'f')
            {
                return c - 'a' + 10;
            }

            if (c >= 'A' && c <= 'F')
            {
                return c - 'A' + 10;
            }

            throw new System.ArgumentException("not a hex digit");
        }
    }
}
