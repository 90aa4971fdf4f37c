namespace PeerGate.Device.Platform
{
    /// <summary>
    /// One UDP socket (F27): a Socket(Dgram, Udp) on the board, a Socket on .NET. Caller-owned
    /// buffers; every receive bounded by a timeout. Never throws for network failures.
    /// </summary>
    public interface IDatagramSocket
    {
        /// <summary>The local port bound (what the device's NAT maps).</summary>
        int LocalPort { get; }

        /// <summary>Sends one datagram to ip:port; false when it could not be sent.</summary>
        bool SendTo(byte[] buffer, int offset, int count, string ip, int port);

        /// <summary>
        /// The next datagram into buffer[offset..offset+count): its length, or -1 when none arrived
        /// within the timeout or the socket is closed. A datagram longer than count reads as -1.
        /// </summary>
        int Receive(byte[] buffer, int offset, int count, int timeoutMillis);

        void Close();
    }
}
