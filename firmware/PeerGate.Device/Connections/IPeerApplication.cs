using PeerGate.Device.Peer;

namespace PeerGate.Device.Connections
{
    /// <summary>What a callee does with an accepted peer: the device's own application.</summary>
    public interface IPeerApplication
    {
        /// <summary>
        /// Runs the session on the peer server's worker thread and returns when it is over; the server
        /// closes the channel afterwards. A <see cref="PeerException"/> ends the session.
        /// </summary>
        void Serve(PeerChannel channel);
    }
}
