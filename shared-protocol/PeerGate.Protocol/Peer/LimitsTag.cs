using System;

namespace PeerGate.Protocol.Peer
{
    /// <summary>
    /// The server's seal on new session limits (F24): HMAC-SHA256(limitsKey, "PeerGate-limits-v1" ‖ 0 ‖
    /// ASCII(session ID) ‖ endsAt(8, big-endian) ‖ byteLimit(8, big-endian)). Each side of a session has
    /// its own limits key, which only the server and that side hold: the callee's comes in its session
    /// offer, the caller's in its connection grant. When one side extends the session, the server answers
    /// with the tag under the OTHER side's key, and the requester forwards it in the Limits frame. The
    /// receiver applies peer-sent limits only when the tag verifies under its own key, so a peer can
    /// forward limits the server granted but never make up larger ones.
    /// </summary>
    public static class LimitsTag
    {
        public const int Length = 32;

        public const int KeyLength = 32;

        private const string Label = "PeerGate-limits-v1";

        /// <summary>The labelled message the tag signs.</summary>
        public static byte[] Message(string sessionId, long endsAt, long byteLimit)
        {
            FrameBytes.CheckAscii(sessionId, PeerPreamble.MaxSessionIdLength);
            byte[] message = new byte[Label.Length + 1 + sessionId.Length + 16];
            FrameBytes.WriteAscii(Label, message, 0);
            FrameBytes.WriteAscii(sessionId, message, Label.Length + 1);
            int at = Label.Length + 1 + sessionId.Length;
            LimitsPayload.WriteInt64(endsAt, message, at);
            LimitsPayload.WriteInt64(byteLimit, message, at + 8);
            return message;
        }

        public static byte[] Compute(IPeerCrypto crypto, byte[] limitsKey, string sessionId, long endsAt, long byteLimit)
        {
            if (crypto == null)
            {
                throw new ArgumentNullException(nameof(crypto));
            }

            if (limitsKey == null || limitsKey.Length != KeyLength)
            {
                throw new ArgumentException("a limits key is 32 bytes", nameof(limitsKey));
            }

            byte[] message = Message(sessionId, endsAt, byteLimit);
            return crypto.HmacSha256(limitsKey, message, 0, message.Length);
        }

        /// <summary>
        /// True when <paramref name="tag"/> (32 bytes at <paramref name="offset"/>) is the server's tag on
        /// these limits under <paramref name="limitsKey"/>; compared in fixed time. False without a key.
        /// </summary>
        public static bool Verify(IPeerCrypto crypto, byte[] limitsKey, string sessionId, long endsAt, long byteLimit, byte[] tag, int offset)
        {
            if (limitsKey == null || limitsKey.Length != KeyLength || tag == null || offset < 0 || tag.Length - offset < Length)
            {
                return false;
            }

            byte[] expected = Compute(crypto, limitsKey, sessionId, endsAt, byteLimit);
            int diff = 0;
            for (int i = 0; i < Length; i++)
            {
                diff |= expected[i] ^ tag[offset + i];
            }

            Array.Clear(expected, 0, expected.Length);
            return diff == 0;
        }
    }
}
