namespace PeerGate.Protocol
{
    /// <summary>What a trigger asks of the device.</summary>
    public static class TriggerKinds
    {
        /// <summary>Can you accept a connection now? Answer with a <see cref="TriggerReply"/> (F17).</summary>
        public const string StatusQuery = "status-query";

        /// <summary>A caller was let through: its ID, address, the one-time password and key, the callee's limits key (F18, F24). No reply.</summary>
        public const string SessionOffer = "session-offer";

        /// <summary>Send your own permit (and deny) list for the caller in PeerTerminalId (F15). Reply with Permits/Denies.</summary>
        public const string PermitQuery = "permit-query";

        /// <summary>End this session now (F26): SessionId names it. No reply; the device sends its end notice.</summary>
        public const string SessionEnd = "session-end";

        /// <summary>The session's limits changed (F24): SessionEndsAt, SessionByteLimit. No reply.</summary>
        public const string SessionLimits = "session-limits";
    }

    /// <summary>
    /// One entry of the device's trigger queue. Flat on purpose (nanoFramework.Json has no
    /// polymorphism): the fields a kind does not use are empty.
    /// </summary>
    public class Trigger
    {
        /// <summary>Per-device sequence number, increasing; the device handles each number once.</summary>
        public long Seq { get; set; }

        /// <summary>One of <see cref="TriggerKinds"/>.</summary>
        public string Kind { get; set; }

        /// <summary>Unix seconds.</summary>
        public long CreatedAt { get; set; }

        // session-offer
        public string SessionId { get; set; }
        public string PeerTerminalId { get; set; }
        public string PeerLocalIp { get; set; }
        public int PeerLocalPort { get; set; }
        public string PeerObservedIp { get; set; }
        public int PeerObservedPort { get; set; }

        /// <summary>One-time password, Base64 of 16 random bytes.</summary>
        public string Password { get; set; }

        /// <summary>256-bit session key, Base64.</summary>
        public string Key { get; set; }

        /// <summary>Unix seconds after which the offer (or the question) is void.</summary>
        public long ExpiresAt { get; set; }

        // session-offer, session-limits
        public long SessionEndsAt { get; set; }
        public long SessionByteLimit { get; set; }

        // permit-query: the caller asking, so the device can decide with its own list
        public string PeerName { get; set; }
        public string[] PeerGroups { get; set; }

        // session-offer: the callee's own limits key, Base64 of 32 random bytes (F24). Limits frames
        // from the caller are applied only with a tag under this key; the caller never learns it.
        public string LimitsKey { get; set; }

        // session-offer: one of ConnectionPaths. For reverse the callee connects out to PeerObservedIp:PeerObservedPort.
        public string Path { get; set; }

        // session-offer, punched and relayed: the rendezvous endpoint and the callee's ticket (Base64 of
        // 32 random bytes; secret, never logged), as in ConnectionGrant.
        public string RendezvousHost { get; set; }
        public int RendezvousPort { get; set; }
        public string RendezvousTicket { get; set; }

        // session-offer: the connection password the caller supplied (F28, F30), null when none. Secret:
        // a callee configured with a connection password takes the offer only when it matches.
        public string DevicePassword { get; set; }
    }

    /// <summary>The answer to a long-poll: what is queued after the cursor the device sent.</summary>
    public class TriggerBatch
    {
        /// <summary>Oldest first; empty when the poll timed out.</summary>
        public Trigger[] Triggers { get; set; }
    }

    /// <summary>Accept/Busy and the load behind it (F17).</summary>
    public static class AcceptStatus
    {
        public const string Acceptable = "acceptable";
        public const string Busy = "busy";
    }

    /// <summary>Why a device is busy.</summary>
    public static class BusyReasons
    {
        public const string InSession = "in_session";
        public const string SessionLimit = "session_limit";
        public const string CpuLoad = "cpu_load";
        public const string LowHeap = "low_heap";
        public const string LowNativeMemory = "low_native_memory";
        public const string Forced = "forced";
    }

    /// <summary>The device's answer to a trigger that asks one, matched by <see cref="Seq"/>.</summary>
    public class TriggerReply
    {
        public long Seq { get; set; }

        /// <summary>One of <see cref="AcceptStatus"/>.</summary>
        public string Status { get; set; }

        /// <summary>One of <see cref="BusyReasons"/> when busy.</summary>
        public string Reason { get; set; }

        /// <summary>When busy: seconds after which a caller may try again.</summary>
        public int RetryAfterSeconds { get; set; }

        public int CpuLoadPercent { get; set; }
        public int FreeHeapBytes { get; set; }
        public int LargestFreeBlockBytes { get; set; }
        public int ActiveSessions { get; set; }
        public int SessionLimit { get; set; }

        /// <summary>permit-query: the device's own permit list (F15).</summary>
        public PermitEntry[] Permits { get; set; }

        /// <summary>permit-query: entries refused whatever the permit list says; a deny wins (F15).</summary>
        public PermitEntry[] Denies { get; set; }
    }

    /// <summary>
    /// The answer (200) to an Acceptable reply to a status query once the session is issued: its
    /// session-offer trigger, the same one the queue holds (F18). The device takes it from here and
    /// needs no poll for it; the queue keeps it until the device's cursor passes its
    /// <see cref="Trigger.Seq"/> (or a poll hands it out), so an answer lost on the way loses nothing.
    /// A reply that leads to no session is answered 204 with no body, as every reply is by a server that
    /// does not send offers this way.
    /// </summary>
    public class TriggerReplyAnswer
    {
        public Trigger Offer { get; set; }
    }
}
