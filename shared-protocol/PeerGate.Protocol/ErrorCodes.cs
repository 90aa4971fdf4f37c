namespace PeerGate.Protocol
{
    /// <summary>
    /// Stable machine codes. The server puts them in the "code" member of every problem+json
    /// answer; devices branch on them. Never rename one: add a new code instead.
    /// </summary>
    public static class ErrorCodes
    {
        // Request shape (any endpoint).
        public const string MalformedJson = "malformed_json";
        public const string BodyTooLarge = "body_too_large";
        public const string MissingField = "missing_field";
        public const string InvalidField = "invalid_field";
        public const string UnsupportedMediaType = "unsupported_media_type";
        public const string UnsupportedVersion = "unsupported_version";
        public const string RouteNotFound = "route_not_found";
        public const string RateLimited = "rate_limited";
        public const string MethodNotAllowed = "method_not_allowed";

        // The server failed, not the request; retry later.
        public const string InternalError = "internal_error";

        // Authentication (F2-F5).
        public const string UnknownDevice = "unknown_device";
        public const string WrongKey = "wrong_key";
        public const string DeviceDisabled = "device_disabled";
        public const string NonceUnknown = "nonce_unknown";
        public const string NonceUsed = "nonce_used";
        public const string NonceExpired = "nonce_expired";
        public const string CertificateMissing = "certificate_missing";
        public const string CertificateInvalid = "certificate_invalid";
        public const string CertificateExpired = "certificate_expired";
        public const string CertificateRevoked = "certificate_revoked";

        // Allocation chain (F6-F8).
        public const string AllocationKeyUnknown = "allocation_key_unknown";
        public const string AllocationChainBroken = "allocation_chain_broken";
        public const string ServiceEntryMissing = "service_entry_missing";

        // Registry (F10-F13).
        public const string NotOwnTerminal = "not_own_terminal";
        public const string TerminalNotFound = "terminal_not_found";
        public const string GroupNotFound = "group_not_found";
        public const string NoMatch = "no_match";

        // Operator API.
        public const string AdminUnauthorized = "admin_unauthorized";
        public const string AlreadyExists = "already_exists";
        public const string NotFound = "not_found";
    }
}
