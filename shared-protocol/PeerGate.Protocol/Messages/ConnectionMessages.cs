namespace PeerGate.Protocol
{
    /// <summary>A caller asks to connect to a callee (F16). The certificate travels as bearer token.</summary>
    public class ConnectionRequest
    {
        public string CalleeTerminalId { get; set; }

        /// <summary>The port the caller listens on for the callee, 0 when it only dials out.</summary>
        public int CallerPort { get; set; }
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
    }
}
