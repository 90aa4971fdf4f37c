using System;

namespace PeerGate.Device.Peer
{
    /// <summary>
    /// A peer connection was refused or ended abnormally; it is closed and nothing from it reached the
    /// application. <see cref="Code"/> is a PeerGate.Protocol.ErrorCodes value (peer_*, frame_*,
    /// callee_unreachable) or CloseReasons.ConnectionLost.
    /// </summary>
    public class PeerException : Exception
    {
        public PeerException(string code, string message)
            : base(message)
        {
            Code = code;
        }

        public string Code { get; }
    }
}
