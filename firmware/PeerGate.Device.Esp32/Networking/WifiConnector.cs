using System.Device.Wifi;
using System.Threading;
using nanoFramework.Networking;
using PeerGate.Device.Esp32.Configuration;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32.Networking
{
    /// <summary>
    /// Brings Wi-Fi up with DHCP and waits for SNTP to set the clock: TLS checks certificate
    /// validity dates, and certificate and nonce expiry are Unix times.
    /// </summary>
    public static class WifiConnector
    {
        /// <summary>
        /// Connects with the SSID from peergate.conf, or with the Wi-Fi configuration stored on the
        /// device (nanoff --networkdeployment) when the file names none.
        /// </summary>
        /// <returns>True when the station has an address and a valid clock.</returns>
        public static bool Connect(BoardConfig board, int timeoutMillis, IDeviceLog log)
        {
            bool connected;
            using (CancellationTokenSource timeout = new CancellationTokenSource(timeoutMillis))
            {
                if (board.WifiSsid != null)
                {
                    log.Event("wifi.connect", board.WifiSsid);
                    connected = WifiNetworkHelper.ConnectDhcp(
                        board.WifiSsid,
                        board.WifiPassword,
                        WifiReconnectionKind.Automatic,
                        requiresDateTime: true,
                        token: timeout.Token);
                }
                else
                {
                    // NetworkHelper.SetupAndConnectNetwork would watch the Ethernet interface; the
                    // Wi-Fi helper's Reconnect uses the stored station configuration.
                    log.Event("wifi.connect", "stored configuration");
                    connected = WifiNetworkHelper.Reconnect(requiresDateTime: true, token: timeout.Token);
                }
            }

            if (!connected)
            {
                // NetworkHelperStatus as a number: enum names do not exist at run time on nanoFramework.
                log.Event("wifi.failed", "status " + ((int)WifiNetworkHelper.Status).ToString());
            }

            return connected;
        }
    }
}
