using System.Net.NetworkInformation;
using System.Threading;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32.Networking
{
    /// <summary>The Wi-Fi station interface as the device core sees it: its DHCP address, or nothing.</summary>
    public class WifiNetworkInfo : INetworkInfo
    {
        private const int PollMillis = 200;
        private const string NoAddress = "0.0.0.0";

        private readonly int _listenPort;

        /// <param name="listenPort">The port peers may connect to; 0 while the device does not listen.</param>
        public WifiNetworkInfo(int listenPort)
        {
            _listenPort = listenPort;
        }

        public string LocalIp
        {
            get
            {
                NetworkInterface[] interfaces = NetworkInterface.GetAllNetworkInterfaces();
                for (int i = 0; i < interfaces.Length; i++)
                {
                    if (interfaces[i].NetworkInterfaceType == NetworkInterfaceType.Wireless80211)
                    {
                        string address = interfaces[i].IPv4Address;
                        return address == null || address.Length == 0 || address == NoAddress ? null : address;
                    }
                }

                return null;
            }
        }

        public int ListenPort
        {
            get { return _listenPort; }
        }

        public bool WaitConnected(int timeoutMillis)
        {
            // Reconnection itself is the Wi-Fi driver's job (WifiReconnectionKind.Automatic); this only watches.
            int waited = 0;
            while (LocalIp == null)
            {
                if (waited >= timeoutMillis)
                {
                    return false;
                }

                Thread.Sleep(PollMillis);
                waited += PollMillis;
            }

            return true;
        }
    }
}
