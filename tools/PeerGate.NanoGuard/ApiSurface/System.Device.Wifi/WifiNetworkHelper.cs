// Mirrors nanoframework/System.Device.Wifi System.Device.Wifi/{NetworkHelper/WifiNetworkHelper,
// WifiReconnectionKind}.cs (NuGet nanoFramework.System.Device.Wifi 1.5.149). The IPConfiguration and
// WifiAdapter typed members are left out.

using System;
using System.Device.Wifi;
using System.Threading;

namespace nanoFramework.Networking
{
    public static class WifiNetworkHelper
    {
        public static ManualResetEvent NetworkReady => throw null;

        public static NetworkHelperStatus Status => throw null;

        public static Exception HelperException => throw null;

        public static void SetupNetworkHelper(bool requiresDateTime = false) { }

        public static void SetupNetworkHelper(
            string ssid,
            string password,
            WifiReconnectionKind reconnectionKind = WifiReconnectionKind.Automatic,
            bool requiresDateTime = false) { }

        public static void Disconnect() { }

        public static bool ConnectDhcp(
            string ssid,
            string password,
            WifiReconnectionKind reconnectionKind = WifiReconnectionKind.Automatic,
            bool requiresDateTime = false,
            int wifiAdapterId = 0,
            CancellationToken token = default) { throw null; }

        public static bool ScanAndConnectDhcp(
            string ssid,
            string password,
            WifiReconnectionKind reconnectionKind = WifiReconnectionKind.Automatic,
            bool requiresDateTime = false,
            int WifiAdapter = 0,
            CancellationToken token = default) { throw null; }

        public static bool Reconnect(
            bool requiresDateTime = false,
            int wifiAdapterId = 0,
            CancellationToken token = default) { throw null; }
    }
}

namespace System.Device.Wifi
{
    public enum WifiReconnectionKind
    {
        Automatic,
        Manual,
    }
}
