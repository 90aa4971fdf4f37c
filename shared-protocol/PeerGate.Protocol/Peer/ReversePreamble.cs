using System;

namespace PeerGate.Protocol.Peer
{
    /// <summary>
    /// What a callee sends first on a connection it opened to the caller (reverse connect, F30):
    /// 'P' 'R' version(1) length(1) session ID (ASCII) ‖ tag(32), where
    /// tag = HMAC-SHA256(session key, ASCII "PeerGate-reverse-v1" ‖ 0x00 ‖ session ID).
    /// The caller's listener hands the connection to the dial waiting for that session only when the
    /// tag verifies under that session's key, so a stranger cannot hand a caller a connection. After
    /// it the caller plays the dialer (a <see cref="PeerPreamble"/> and its Request) and the callee the
    /// acceptor, exactly as on a connection the caller opened.
    /// </summary>
    public static class ReversePreamble
    {
        /// <summary>Magic, version and the length byte: the same shape as <see cref="PeerPreamble"/>.</summary>
        public const int HeaderLength = 4;

        public const int TagLength = 32;

        public const int MaxLength = HeaderLength + PeerPreamble.MaxSessionIdLength + TagLength;

        private const byte MagicP = (byte)'P';
        private const byte MagicR = (byte)'R';
        private const string Label = "PeerGate-reverse-v1";

        /// <summary>True when the first two bytes are the reverse preamble's magic (not yet checked further).</summary>
        public static bool IsReverse(byte[] buffer, int offset)
        {
            return buffer[offset] == MagicP && buffer[offset + 1] == MagicR;
        }

        /// <summary>The tag for <paramref name="sessionId"/> under the 32-byte session key.</summary>
        public static byte[] Tag(IPeerCrypto crypto, byte[] sessionKey, string sessionId)
        {
            if (crypto == null)
            {
                throw new ArgumentNullException(nameof(crypto));
            }

            if (sessionKey == null || sessionKey.Length != FrameFormat.KeyLength)
            {
                throw new ArgumentException("the session key must be 32 bytes", nameof(sessionKey));
            }

            FrameBytes.CheckAscii(sessionId, PeerPreamble.MaxSessionIdLength);
            byte[] message = new byte[Label.Length + 1 + sessionId.Length];
            FrameBytes.WriteAscii(Label, message, 0);
            FrameBytes.WriteAscii(sessionId, message, Label.Length + 1);
            return crypto.HmacSha256(sessionKey, message, 0, message.Length);
        }

        /// <summary>Writes the preamble with a tag from <see cref="Tag"/>; returns its length.</summary>
        public static int Write(string sessionId, byte[] tag, byte[] buffer, int offset)
        {
            FrameBytes.CheckAscii(sessionId, PeerPreamble.MaxSessionIdLength);
            if (tag == null || tag.Length != TagLength)
            {
                throw new ArgumentException("the tag is 32 bytes", nameof(tag));
            }

            buffer[offset] = MagicP;
            buffer[offset + 1] = MagicR;
            buffer[offset + 2] = FrameFormat.Version;
            buffer[offset + 3] = (byte)sessionId.Length;
            FrameBytes.WriteAscii(sessionId, buffer, offset + HeaderLength);
            Array.Copy(tag, 0, buffer, offset + HeaderLength + sessionId.Length, TagLength);
            return HeaderLength + sessionId.Length + TagLength;
        }

        /// <summary>From the first <see cref="HeaderLength"/> bytes: how many bytes follow (session ID and tag).</summary>
        /// <exception cref="FrameException">frame_malformed: not a reverse preamble, or an out-of-bounds length.</exception>
        public static int RemainingLength(byte[] buffer, int offset)
        {
            FrameReader reader = new FrameReader(buffer, offset, HeaderLength);
            if (reader.ReadByte() != MagicP || reader.ReadByte() != MagicR)
            {
                throw FrameException.Malformed("not a PeerGate reverse connection");
            }

            int version = reader.ReadByte();
            if (version != FrameFormat.Version)
            {
                throw FrameException.Malformed("unsupported peer version " + version.ToString());
            }

            int length = reader.ReadByte();
            if (length == 0 || length > PeerPreamble.MaxSessionIdLength)
            {
                throw FrameException.Malformed("session ID length out of bounds");
            }

            return length + TagLength;
        }

        /// <summary>Reads a whole preamble of exactly <paramref name="count"/> bytes: the session ID, and the tag into <paramref name="tag"/> (32 bytes).</summary>
        /// <exception cref="FrameException">frame_malformed.</exception>
        public static string Read(byte[] buffer, int offset, int count, byte[] tag)
        {
            if (count < HeaderLength)
            {
                throw FrameException.Malformed("truncated reverse preamble");
            }

            if (tag == null || tag.Length != TagLength)
            {
                throw new ArgumentException("the tag buffer is 32 bytes", nameof(tag));
            }

            RemainingLength(buffer, offset);
            FrameReader reader = new FrameReader(buffer, offset + 3, count - 3);
            string sessionId = reader.ReadShortAscii(PeerPreamble.MaxSessionIdLength, "session ID");
            if (reader.Remaining != TagLength)
            {
                throw FrameException.Malformed("the reverse preamble's tag is not 32 bytes");
            }

            reader.ReadBytes(tag, 0, TagLength);
            return sessionId;
        }
    }
}
