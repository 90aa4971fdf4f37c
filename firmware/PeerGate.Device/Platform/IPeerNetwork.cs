namespace PeerGate.Device.Platform
{
    /// <summary>Direct TCP between devices (F19): sockets on the board, TcpClient/TcpListener on .NET.</summary>
    public interface IPeerNetwork
    {
        /// <summary>Connects within the timeout; null when the peer cannot be reached.</summary>
        IPeerConnection Connect(string ip, int port, int timeoutMillis);

        /// <summary>Starts listening on <paramref name="port"/> (0: any free port).</summary>
        IPeerListener Listen(int port);
    }

    /// <summary>A listening socket.</summary>
    public interface IPeerListener
    {
        /// <summary>The port actually bound.</summary>
        int Port { get; }

        /// <summary>The next incoming connection, or null when none arrived within the timeout or the listener closed.</summary>
        IPeerConnection Accept(int timeoutMillis);

        void Close();
    }

    /// <summary>One TCP connection; caller-owned buffers, every read bounded by a timeout.</summary>
    public interface IPeerConnection
    {
        /// <summary>The remote address, as seen on this side.</summary>
        string RemoteIp { get; }

        /// <summary>
        /// Reads up to <paramref name="count"/> bytes; returns 0 when the peer closed, -1 when nothing
        /// arrived within the timeout. Never throws for network failures (they read as 0).
        /// </summary>
        int Read(byte[] buffer, int offset, int count, int timeoutMillis);

        /// <summary>Writes all bytes; false when the connection is gone.</summary>
        bool Write(byte[] buffer, int offset, int count);

        void Close();
    }
}
