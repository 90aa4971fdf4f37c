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

        // Permits (F14).
        public const string PermitInvalid = "permit_invalid";

        // Trigger channel (F21).
        public const string PollerSuperseded = "poller_superseded";
        public const string TriggerUnknown = "trigger_unknown";

        /// <summary>The poll's cursor is past every trigger this server issued (its queue was reset): poll again from 0.</summary>
        public const string CursorAhead = "cursor_ahead";

        // Connection query (F16-F18): the denials a caller can get.
        public const string PermissionDenied = "permission_denied";
        public const string CalleeNotFound = "callee_not_found";
        public const string CalleeNotConnected = "callee_not_connected";
        public const string CalleeBusy = "callee_busy";
        public const string CalleeUnreachable = "callee_unreachable";
        public const string SelfConnection = "self_connection";

        // Names and sessions (F22-F26).
        public const string NameTaken = "name_taken";
        public const string SessionNotFound = "session_not_found";
        public const string SessionEnded = "session_ended";
        public const string ExtensionRefused = "extension_refused";

        // Peer channel (F19-F20): why a peer closed the connection.
        public const string PeerRequestInvalid = "peer_request_invalid";
        public const string PeerRequestReplayed = "peer_request_replayed";
        public const string PeerPasswordWrong = "peer_password_wrong";
        public const string FrameMalformed = "frame_malformed";
        public const string FrameTampered = "frame_tampered";
        public const string FrameOutOfOrder = "frame_out_of_order";
        public const string PeerTimeout = "peer_timeout";

        // Operator API.
        public const string AdminUnauthorized = "admin_unauthorized";
        public const string AlreadyExists = "already_exists";
        public const string NotFound = "not_found";

        // Authentication (F2, F3): the one answer for a proof that does not authenticate the device
        // here, whether the device is unknown, its group is unknown or the key is wrong, so that the
        // answer never tells who is enrolled. The operator sees the reason in the log and metrics.
        public const string AuthenticationFailed = "authentication_failed";

        // Server faults: the database cannot be used now (503 with Retry-After; nothing was stored).
        public const string StorageFull = "storage_full";
        public const string StorageReadOnly = "storage_read_only";
        public const string StorageBusy = "storage_busy";
        public const string StorageUnavailable = "storage_unavailable";

        // Requests the HTTP server refuses before reading them: not HTTP/1.1 as it must be.
        public const string BadRequest = "bad_request";
        public const string UriTooLong = "uri_too_long";
        public const string HeadersTooLarge = "headers_too_large";
        public const string HttpVersionNotSupported = "http_version_not_supported";
        public const string RequestTimeout = "request_timeout";

        // Bounds: what one device can make the server keep (queues, rows, write rates).

        /// <summary>
        /// 503: the other device's trigger queue holds as many undelivered triggers as it may; nothing was
        /// stored or announced. Try again once that device has caught up.
        /// </summary>
        public const string TriggerQueueFull = "trigger_queue_full";

        // Device names bound to a device (F22).

        /// <summary>The name is not this device's and it may not claim it: self-claim is off, or the device holds another name.</summary>
        public const string NameNotBound = "name_not_bound";

        // Transport: secrets and certificates travel over TLS only.

        /// <summary>
        /// 403: the request came over plain HTTP from another host; this server hands out session keys,
        /// one-time passwords and certificates over TLS only. Nothing was read or stored. Use https://.
        /// </summary>
        public const string TlsRequired = "tls_required";

        /// <summary>401: the certificate's IssuedAt lies further in the future than the allowed clock skew.</summary>
        public const string CertificateNotYetValid = "certificate_not_yet_valid";

        // Trusted issuers: a Terminal ID belongs to one issuer's device.

        /// <summary>
        /// 403: the certificate's Terminal ID belongs at this registry to another issuer (or another device
        /// of its issuer); nothing was read or changed. A misbehaving or impersonated issuer, never a device fault.
        /// </summary>
        public const string TerminalIssuerMismatch = "terminal_issuer_mismatch";

        // Group enrollment: factory allowlists (F3).

        /// <summary>
        /// 409: adding these Device IDs would take the group's allowlist past its maximum
        /// (10000 entries); nothing was added. Remove entries, or split the factory's batches into groups.
        /// </summary>
        public const string AllowlistFull = "allowlist_full";

        // Connection paths and reverse connect (F28-F30, F37).

        /// <summary>
        /// Local (the caller's dial): the grant named the reverse path and no reverse connection from the
        /// callee verified within PeerDialer.ReverseWaitMillis (10 s). The callee could not reach the
        /// caller's listener, or refused the offer (a wrong connection password).
        /// </summary>
        public const string ReverseConnectTimeout = "reverse_connect_timeout";

        // Operator dashboard (F33).

        /// <summary>
        /// 401: a dashboard request without a live dashboard session cookie (log in with the operator token
        /// first); a device certificate or the operator token as a bearer header opens no dashboard route.
        /// </summary>
        public const string DashboardUnauthorized = "dashboard_unauthorized";

        /// <summary>403: a state-changing dashboard request without its session's CSRF token (or a wrong one); nothing changed.</summary>
        public const string CsrfInvalid = "csrf_invalid";
    }
}
