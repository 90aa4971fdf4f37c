using System;

namespace PeerGate.Protocol.Peer
{
    /// <summary>
    /// The payload of a Limits frame (F24): endsAt(8, big-endian, Unix seconds, 0 for none) ‖
    /// byteLimit(8, big-endian, both directions together, 0 for none) ‖ tag(32): the server's
    /// <see cref="LimitsTag"/> on these limits under the receiver's limits key. The session is the
    /// channel's. Any other length is malformed.
    /// </summary>
    public static class LimitsPayload
    {
        public const int Length = 16 + LimitsTag.Length;

        public const int TagOffset = 16;

        public static void Write(long endsAt, long byteLimit, byte[] tag, byte[] buffer, int offset)
        {
            if (tag == null || tag.Length != LimitsTag.Length)
            {
                throw new ArgumentException("a limits tag is 32 bytes", nameof(tag));
            }

            WriteInt64(endsAt, buffer, offset);
            WriteInt64(byteLimit, buffer, offset + 8);
            Array.Copy(tag, 0, buffer, offset + TagOffset, LimitsTag.Length);
        }

        public static long ReadEndsAt(byte[] buffer, int offset)
        {
            return ReadInt64(buffer, offset);
        }

        public static long ReadByteLimit(byte[] buffer, int offset)
        {
            return ReadInt64(buffer, offset + 8);
        }

        internal static void WriteInt64(long value, byte[] buffer, int offset)
        {
            FrameBytes.WriteUInt32((value >> 32) & 0xFFFFFFFFL, buffer, offset);
            FrameBytes.WriteUInt32(value & 0xFFFFFFFFL, buffer, offset + 4);
        }

        private static long ReadInt64(byte[] buffer, int offset)
        {
            long value = 0;
            for (int i = 0; i < 8; i++)
            {
                value = (value << 8) | buffer[offset + i];
            }

            return value;
        }
    }
}
