using System;

namespace PeerGate.Protocol.Peer
{
    /// <summary>
    /// A frame or handshake message that must not be trusted. <see cref="Code"/> is an
    /// <see cref="ErrorCodes"/> value: frame_malformed, frame_tampered or frame_out_of_order.
    /// </summary>
    public class FrameException : Exception
    {
        public FrameException(string code, string message)
            : base(message)
        {
            Code = code;
        }

        public string Code { get; }

        internal static FrameException Malformed(string message)
        {
            return new FrameException(ErrorCodes.FrameMalformed, message);
        }
    }
}
