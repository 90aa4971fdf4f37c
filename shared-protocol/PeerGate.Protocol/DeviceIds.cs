using System;

namespace PeerGate.Protocol
{
    /// <summary>
    /// Canonical Device IDs: upper-case hex of the bytes burned into eFuse, 12 to 64 digits
    /// (the 6-byte factory MAC gives 12; a custom user block up to 32 bytes gives up to 64).
    /// </summary>
    public static class DeviceIds
    {
        public const int MinLength = 12;
        public const int MaxLength = 64;

        public static bool IsValid(string deviceId)
        {
            if (deviceId == null || deviceId.Length < MinLength || deviceId.Length > MaxLength || (deviceId.Length & 1) != 0)
            {
                return false;
            }

            for (int i = 0; i < deviceId.Length; i++)
            {
                if (Hex.DigitValue(deviceId[i], false) < 0)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>The canonical ID of raw eFuse bytes (the MAC or a user block).</summary>
        public static string FromBytes(byte[] raw)
        {
            if (raw == null || raw.Length * 2 < MinLength || raw.Length * 2 > MaxLength)
            {
                throw new ArgumentException("eFuse ID must be 6 to 32 bytes", nameof(raw));
            }

            return Hex.Encode(raw, 0, raw.Length);
        }

        /// <summary>The ID as it enters HMAC messages: its ASCII characters.</summary>
        public static byte[] ToAscii(string deviceId)
        {
            byte[] ascii = new byte[deviceId.Length];
            for (int i = 0; i < deviceId.Length; i++)
            {
                ascii[i] = (byte)deviceId[i];
            }

            return ascii;
        }
    }
}
