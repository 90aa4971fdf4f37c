namespace PeerGate.Protocol
{
    /// <summary>What a trigger asks of the device.</summary>
    public static class TriggerKinds
    {
        /// <summary>Can you accept a connection now? Answer with a <see cref="TriggerReply"/> (F17).</summary>
        public const string StatusQuery = "status-query";

        /// <summary>A caller was let through: its ID, address, the one-time password and key (F18). No reply.</summary>
        public const string SessionOffer = "session-offer";
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

        /// <summary>Unix seconds after which the offer is void.</summary>
        public long ExpiresAt { get; set; }
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
    }
}
