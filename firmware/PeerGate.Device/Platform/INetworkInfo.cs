namespace PeerGate.Device.Platform
{
    /// <summary>The device's own network attachment (Wi-Fi with DHCP on the board, F9).</summary>
    public interface INetworkInfo
    {
        /// <summary>Blocks until the interface has an address or the timeout passes; true when connected.</summary>
        bool WaitConnected(int timeoutMillis);

        /// <summary>The address on the device's own interface, or null while disconnected.</summary>
        string LocalIp { get; }

        /// <summary>The port the device listens on for peers; 0 if it does not listen.</summary>
        int ListenPort { get; }
    }
}
