using System;
using System.Threading;
using PeerGate.Device.Platform;
using PeerGate.Protocol;

namespace PeerGate.Device.Load
{
    /// <summary>
    /// The Accept/Busy answer (F17): the platform's load readings and the count of running peer
    /// sessions, held against the thresholds in <see cref="DeviceConfig"/>. The first limit that is
    /// exceeded names the reason, in the order of <see cref="Assess"/>.
    /// </summary>
    /// <remarks>Safe from several threads: sessions are counted with <see cref="Interlocked"/>.</remarks>
    public class LoadMonitor
    {
        /// <summary>A session usually ends within this; a caller that waits longer finds the device free.</summary>
        public const int SessionRetryAfterSeconds = 30;

        /// <summary>Memory comes back once the last session's buffers are collected.</summary>
        public const int MemoryRetryAfterSeconds = 10;

        /// <summary>CPU load is measured over a few seconds and changes as fast.</summary>
        public const int CpuRetryAfterSeconds = 5;

        /// <summary>Forced Busy (tests, maintenance) lasts as long as someone wants it.</summary>
        public const int ForcedRetryAfterSeconds = 60;

        private readonly ILoadSource _source;
        private readonly DeviceConfig _config;
        private int _activeSessions;

        public LoadMonitor(ILoadSource source, DeviceConfig config)
        {
            _source = source ?? throw new ArgumentNullException(nameof(source));
            _config = config ?? throw new ArgumentNullException(nameof(config));
        }

        public int ActiveSessions
        {
            get { return _activeSessions; }
        }

        /// <summary>A peer session began; pair every call with <see cref="SessionEnded"/>.</summary>
        public void SessionStarted()
        {
            Interlocked.Increment(ref _activeSessions);
        }

        public void SessionEnded()
        {
            if (Interlocked.Decrement(ref _activeSessions) < 0)
            {
                // An unpaired end must not make room for more sessions than the limit.
                Interlocked.Exchange(ref _activeSessions, 0);
            }
        }

        /// <summary>Reads the load once and answers a status query with sequence number <paramref name="seq"/>.</summary>
        public TriggerReply Assess(long seq)
        {
            TriggerReply reply = new TriggerReply();
            reply.Seq = seq;
            // Readings stay inside the ranges the server accepts, whatever a platform reports.
            reply.CpuLoadPercent = FieldRanges.Clamp(_source.CpuLoadPercent, 0, FieldRanges.MaxPercent);
            reply.FreeHeapBytes = FieldRanges.Clamp(_source.FreeHeapBytes, 0, FieldRanges.MaxMemoryBytes);
            reply.LargestFreeBlockBytes = FieldRanges.Clamp(_source.LargestFreeBlockBytes, 0, FieldRanges.MaxMemoryBytes);
            reply.ActiveSessions = FieldRanges.Clamp(_activeSessions, 0, FieldRanges.MaxSessionCount);
            reply.SessionLimit = FieldRanges.Clamp(_config.SessionLimit, 0, FieldRanges.MaxSessionCount);

            if (_source.ForcedBusy)
            {
                return Busy(reply, BusyReasons.Forced, ForcedRetryAfterSeconds);
            }

            if (reply.ActiveSessions >= reply.SessionLimit)
            {
                // With a limit of one, "busy" simply means "in a session".
                string reason = reply.SessionLimit == 1 ? BusyReasons.InSession : BusyReasons.SessionLimit;
                return Busy(reply, reason, SessionRetryAfterSeconds);
            }

            if (reply.LargestFreeBlockBytes < _config.MinNativeBlockBytes)
            {
                return Busy(reply, BusyReasons.LowNativeMemory, MemoryRetryAfterSeconds);
            }

            if (reply.FreeHeapBytes < _config.MinFreeHeapBytes)
            {
                return Busy(reply, BusyReasons.LowHeap, MemoryRetryAfterSeconds);
            }

            if (reply.CpuLoadPercent > _config.MaxCpuLoadPercent)
            {
                return Busy(reply, BusyReasons.CpuLoad, CpuRetryAfterSeconds);
            }

            reply.Status = AcceptStatus.Acceptable;
            return reply;
        }

        private static TriggerReply Busy(TriggerReply reply, string reason, int retryAfterSeconds)
        {
            reply.Status = AcceptStatus.Busy;
            reply.Reason = reason;
            reply.RetryAfterSeconds = retryAfterSeconds;
            return reply;
        }
    }
}
