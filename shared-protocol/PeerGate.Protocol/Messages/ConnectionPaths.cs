namespace PeerGate.Protocol
{
    /// <summary>
    /// How the two devices of a session reach each other (F28-F30, F37). The server picks one per
    /// connection query, names it in the grant and in the callee's session offer, and records it in the
    /// connection-attempt log.
    /// </summary>
    public static class ConnectionPaths
    {
        /// <summary>The caller dials the callee's listener: nothing rewrites the callee's address, or it declared a port-forward.</summary>
        public const string Direct = "direct";

        /// <summary>The callee connects out to the caller's listener and plays the acceptor there (F30).</summary>
        public const string Reverse = "reverse";

        /// <summary>Both sides connect at once through their NAT mappings (F37).</summary>
        public const string Punched = "punched";

        /// <summary>Both sides connect out to a relay that forwards the channel's ciphertext (F37).</summary>
        public const string Relayed = "relayed";
    }
}
