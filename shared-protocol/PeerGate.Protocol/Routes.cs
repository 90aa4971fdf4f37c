namespace PeerGate.Protocol
{
    /// <summary>HTTP routes of API version 1, shared so device and server cannot drift apart.</summary>
    public static class Routes
    {
        /// <summary>GET: the first hop of the allocation chain (<see cref="AllocationHop"/>).</summary>
        public const string ServiceEntry = "/v1/service/entry";

        /// <summary>POST <see cref="DelegatedAllocationRequest"/>: the service server walks the chain for the device (F8).</summary>
        public const string ServiceResolve = "/v1/service/resolve";

        /// <summary>POST <see cref="AllocationRequest"/>: one hop of the allocation chain (F6).</summary>
        public const string AllocationResolve = "/v1/allocation/resolve";

        /// <summary>POST <see cref="ChallengeRequest"/>: a fresh single-use nonce (F2).</summary>
        public const string AuthChallenge = "/v1/auth/challenge";

        /// <summary>POST <see cref="ProofRequest"/>: the answer to a challenge; returns a certificate (F4, F5).</summary>
        public const string AuthProof = "/v1/auth/proof";

        /// <summary>GET: the issuer's public key (<see cref="IssuerKey"/>) for verifying certificates elsewhere.</summary>
        public const string AuthPublicKey = "/v1/auth/public-key";

        /// <summary>GET: serials revoked by this issuer (<see cref="RevocationList"/>).</summary>
        public const string AuthRevocations = "/v1/auth/revocations";

        /// <summary>POST <see cref="RegistrationRequest"/> with the certificate as bearer token (F10).</summary>
        public const string Registrations = "/v1/registry/registrations";

        /// <summary>GET Terminals + terminalId: a terminal's address, if it lets the asker see it (F11).</summary>
        public const string Terminals = "/v1/registry/terminals/";

        /// <summary>GET Groups + groupId + GroupMembersSuffix: the members of a group the asker may see (F12).</summary>
        public const string Groups = "/v1/registry/groups/";
        public const string GroupMembersSuffix = "/members";

        /// <summary>POST <see cref="MatchRequest"/>: an online terminal that fits (F13).</summary>
        public const string Match = "/v1/registry/match";
    
        /// <summary>GET own permit table; POST <see cref="PermitRequest"/>: Create/Add/Delete operations in one request (F14).</summary>
        public const string Permits = "/v1/permits";

        /// <summary>PUT <see cref="ConnectionPolicy"/>: e.g. one uniform denial for every stranger (F16).</summary>
        public const string PermitPolicy = "/v1/permits/policy";

        /// <summary>
        /// GET with query "after" (the last sequence number handled) and optionally "wait" (seconds, at
        /// most the server's poll timeout): long-poll for <see cref="TriggerBatch"/> (F21).
        /// </summary>
        public const string Triggers = "/v1/triggers";

        /// <summary>
        /// POST <see cref="TriggerReply"/>: the device's answer to a trigger that asks one (F17); 200 with a
        /// <see cref="TriggerReplyAnswer"/> when an Acceptable status reply led to a session, else 204.
        /// </summary>
        public const string TriggerReplies = "/v1/triggers/replies";

        /// <summary>POST <see cref="ConnectionRequest"/>: ask to connect to a callee; answers <see cref="ConnectionGrant"/> or a denial (F16, F18).</summary>
        public const string Connections = "/v1/connections";

        /// <summary>
        /// Sessions + sessionId + <see cref="SessionExtensionSuffix"/>: POST <see cref="ExtensionRequest"/>
        /// answers <see cref="SessionLimits"/> or extension_refused (F24).
        /// Sessions + sessionId + <see cref="SessionEndSuffix"/>: POST <see cref="SessionEndNotice"/> (F25).
        /// GET Sessions: the caller's own sessions.
        /// </summary>
        public const string Sessions = "/v1/sessions/";
        public const string SessionExtensionSuffix = "/extension";
        public const string SessionEndSuffix = "/end";
    }
}
