using System;
using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Connections
{
    /// <summary>
    /// A callee application that sends every byte straight back, so a caller can check the channel
    /// both ways (the virtual device runs it; a board can too, for the hardware tests). Logs sizes
    /// only, never contents.
    /// </summary>
    public class EchoApplication : IPeerApplication
    {
        /// <summary>A session with nothing to say for this long is over.</summary>
        public const int IdleTimeoutMillis = 30000;

        private readonly IDeviceLog _log;

        public EchoApplication(IDeviceLog log)
        {
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        public void Serve(PeerChannel channel)
        {
            // One frame's worth, allocated once per session and reused for every frame.
            byte[] buffer = new byte[FrameFormat.MaxPayload];
            while (true)
            {
                int received = channel.Receive(buffer, 0, buffer.Length, IdleTimeoutMillis);
                if (received == 0)
                {
                    return;
                }

                if (received < 0)
                {
                    _log.Event("peer.idle", "session " + channel.SessionId + ": nothing for " + IdleTimeoutMillis.ToString() + " ms");
                    return;
                }

                _log.Event("peer.received", received.ToString() + " bytes");
                channel.Send(buffer, 0, received);
            }
        }
    }
}
