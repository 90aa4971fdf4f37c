using System;

namespace PeerGate.Protocol.Peer
{
    /// <summary>
    /// The four keys a session key gives (F20): an encryption key and a MAC key per direction, so a
    /// key is never used for two purposes and a frame sent one way cannot be reflected back.
    /// K = HMAC-SHA256(sessionKey, ASCII("PeerGate-frame-v1 " + purpose + " " + direction)).
    /// </summary>
    public static class FrameKeys
    {
        public const string CallerToCallee = "caller-to-callee";
        public const string CalleeToCaller = "callee-to-caller";

        private const string Label = "PeerGate-frame-v1 ";

        public static byte[] EncryptionKey(IPeerCrypto crypto, byte[] sessionKey, string direction)
        {
            return Derive(crypto, sessionKey, "enc", direction);
        }

        public static byte[] MacKey(IPeerCrypto crypto, byte[] sessionKey, string direction)
        {
            return Derive(crypto, sessionKey, "mac", direction);
        }

        private static byte[] Derive(IPeerCrypto crypto, byte[] sessionKey, string purpose, string direction)
        {
            if (crypto == null)
            {
                throw new ArgumentNullException(nameof(crypto));
            }

            if (sessionKey == null || sessionKey.Length != FrameFormat.KeyLength)
            {
                throw new ArgumentException("the session key must be 32 bytes", nameof(sessionKey));
            }

            if (direction != CallerToCallee && direction != CalleeToCaller)
            {
                throw new ArgumentException("unknown direction", nameof(direction));
            }

            byte[] label = FrameBytes.Ascii(Label + purpose + " " + direction);
            return crypto.HmacSha256(sessionKey, label, 0, label.Length);
        }
    }
}
