namespace PeerGate.Device.Platform
{
    /// <summary>
    /// The connections of the rendezvous paths (F37): out to the server's rendezvous endpoint, and for a
    /// punch out to the peer from the very local port the server saw. Sockets on the board, Socket on
    /// .NET. Direct TCP stays on <see cref="IPeerNetwork"/>.
    /// </summary>
    public interface IRendezvousNetwork
    {
        /// <summary>
        /// Connects to the rendezvous endpoint at <paramref name="host"/>:<paramref name="port"/> from
        /// <paramref name="localPort"/> (0: any free port), with address reuse so the same port can dial the
        /// peer next; over TLS whose server certificate must chain to the CA the adapter was given (plain
        /// TCP only when it was given none: the local demo). Null when it cannot connect or TLS fails
        /// within the timeout.
        /// </summary>
        IRendezvousConnection ConnectServer(string host, int port, int localPort, int timeoutMillis);

        /// <summary>
        /// Plain TCP from <paramref name="localPort"/> (address reuse) to the peer at <paramref name="ip"/>:
        /// <paramref name="port"/>: when the peer dials this side at the same moment, a TCP simultaneous
        /// open. Null when no connection stood within the timeout (refused, unreachable, timed out).
        /// </summary>
        IPeerConnection ConnectFrom(int localPort, string ip, int port, int timeoutMillis);
    }

    /// <summary>A connection to the rendezvous endpoint; it knows the local port it was made from.</summary>
    public interface IRendezvousConnection : IPeerConnection
    {
        /// <summary>The local port of this connection (the one the server observes, through the NAT).</summary>
        int LocalPort { get; }
    }
}
