// Mirrors nanoframework/System.Net nanoFramework.System.Net/NetworkInformation/{NetworkInterface,NetworkInterfaceType}.cs
// (NuGet nanoFramework.System.Net 1.11.60). Public members the ESP32 application uses, plus neighbours.

namespace System.Net.NetworkInformation
{
    public class NetworkInterface
    {
        protected NetworkInterface(int interfaceIndex) { }

        public static bool GetIsNetworkAvailable() { throw null; }

        public static NetworkInterface[] GetAllNetworkInterfaces() { throw null; }

        public void EnableDhcp() { }

        public void EnableStaticIPv4(string ipv4Address, string ipv4SubnetMask, string ipv4GatewayAddress) { }

        public bool IsAutomaticDnsEnabled => throw null;

        public string IPv4Address => throw null;

        public string IPv4GatewayAddress => throw null;

        public string IPv4SubnetMask => throw null;

        public bool IsDhcpEnabled => throw null;

        public string[] IPv4DnsAddresses => throw null;

        public byte[] PhysicalAddress
        {
            get { throw null; }
            set { }
        }

        public NetworkInterfaceType NetworkInterfaceType => throw null;

        public uint SpecificConfigId
        {
            get { throw null; }
            set { }
        }
    }

    public enum NetworkInterfaceType
    {
        Unknown = 1,
        Ethernet = 6,
        Wireless80211 = 71,
        WirelessAP = 72,
    }
}
