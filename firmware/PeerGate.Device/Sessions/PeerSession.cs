using System;
using PeerGate.Device.Platform;
using PeerGate.Protocol;

namespace PeerGate.Device.Sessions
{
    /// <summary>
    /// One issued session as this side sees it (F23): its limits (an end time, a byte limit for both
    /// directions together, or both) and the application bytes counted each way. The channel reserves
    /// bytes here before it sends or delivers them, so no byte beyond the limit ever moves.
    /// </summary>
    /// <remarks>
    /// Reserving takes one lock and allocates nothing. The first end reason sticks; limits that change
    /// later (F24, F26) do not reopen an ended session.
    /// </remarks>
    public class PeerSession
    {
        /// <summary>An extension is asked for at this share of the lifetime, in percent (F24).</summary>
        public const int ExtensionThresholdPercent = 70;

        /// <summary>Longest wait at a limit for the answer to a pending extension request (about one HTTP timeout).</summary>
        public const int ExtensionAnswerWaitMillis = 15000;

        /// <summary>How often a wait at a limit looks again.</summary>
        public const int LimitPollMillis = 50;

        private readonly IClock _clock;
        private readonly object _gate = new object();
        private readonly System.Threading.ManualResetEvent _never = new System.Threading.ManualResetEvent(false);

        private long _endsAt;
        private long _byteLimit;
        private long _bytesSent;
        private long _bytesReceived;
        private string _endReason;
        private string _endDetail;
        private bool _extensionAsked;
        private bool _extensionPending;
        private bool _extensionRefused;
        private long _limitSince = -1;

        /// <param name="endsAt">Unix seconds; 0 for no time limit.</param>
        /// <param name="byteLimit">Both directions together; 0 for no byte limit.</param>
        public PeerSession(string sessionId, long endsAt, long byteLimit, IClock clock)
        {
            if (sessionId == null || sessionId.Length == 0)
            {
                throw new ArgumentException("a session ID is required", nameof(sessionId));
            }

            if (endsAt < 0 || byteLimit < 0)
            {
                throw new ArgumentOutOfRangeException(endsAt < 0 ? nameof(endsAt) : nameof(byteLimit));
            }

            _clock = clock ?? throw new ArgumentNullException(nameof(clock));
            SessionId = sessionId;
            StartedAt = clock.UtcNowSeconds;
            _endsAt = endsAt;
            _byteLimit = byteLimit;
        }

        public string SessionId { get; }

        /// <summary>
        /// How long this side waits at a limit for new limits it did not ask for itself (the callee: the
        /// caller's extension reaches it as a Limits frame or a session-limits trigger); 0 ends at once.
        /// </summary>
        public int LimitGraceMillis { get; set; }

        /// <summary>
        /// This side asks for extensions (F24): once the 70 % mark is crossed, a limit reached before the
        /// request was answered waits for the answer instead of ending the session.
        /// </summary>
        public bool AsksForExtensions { get; set; }

        /// <summary>Unix seconds when this side set the session up: the start of its lifetime.</summary>
        public long StartedAt { get; }

        /// <summary>Unix seconds; 0 for no time limit.</summary>
        public long EndsAt
        {
            get { lock (_gate) { return _endsAt; } }
        }

        /// <summary>0 for no byte limit.</summary>
        public long ByteLimit
        {
            get { lock (_gate) { return _byteLimit; } }
        }

        public long BytesSent
        {
            get { lock (_gate) { return _bytesSent; } }
        }

        public long BytesReceived
        {
            get { lock (_gate) { return _bytesReceived; } }
        }

        /// <summary>One of <see cref="SessionEndReasons"/> once ended; null while it runs.</summary>
        public string EndReason
        {
            get { lock (_gate) { return _endReason; } }
        }

        /// <summary>The error code when <see cref="EndReason"/> is error; otherwise null.</summary>
        public string EndDetail
        {
            get { lock (_gate) { return _endDetail; } }
        }

        /// <summary>True once ended by a reason, or once a limit is reached and no new limits can come (which then ends it).</summary>
        public bool IsOver
        {
            get
            {
                lock (_gate)
                {
                    return CheckLimits();
                }
            }
        }

        /// <summary>Milliseconds until the time limit, at most <paramref name="cap"/>; the cap when there is no time limit.</summary>
        public int MillisLeft(int cap)
        {
            long endsAt = EndsAt;
            if (endsAt == 0)
            {
                return cap;
            }

            long left = (endsAt - _clock.UtcNowSeconds) * 1000;
            return left <= 0 ? 0 : (left < cap ? (int)left : cap);
        }

        /// <summary>Up to <paramref name="count"/> bytes this side may send now; 0 when the session is over.</summary>
        /// <remarks>At a limit that may still be extended it waits (bounded) for the new limits first.</remarks>
        public int ReserveSend(int count)
        {
            return Reserve(count, true);
        }

        /// <summary>
        /// The 70 % mark was crossed and no extension has been asked for yet: the application should ask
        /// now (F24), before it moves more data.
        /// </summary>
        public bool ExtensionDue
        {
            get
            {
                lock (_gate)
                {
                    return _extensionPending && !_extensionAsked;
                }
            }
        }

        /// <summary>Up to <paramref name="count"/> received bytes this side may deliver; 0 when the session is over.</summary>
        public int ReserveReceive(int count)
        {
            return Reserve(count, false);
        }

        /// <summary>Ends the session with <paramref name="reason"/> unless it already ended; true when this call ended it.</summary>
        public bool End(string reason, string detail)
        {
            lock (_gate)
            {
                if (_endReason != null)
                {
                    return false;
                }

                // The peer may reach the limit first and say so; after a refused extension that limit is
                // the refusal's consequence.
                _endReason = _extensionRefused && IsLimit(reason) ? SessionEndReasons.ExtensionRefused : reason;
                _endDetail = detail;
                return true;
            }
        }

        /// <summary>New limits from the server or the peer (F24); ignored once ended or when they are not for this session.</summary>
        public bool Apply(SessionLimits limits)
        {
            if (limits == null || limits.SessionId != SessionId || limits.EndsAt < 0 || limits.ByteLimit < 0)
            {
                return false;
            }

            lock (_gate)
            {
                if (_endReason != null)
                {
                    return false;
                }

                _endsAt = limits.EndsAt;
                _byteLimit = limits.ByteLimit;
                _extensionAsked = false;
                _extensionPending = false;
                _extensionRefused = false;
                _limitSince = -1;
                return true;
            }
        }

        /// <summary>
        /// True once per crossing of 70 % of the time or byte lifetime while the session runs (F24); the
        /// next crossing comes only after new limits were applied.
        /// </summary>
        public bool TakeExtensionDue()
        {
            lock (_gate)
            {
                if (_extensionAsked || _endReason != null)
                {
                    return false;
                }

                if (!ThresholdCrossed())
                {
                    return false;
                }

                _extensionAsked = true;
                _extensionPending = true;
                return true;
            }
        }

        /// <summary>The server refused the extension: the session keeps its limits and ends at them as extension_refused.</summary>
        public void ExtensionRefused()
        {
            lock (_gate)
            {
                _extensionRefused = true;
                _extensionPending = false;

                // The refusal can come back after the limit already ended the session (the peer's Close
                // crossed the request); the notice, not yet sent, names the refusal.
                if (IsLimit(_endReason))
                {
                    _endReason = SessionEndReasons.ExtensionRefused;
                }
            }
        }

        /// <summary>The extension request got no answer: the session runs to its limit with that limit's reason.</summary>
        public void ExtensionUnanswered()
        {
            lock (_gate)
            {
                _extensionPending = false;
            }
        }

        private static bool IsLimit(string reason)
        {
            return reason == SessionEndReasons.ByteLimit || reason == SessionEndReasons.TimeLimit;
        }

        /// <summary>What this side reports when the session is over (F25).</summary>
        public SessionEndNotice ToEndNotice()
        {
            lock (_gate)
            {
                SessionEndNotice notice = new SessionEndNotice();
                notice.BytesSent = _bytesSent;
                notice.BytesReceived = _bytesReceived;
                notice.Reason = _endReason ?? SessionEndReasons.Completed;
                notice.Detail = _endDetail ?? string.Empty;
                return notice;
            }
        }

        private int Reserve(int count, bool send)
        {
            if (count <= 0)
            {
                // Nothing to move: never wait at a limit for it.
                return 0;
            }

            while (true)
            {
                lock (_gate)
                {
                    if (!CheckLimits())
                    {
                        int allowed = Allowed(count);
                        if (allowed > 0)
                        {
                            if (send)
                            {
                                _bytesSent += allowed;
                            }
                            else
                            {
                                _bytesReceived += allowed;
                            }

                            if (AsksForExtensions && !_extensionAsked && ThresholdCrossed())
                            {
                                // The request follows from the application's thread; a limit reached first waits for it.
                                _extensionPending = true;
                            }

                            return allowed;
                        }
                    }
                    else
                    {
                        return 0;
                    }
                }

                // At a limit that may still grow: look again shortly (the fake clock makes this free in tests).
                _clock.Sleep(LimitPollMillis, _never);
            }
        }

        /// <summary>Under the gate, with the session running: the bytes left of <paramref name="count"/>, 0 at a limit.</summary>
        private int Allowed(int count)
        {
            if (LimitReached() != null)
            {
                return 0;
            }

            if (_byteLimit == 0)
            {
                return count;
            }

            long used = _bytesSent + _bytesReceived;
            long left = _byteLimit - used;
            if (AsksForExtensions && !_extensionAsked)
            {
                // Stop at the 70 % mark, so the application asks for an extension there and not only
                // after one large frame has carried the session from below the mark to its limit.
                long threshold = ((_byteLimit * ExtensionThresholdPercent) + 99) / 100;
                if (used < threshold && threshold - used < left)
                {
                    left = threshold - used;
                }
            }

            return left < count ? (int)left : count;
        }

        private bool ThresholdCrossed()
        {
            bool bytesDue = _byteLimit > 0 && (_bytesSent + _bytesReceived) * 100 >= _byteLimit * ExtensionThresholdPercent;
            bool timeDue = _endsAt > StartedAt && (_clock.UtcNowSeconds - StartedAt) * 100 >= (_endsAt - StartedAt) * ExtensionThresholdPercent;
            return bytesDue || timeDue;
        }

        private string LimitReached()
        {
            if (_byteLimit > 0 && _bytesSent + _bytesReceived >= _byteLimit)
            {
                return SessionEndReasons.ByteLimit;
            }

            if (_endsAt > 0 && _clock.UtcNowSeconds >= _endsAt)
            {
                return SessionEndReasons.TimeLimit;
            }

            return null;
        }

        /// <summary>
        /// Under the gate: true when over. At a limit the session ends, unless new limits may still come
        /// (an extension of ours is pending, or the grace for the peer's is running).
        /// </summary>
        private bool CheckLimits()
        {
            if (_endReason != null)
            {
                return true;
            }

            string reached = LimitReached();
            if (reached == null)
            {
                _limitSince = -1;
                return false;
            }

            long now = _clock.UptimeMillis;
            if (_limitSince < 0)
            {
                _limitSince = now;
            }

            int wait = _extensionPending ? ExtensionAnswerWaitMillis : (_extensionRefused ? 0 : LimitGraceMillis);
            if (now - _limitSince < wait)
            {
                return false;
            }

            _endReason = _extensionRefused ? SessionEndReasons.ExtensionRefused : reached;
            return true;
        }
    }
}
