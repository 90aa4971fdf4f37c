using System;

namespace PeerGate.Protocol.Peer
{
    /// <summary>
    /// The payload of the Accept frame: HMAC-SHA256(password, "PeerGate-accept-v1" ‖ 0 ‖ session ID).
    /// It shows the answering side knows this session's password, bound to this session ID, so an
    /// Accept cannot be taken from another session or made up without the session's secrets.
    /// It proves no more than holding the session key: the password reached the callee inside the
    /// Request frame, encrypted under a key derived from that key, so anyone with the key (the server,
    /// the caller, the callee) can read the password and compute the proof. The Accept frame's tag
    /// already shows the key; what tells the callee apart is only that the server gave the key to
    /// the two devices alone.
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
