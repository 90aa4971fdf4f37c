namespace PeerGate.Protocol
{
    /// <summary>Roles a hop of the allocation chain can point at.</summary>
    public static class HopRoles
    {
        public const string Allocation = "allocation";
        public const string Authentication = "authentication";
    }

    /// <summary>
    /// Where to go next in the allocation chain: another allocation server (at <see cref="Level"/>)
    /// or, at the end of the chain, the authentication server.
    /// </summary>
    public class AllocationHop
    {
        /// <summary>One of <see cref="HopRoles"/>.</summary>
        public string Role { get; set; }

        /// <summary>Base URL of the next server, e.g. "https://alloc2.example:8443".</summary>
        public string Url { get; set; }

        /// <summary>Level (1-4) the next allocation server answers for; 0 when <see cref="Role"/> is authentication.</summary>
        public int Level { get; set; }
    }

    /// <summary>Asks an allocation server of <see cref="Level"/> where a device with <see cref="Key"/> goes next.</summary>
    public class AllocationRequest
    {
        public int Level { get; set; }

        /// <summary>The device's allocation key for this level (e.g. manufacturer at level 1, model at level 2).</summary>
        public string Key { get; set; }
    }

    /// <summary>Asks the service server to walk the whole chain on the device's behalf (F8).</summary>
    public class DelegatedAllocationRequest
    {
        /// <summary>The device's allocation keys, level 1 first (1 to 4 of them).</summary>
        public string[] Keys { get; set; }
    }
}
