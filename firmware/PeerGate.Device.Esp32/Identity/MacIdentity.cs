using System;
using System.Net.NetworkInformation;
using PeerGate.Device.Platform;
using PeerGate.Protocol;

namespace PeerGate.Device.Esp32.Identity
{
    /// <summary>
    /// The default Device ID (F1): the factory MAC of the Wi-Fi station interface. ESP-IDF derives
    /// the station MAC from the base MAC burned into eFuse BLOCK0 at the Espressif factory, so
    /// software cannot change it and every chip has its own.
    /// </summary>
    /// <remarks>
    /// The ID is public: it names the device and never authenticates it; the Device Key does (F2).
    /// </remarks>
    public class MacIdentity : IDeviceIdentity
    {
        private readonly string _deviceId;
        private readonly string _groupId;

        public MacIdentity(string groupId)
        {
            _deviceId = DeviceIds.FromBytes(ReadStationMac());
            _groupId = groupId;
        }

        public string DeviceId
        {
            get { return _deviceId; }
        }

        public string GroupId
        {
            get { return _groupId; }
        }

        private static byte[] ReadStationMac()
        {
            NetworkInterface[] interfaces = NetworkInterface.GetAllNetworkInterfaces();
            for (int i = 0; i < interfaces.Length; i++)
            {
                if (interfaces[i].NetworkInterfaceType == NetworkInterfaceType.Wireless80211)
                {
                    byte[] mac = interfaces[i].PhysicalAddress;
                    if (mac != null && mac.Length == 6)
                    {
                        return mac;
                    }
                }
            }

            throw new NotSupportedException("no Wi-Fi station interface with a 6-byte MAC; is this an ESP32 firmware with Wi-Fi?");
        }
    }
}
