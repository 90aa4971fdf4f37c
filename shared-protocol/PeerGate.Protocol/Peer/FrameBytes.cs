using System;

namespace PeerGate.Protocol.Peer
{
    /// <summary>The writing half of <see cref="FrameReader"/>: big-endian integers and short ASCII fields.</summary>
    public static class FrameBytes
    {
        public static void WriteUInt32(long value, byte[] buffer, int offset)
        {
            buffer[offset] = (byte)(value >> 24);
            buffer[offset + 1] = (byte)(value >> 16);
            buffer[offset + 2] = (byte)(value >> 8);
            buffer[offset + 3] = (byte)value;
        }

        /// <summary>Writes a length byte and the characters; returns the bytes written.</summary>
        /// <exception cref="ArgumentException">Empty, longer than <paramref name="maxLength"/>, or not printable ASCII.</exception>
        public static int WriteShortAscii(string value, int maxLength, byte[] buffer, int offset)
        {
            CheckAscii(value, maxLength);
            buffer[offset] = (byte)value.Length;
            WriteAscii(value, buffer, offset + 1);
            return 1 + value.Length;
        }

        /// <summary>The characters only, no length byte.</summary>
        public static void WriteAscii(string value, byte[] buffer, int offset)
        {
            for (int i = 0; i < value.Length; i++)
            {
                buffer[offset + i] = (byte)value[i];
            }
        }

        /// <summary>Printable ASCII without spaces, 1..maxLength characters: what IDs and codes look like.</summary>
        public static bool IsShortAscii(string value, int maxLength)
        {
            if (value == null || value.Length == 0 || value.Length > maxLength)
            {
                return false;
            }

            for (int i = 0; i < value.Length; i++)
            {
                if (value[i] < (char)0x21 || value[i] > (char)0x7E)
                {
                    return false;
                }
            }

            return true;
        }

        public static void CheckAscii(string value, int maxLength)
        {
            if (!IsShortAscii(value, maxLength))
            {
                throw new ArgumentException("must be 1.." + maxLength.ToString() + " printable ASCII characters");
            }
        }

        /// <summary>The ASCII bytes of a constant label.</summary>
        public static byte[] Ascii(string value)
        {
            byte[] bytes = new byte[value.Length];
            WriteAscii(value, bytes, 0);
            return bytes;
        }
    }
}
