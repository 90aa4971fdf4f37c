namespace PeerGate.Device
{
    /// <summary>Where the device is on its way from power-on to "registered" (F9).</summary>
    public enum DeviceState
    {
        /// <summary>Waiting for Wi-Fi/DHCP to give the device an address.</summary>
        WaitingForNetwork,

        /// <summary>Finding the authentication server: the cached one or a walk of the allocation chain.</summary>
        Locating,

        /// <summary>Challenge-response with the authentication server.</summary>
        Authenticating,

        /// <summary>Presenting the certificate to the registry.</summary>
        Registering,

        /// <summary>Registered; re-registers when due or when the address changes.</summary>
        Registered,

        /// <summary>A step failed; waiting a jittered, growing delay before trying again.</summary>
        BackingOff,

        /// <summary>The run loop has ended.</summary>
        Stopped,
    }

    /// <summary>Raised when <see cref="DeviceAgent.State"/> changes (non-generic, for nanoFramework 1.x).</summary>
    public delegate void DeviceEventHandler(DeviceAgent sender, DeviceState state);
}
