namespace PeerGate.Device.Registry
{
    /// <summary>What a registered device has to do next to stay reachable.</summary>
    public enum RegistrarAction
    {
        /// <summary>Nothing is due yet.</summary>
        Wait,

        /// <summary>RefreshAfter has passed or the local address changed: register again.</summary>
        Register,

        /// <summary>The certificate is near expiry: get a new one first.</summary>
        Reauthenticate,

        /// <summary>The interface has no address any more.</summary>
        NetworkLost,
    }
}
