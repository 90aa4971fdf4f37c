namespace PeerGate.Protocol
{
    /// <summary>
    /// The range of every number a device sends, inclusive at both ends. The server refuses a value
    /// outside its range with 400 invalid_field before it stores anything; a device keeps its values
    /// inside them. The maxima leave room for arithmetic: two of them added never overflow a long.
    /// </summary>
    public static class FieldRanges
    {
        /// <summary>TCP ports: <see cref="RegistrationRequest.LocalPort"/>, <see cref="ConnectionRequest.CallerPort"/> (0: none).</summary>
        public const int MaxPort = 65535;

        /// <summary>Allocation levels: <see cref="AllocationRequest.Level"/> is 1 to this.</summary>
        public const int MaxAllocationLevel = 4;

        /// <summary>
        /// Seconds of a session's lifetime: <see cref="ConnectionRequest.TimeLimitSeconds"/>,
        /// <see cref="ExtensionRequest.AddSeconds"/>, 0 to this (10 years). No policy grants more in total.
        /// </summary>
        public const int MaxSessionSeconds = 315360000;

        /// <summary>
        /// Bytes of a session: <see cref="ConnectionRequest.ByteLimit"/>, <see cref="ExtensionRequest.AddBytes"/>,
        /// <see cref="SessionEndNotice.BytesSent"/> and <see cref="SessionEndNotice.BytesReceived"/>, 0 to this (10^15, 1 PB).
        /// No session's byte limit grows past it, so a device asking one more lifetime stays inside.
        /// </summary>
        public const long MaxSessionBytes = 1000000000000000;

        /// <summary>Seconds a busy callee asks callers to wait: <see cref="TriggerReply.RetryAfterSeconds"/>, 0 to this (a day).</summary>
        public const int MaxRetryAfterSeconds = 86400;

        /// <summary><see cref="TriggerReply.CpuLoadPercent"/>: 0 to this.</summary>
        public const int MaxPercent = 100;

        /// <summary>
        /// Memory readings: <see cref="TriggerReply.FreeHeapBytes"/>, <see cref="TriggerReply.LargestFreeBlockBytes"/>,
        /// 0 to this (the largest int; any reading a board can make).
        /// </summary>
        public const int MaxMemoryBytes = 2147483647;

        /// <summary>Session counts: <see cref="TriggerReply.ActiveSessions"/>, <see cref="TriggerReply.SessionLimit"/>, 0 to this.</summary>
        public const int MaxSessionCount = 10000;

        /// <summary>
        /// Trigger sequence numbers: <see cref="TriggerReply.Seq"/> is 1 to this; the poll cursor (after=N) is 0 to
        /// this. Numbers start at 1 and rise by one per trigger, so none ever comes near it.
        /// </summary>
        public const long MaxTriggerSeq = 9007199254740991;

        /// <summary>The poll's wait=S: 1 to this (seconds); the server answers by its own poll timeout when that is shorter.</summary>
        public const int MaxPollWaitSeconds = 3600;

        /// <summary><paramref name="value"/> brought into [<paramref name="min"/>, <paramref name="max"/>], for a device's readings before it sends them.</summary>
        public static int Clamp(int value, int min, int max)
        {
            if (value < min)
            {
                return min;
            }

            return value > max ? max : value;
        }
    }
}
