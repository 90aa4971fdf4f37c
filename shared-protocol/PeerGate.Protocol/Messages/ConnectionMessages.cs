namespace PeerGate.Protocol
{
    /// <summary>A caller asks to connect to a callee (F16). The certificate travels as bearer token.</summary>
    public class ConnectionRequest
    {
        /// <summary>The callee by Terminal ID; give this or <see cref="CalleeName"/>.</summary>
        public string CalleeTerminalId { get; set; }

        /// <summary>The callee by device name (F22); give this or <see cref="CalleeTerminalId"/>.</summary>
        public string CalleeName { get; set; }

        /// <summary>The port the caller listens on for the callee, 0 when it only dials out.</summary>
        public int CallerPort { get; set; }

        /// <summary>Requested session lifetime in seconds (F23); 0 for the server's default.</summary>
        public int TimeLimitSeconds { get; set; }

        /// <summary>Requested maximum data volume in bytes, both directions together (F23); 0 for none.</summary>
        public long ByteLimit { get; set; }

        /// <summary>
        /// The callee's own connection password (F28), for a callee configured with one; null or empty
        /// otherwise. Secret: the server forwards it only inside the callee's session offer and never stores
        /// or logs it elsewhere.
        /// </summary>
        public string DevicePassword { get; set; }
    }

    /// <summary>
    /// The connection was allowed: where the callee is, and the one-time password and key that the
    /// callee got too (F18). Denials are problem+json with a code from ErrorCodes.
    /// </summary>
    public class ConnectionGrant
    {
        public string SessionId { get; set; }
        public string CalleeTerminalId { get; set; }
        public string CalleeLocalIp { get; set; }
        public int CalleeLocalPort { get; set; }
        public string CalleeObservedIp { get; set; }
        public int CalleeObservedPort { get; set; }

        /// <summary>One-time password, Base64 of 16 random bytes.</summary>
        public string Password { get; set; }

        /// <summary>256-bit session key, Base64.</summary>
        public string Key { get; set; }

        /// <summary>Unix seconds after which the callee refuses the REQUEST.</summary>
        public long ExpiresAt { get; set; }

        /// <summary>Unix seconds at which the session ends (F23).</summary>
        public long SessionEndsAt { get; set; }

        /// <summary>Bytes (both directions together) after which the session ends; 0 for no byte limit (F23).</summary>
        public long SessionByteLimit { get; set; }

        /// <summary>
        /// The caller's own limits key, Base64 of 32 random bytes (F24): Limits frames from the callee are
        /// applied only with a tag under this key (LimitsTag). The callee never learns it.
        /// </summary>
        public string LimitsKey { get; set; }

        /// <summary>
        /// One of <see cref="ConnectionPaths"/>: direct (dial the callee's addresses), reverse (the callee
        /// connects to the caller's listener at the port the request named), punched (punch through both
        /// NATs at the rendezvous endpoint, the relay with the same ticket as fallback) or relayed (the relay only).
        /// </summary>
        public string Path { get; set; }

        /// <summary>punched and relayed: the rendezvous endpoint's host (address or name its TLS certificate carries).</summary>
        public string RendezvousHost { get; set; }

        /// <summary>punched and relayed: the rendezvous endpoint's TCP port.</summary>
        public int RendezvousPort { get; set; }

        /// <summary>punched and relayed: the caller's ticket, Base64 of 32 random bytes. Secret: never logged.</summary>
        public string RendezvousTicket { get; set; }
    }

    /// <summary>Why a session ended (F25, F26).</summary>
    public static class SessionEndReasons
    {
        /// <summary>All data was transferred.</summary>
        public const string Completed = "completed";

        public const string TimeLimit = "time_limit";
        public const string ByteLimit = "byte_limit";

        /// <summary>An extension was refused and the limit was then reached.</summary>
        public const string ExtensionRefused = "extension_refused";

        /// <summary>Ended by the operator or by policy (F26).</summary>
        public const string Terminated = "terminated";

        /// <summary>The peer closed or vanished.</summary>
        public const string PeerLost = "peer_lost";

        /// <summary>A frame or handshake failure; the notice's Detail has the code.</summary>
        public const string Error = "error";
    }

    /// <summary>A session's limits as the server last set them (F23, F24).</summary>
    public class SessionLimits
    {
        public string SessionId { get; set; }

        /// <summary>Unix seconds.</summary>
        public long EndsAt { get; set; }

        /// <summary>0 for no byte limit.</summary>
        public long ByteLimit { get; set; }

        /// <summary>
        /// In the answer to an extension only: the server's LimitsTag on these limits under the OTHER
        /// side's limits key, Base64 of 32 bytes, which the requester forwards in its Limits frame (F24).
        /// </summary>
        public string PeerLimitsTag { get; set; }
    }

    /// <summary>A device asks for more time or bytes at 70 % of the lifetime (F24).</summary>
    public class ExtensionRequest
    {
        public int AddSeconds { get; set; }
        public long AddBytes { get; set; }
    }

    /// <summary>One side reports the end of a session (F25).</summary>
    public class SessionEndNotice
    {
        public long BytesSent { get; set; }
        public long BytesReceived { get; set; }

        /// <summary>One of <see cref="SessionEndReasons"/>.</summary>
        public string Reason { get; set; }

        /// <summary>An ErrorCodes value when Reason is error; otherwise empty.</summary>
        public string Detail { get; set; }
    }

    /// <summary>States of a session record.</summary>
    public static class SessionStates
    {
        public const string Active = "active";
        public const string Ended = "ended";
        public const string Expired = "expired";
        public const string Terminated = "terminated";
    }

    /// <summary>A session as the server records it.</summary>
    public class SessionInfo
    {
        public string SessionId { get; set; }
        public string CallerTerminalId { get; set; }
        public string CalleeTerminalId { get; set; }

        /// <summary>One of <see cref="SessionStates"/>.</summary>
        public string State { get; set; }

        /// <summary>Unix seconds.</summary>
        public long StartedAt { get; set; }

        /// <summary>Unix seconds.</summary>
        public long EndsAt { get; set; }

        public long ByteLimit { get; set; }

        /// <summary>"caller", "callee", "operator" or "expiry"; empty while active.</summary>
        public string EndedBy { get; set; }
    }

    /// <summary>Sessions a device is part of.</summary>
    public class SessionList
    {
        public SessionInfo[] Sessions { get; set; }
    }
}
