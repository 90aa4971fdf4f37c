namespace PeerGate.Protocol.Peer
{
    /// <summary>
    /// The only clear bytes of a peer connection, sent by the caller first: 'P' 'G' version(1)
    /// length(1) session ID (ASCII). It names the offer, so a callee holding several offers knows which
    /// key opens the Request frame that follows. It proves nothing: the Request frame does.
    /// </summary>
    public static class PeerPreamble
    {
        /// <summary>Magic, version and the length byte.</summary>
        public const int HeaderLength = 4;

        public const int MaxSessionIdLength = 64;

        public const int MaxLength = HeaderLength + MaxSessionIdLength;

        private const byte MagicP = (byte)'P';
        private const byte MagicG = (byte)'G';

        /// <summary>Writes the preamble; returns its length.</summary>
        public static int Write(string sessionId, byte[] buffer, int offset)
        {
            FrameBytes.CheckAscii(sessionId, MaxSessionIdLength);
            buffer[offset] = MagicP;
            buffer[offset + 1] = MagicG;
            buffer[offset + 2] = FrameFormat.Version;
            buffer[offset + 3] = (byte)sessionId.Length;
            FrameBytes.WriteAscii(sessionId, buffer, offset + HeaderLength);
            return HeaderLength + sessionId.Length;
        }

        /// <summary>From the first <see cref="HeaderLength"/> bytes: how many session ID bytes follow.</summary>
        /// <exception cref="FrameException">frame_malformed: not a PeerGate preamble, or an out-of-bounds length.</exception>
        public static int SessionIdLength(byte[] buffer, int offset)
        {
            FrameReader reader = new FrameReader(buffer, offset, HeaderLength);
            if (reader.ReadByte() != MagicP || reader.ReadByte() != MagicG)
            {
                throw FrameException.Malformed("not a PeerGate peer connection");
            }

            int version = reader.ReadByte();
            if (version != FrameFormat.Version)
            {
                throw FrameException.Malformed("unsupported peer version " + version.ToString());
            }

            int length = reader.ReadByte();
            if (length == 0 || length > MaxSessionIdLength)
            {
                throw FrameException.Malformed("session ID length out of bounds");
            }

            return length;
        }

        /// <summary>Reads a whole preamble (header and session ID) of exactly <paramref name="count"/> bytes.</summary>
        public static string Read(byte[] buffer, int offset, int count)
        {
            if (count < HeaderLength)
            {
                throw FrameException.Malformed("truncated preamble");
            }

            SessionIdLength(buffer, offset);
            FrameReader reader = new FrameReader(buffer, offset + 3, count - 3);
            string sessionId = reader.ReadShortAscii(MaxSessionIdLength, "session ID");
            reader.EnsureEnd("preamble");
            return sessionId;
        }
    }
}
