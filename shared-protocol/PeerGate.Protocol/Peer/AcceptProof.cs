using System;

namespace PeerGate.Protocol.Peer
{
    /// <summary>
    /// The payload of the Accept frame: HMAC-SHA256(password, "PeerGate-accept-v1" ‖ 0 ‖ session ID).
    /// The callee shows it knows the one-time password too (mutual check, F19): holding the key
    /// alone is not enough to pose as the callee.
    /// </summary>
    public static class AcceptProof
    {
        public const int Length = 32;

        private const string Label = "PeerGate-accept-v1";

        public static byte[] Compute(IPeerCrypto crypto, byte[] password, string sessionId)
        {
            if (crypto == null)
            {
                throw new ArgumentNullException(nameof(crypto));
            }

            if (password == null || password.Length != PeerRequest.PasswordLength)
            {
                throw new ArgumentException("the one-time password is 16 bytes", nameof(password));
            }

            FrameBytes.CheckAscii(sessionId, PeerPreamble.MaxSessionIdLength);
            byte[] message = new byte[Label.Length + 1 + sessionId.Length];
            FrameBytes.WriteAscii(Label, message, 0);
            FrameBytes.WriteAscii(sessionId, message, Label.Length + 1);
            return crypto.HmacSha256(password, message, 0, message.Length);
        }
    }
}
