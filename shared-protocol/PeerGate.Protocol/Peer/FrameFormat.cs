namespace PeerGate.Protocol.Peer
{
    /// <summary>
    /// The peer frame layout (F20), documented in docs/frame-format.md:
    /// version(1) ‖ type(1) ‖ seq(4, big-endian) ‖ length(4, big-endian) ‖ IV(16) ‖ ciphertext(length) ‖ tag(32).
    /// </summary>
    public static class FrameFormat
    {
        public const byte Version = 1;

        /// <summary>version, type, seq, ciphertext length.</summary>
        public const int HeaderLength = 10;

        public const int IvLength = 16;
        public const int TagLength = 32;
        public const int BlockSize = 16;

        /// <summary>The issued session key and every derived key are 256 bits.</summary>
        public const int KeyLength = 32;

        /// <summary>Largest payload one frame carries; bigger sends are split.</summary>
        public const int MaxPayload = 4096;

        /// <summary>PKCS#7 always adds 1..16 bytes, so a full payload needs one more block.</summary>
        public const int MaxCiphertext = MaxPayload + BlockSize;

        public const int MaxFrameLength = HeaderLength + IvLength + MaxCiphertext + TagLength;

        /// <summary>Bytes on the wire for a payload of <paramref name="payloadCount"/> bytes.</summary>
        public static int FrameLength(int payloadCount)
        {
            return HeaderLength + IvLength + PaddedLength(payloadCount) + TagLength;
        }

        /// <summary>The ciphertext length: the payload rounded up to the next whole block (never equal).</summary>
        public static int PaddedLength(int payloadCount)
        {
            return ((payloadCount / BlockSize) + 1) * BlockSize;
        }
    }

    /// <summary>Frame types (numbers on the wire; nanoFramework prints enums as numbers anyway).</summary>
    public static class FrameTypes
    {
        /// <summary>Caller to callee, first frame: caller Terminal ID, one-time password, session ID.</summary>
        public const int Request = 1;

        /// <summary>Callee to caller, first frame: the Accept proof (knowledge of the session's password, bound to its ID).</summary>
        public const int Accept = 2;

        /// <summary>Application bytes.</summary>
        public const int Data = 3;

        /// <summary>The sender is closing; the payload is the reason code in ASCII.</summary>
        public const int Close = 4;

        /// <summary>The session's limits changed (an extension was granted, F24); payload: <see cref="LimitsPayload"/>.</summary>
        public const int Limits = 5;

        public static bool IsKnown(int type)
        {
            return type >= Request && type <= Limits;
        }
    }

    /// <summary>
    /// Close reasons that are not errors. Every other reason a Close frame carries is an
    /// <see cref="ErrorCodes"/> value.
    /// </summary>
    public static class CloseReasons
    {
        /// <summary>The application is done; everything it sent was delivered in order.</summary>
        public const string Finished = "finished";

        /// <summary>The TCP connection ended without a Close frame (local only, never sent).</summary>
        public const string ConnectionLost = "connection_lost";

        /// <summary>A reason code is ASCII and at most this long.</summary>
        public const int MaxLength = 64;
    }
}
