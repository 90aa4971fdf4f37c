using System;
using PeerGate.Device.Platform;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Sessions
{
    /// <summary>
    /// One issued session as this side sees it (F23): its limits (an end time, a byte limit for both
    /// directions together, or both) and the application bytes counted each way. The channel reserves
    /// bytes here before it sends or delivers them, so no byte beyond the limit ever moves.
    /// </summary>
    /// <remarks>
    /// <para>Both sides count both directions, but each sees the other's bytes only when they arrive. A
    /// sender whose peer answers what it sends (an echo) therefore reserves the answer with the send
    /// (<see cref="ReserveSend"/> with reserveReply): the peer's answer then always fits, both sides
    /// reach the limit on the same bytes, and nothing either side sent is refused by the other.</para>
    /// <para>Only sending stops at the end time or waits at a limit for new limits; received bytes are
    /// delivered while they fit the byte limit, also after the end, since the peer sent them before it
    /// heard of it (the channel bounds how long). Reserving takes one lock and allocates nothing. The
    /// first end reason sticks; limits that change later (F24, F26) do not reopen an ended session, and
    /// limits only grow (a late copy of older limits changes nothing).</para>
    /// </remarks>
    public class PeerSession
    {
        /// <summary>An extension is asked for at this share of the lifetime, in percent (F24).</summary>
        public const int ExtensionThresholdPercent = 70;

        /// <summary>Longest wait at a limit for the answer to a pending extension request (about one HTTP timeout).</summary>
        public const int ExtensionAnswerWaitMillis = 15000;

        /// <summary>How often a wait at a limit looks again.</summary>
        public const int LimitPollMillis = 50;

        /// <summary><see cref="ApplyFromPeer"/>: the server's limits, applied (a limit grew).</summary>
        public const int PeerLimitsApplied = 1;

        /// <summary><see cref="ApplyFromPeer"/>: the server's limits, but nothing grew (a copy already heard) or the session is over.</summary>
        public const int PeerLimitsUnchanged = 0;

        /// <summary><see cref="ApplyFromPeer"/>: no valid server tag (or no limits key): nothing applied.</summary>
        public const int PeerLimitsRefused = -1;

        private readonly IClock _clock;
        private readonly object _gate = new object();
        private readonly byte[] _limitsKey;

        private long _endsAt;
        private long _byteLimit;
        private long _bytesSent;
        private long _bytesReceived;
        private long _replyReserved;
        private string _endReason;
        private string _endDetail;
        private bool _extensionAsked;
        private bool _extensionPending;
        private bool _extensionRefused;
        private long _limitSince = -1;

        /// <param name="endsAt">Unix seconds; 0 for no time limit.</param>
        /// <param name="byteLimit">Both directions together; 0 for no byte limit.</param>
        public PeerSession(string sessionId, long endsAt, long byteLimit, IClock clock)
            : this(sessionId, endsAt, byteLimit, clock, null)
        {
        }

        /// <param name="limitsKey">
        /// This side's own limits key from the server (32 bytes; F24), kept by the session to check limits
        /// the peer forwards and zeroed by <see cref="End"/>, which the channel calls when it closes; null:
        /// no limits from the peer are ever applied.
        /// </param>
        public PeerSession(string sessionId, long endsAt, long byteLimit, IClock clock, byte[] limitsKey)
        {
            if (sessionId == null || sessionId.Length == 0)
            {
                throw new ArgumentException("a session ID is required", nameof(sessionId));
            }

            if (endsAt < 0 || byteLimit < 0)
            {
                throw new ArgumentOutOfRangeException(endsAt < 0 ? nameof(endsAt) : nameof(byteLimit));
            }

            if (limitsKey != null && limitsKey.Length != LimitsTag.KeyLength)
            {
                throw new ArgumentException("a limits key is 32 bytes", nameof(limitsKey));
            }

            _clock = clock ?? throw new ArgumentNullException(nameof(clock));
            _limitsKey = limitsKey;
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

        /// <summary>Bytes of the byte limit set aside for the peer's answer to what this side sent and not yet received.</summary>
        public long ReplyReserved
        {
            get { lock (_gate) { return _replyReserved; } }
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
                    return CheckLimits(1);
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

        /// <summary>
        /// Up to <paramref name="count"/> bytes this side may send now; 0 when the session is over; -1 at a
        /// limit that new limits may still lift (a pending extension of ours, the grace for the peer's):
        /// look again after <see cref="LimitPollMillis"/>, holding no lock the new limits need.
        /// </summary>
        /// <param name="reserveReply">
        /// The peer answers every byte with one (an echo): room for the answer is reserved too, so the
        /// send takes two bytes of the limit per byte and the answer is always delivered.
        /// </param>
        public int ReserveSend(int count, bool reserveReply)
        {
            if (count <= 0)
            {
                // Nothing to move: never wait at a limit for it.
                return 0;
            }

            lock (_gate)
            {
                if (CheckLimits(reserveReply ? 2 : 1))
                {
                    return 0;
                }

                int allowed = AllowedSend(count, reserveReply);
                if (allowed <= 0)
                {
                    return -1;
                }

                _bytesSent += allowed;
                if (reserveReply)
                {
                    _replyReserved += allowed;
                }

                MarkThreshold();
                return allowed;
            }
        }

        /// <summary>Gives back a reservation whose bytes never left (the connection failed while writing them).</summary>
        public void ReturnSend(int count, bool reserveReply)
        {
            lock (_gate)
            {
                _bytesSent -= count;
                if (reserveReply)
                {
                    _replyReserved -= count < _replyReserved ? count : _replyReserved;
                }
            }
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

        /// <summary>
        /// Up to <paramref name="count"/> received bytes this side may deliver: as many as fit the byte
        /// limit (what this side reserved for the answer first), also after the end. Fewer than asked means
        /// the peer went past the limit: the rest is never delivered and the session ends at it.
        /// </summary>
        public int ReserveReceive(int count)
        {
            if (count <= 0)
            {
                return 0;
            }

            lock (_gate)
            {
                int allowed = count;
                if (_byteLimit > 0)
                {
                    long room = _byteLimit - _bytesSent - _bytesReceived;
                    if (room < count)
                    {
                        allowed = room <= 0 ? 0 : (int)room;
                        if (_endReason == null)
                        {
                            _endReason = _extensionRefused ? SessionEndReasons.ExtensionRefused : SessionEndReasons.ByteLimit;
                        }
                    }
                }

                _bytesReceived += allowed;
                _replyReserved -= allowed < _replyReserved ? allowed : _replyReserved;
                if (_endReason == null)
                {
                    MarkThreshold();
                }

                return allowed;
            }
        }

        /// <summary>Ends the session with <paramref name="reason"/> unless it already ended; true when this call ended it.</summary>
        public bool End(string reason, string detail)
        {
            lock (_gate)
            {
                // However it ended, the limits key is no longer needed (the channel ends every session here when it closes).
                WipeLimitsKey();
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

        /// <summary>
        /// New limits from the server (F24): true when a limit grew. Ignored once ended, when not for this
        /// session, and when no limit grows: the same grant reaches the callee twice (Limits frame and
        /// trigger) in either order, and a late older one must not take bytes back. A limit of 0 (none)
        /// stays none. Only for limits that came from the server itself (its answer, a trigger); limits
        /// the peer forwards go through <see cref="ApplyFromPeer"/>.
        /// </summary>
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

                long endsAt = _endsAt != 0 && limits.EndsAt > _endsAt ? limits.EndsAt : _endsAt;
                long byteLimit = _byteLimit != 0 && limits.ByteLimit > _byteLimit ? limits.ByteLimit : _byteLimit;
                if (endsAt == _endsAt && byteLimit == _byteLimit)
                {
                    return false;
                }

                _endsAt = endsAt;
                _byteLimit = byteLimit;
                _extensionAsked = false;
                _extensionPending = false;
                _extensionRefused = false;
                _limitSince = -1;
                return true;
            }
        }

        /// <summary>
        /// Limits the peer forwarded in a Limits frame (F24): applied as <see cref="Apply"/> only when
        /// <paramref name="tag"/> (32 bytes at <paramref name="offset"/>) is the server's LimitsTag on them
        /// under this side's limits key, compared in fixed time. The peer's word alone changes no limit.
        /// Returns <see cref="PeerLimitsApplied"/>, <see cref="PeerLimitsUnchanged"/> or <see cref="PeerLimitsRefused"/>.
        /// </summary>
        public int ApplyFromPeer(IPeerCrypto crypto, long endsAt, long byteLimit, byte[] tag, int offset)
        {
            if (crypto == null)
            {
                throw new ArgumentNullException(nameof(crypto));
            }

            lock (_gate)
            {
                if (_endReason != null)
                {
                    // The key is gone with the session, and nothing changes an ended session anyway.
                    return PeerLimitsUnchanged;
                }

                if (endsAt < 0 || byteLimit < 0 || !LimitsTag.Verify(crypto, _limitsKey, SessionId, endsAt, byteLimit, tag, offset))
                {
                    return PeerLimitsRefused;
                }
            }

            SessionLimits limits = new SessionLimits();
            limits.SessionId = SessionId;
            limits.EndsAt = endsAt;
            limits.ByteLimit = byteLimit;
            return Apply(limits) ? PeerLimitsApplied : PeerLimitsUnchanged;
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

        /// <summary>Under the gate, once ended: the limits key is no longer needed.</summary>
        private void WipeLimitsKey()
        {
            if (_limitsKey != null)
            {
                Array.Clear(_limitsKey, 0, _limitsKey.Length);
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

        /// <summary>Under the gate: once the 70 % mark is crossed by a side that asks, a limit reached first waits for the request.</summary>
        private void MarkThreshold()
        {
            if (AsksForExtensions && !_extensionAsked && ThresholdCrossed())
            {
                // The request follows from the application's thread.
                _extensionPending = true;
            }
        }

        /// <summary>Under the gate: every byte of the limit taken or promised (sent, received, reserved for the answer).</summary>
        private long Used()
        {
            return _bytesSent + _bytesReceived + _replyReserved;
        }

        /// <summary>Under the gate, with the session running: the bytes of <paramref name="count"/> that may go now, 0 at a limit.</summary>
        private int AllowedSend(int count, bool reserveReply)
        {
            if (LimitReached(reserveReply ? 2 : 1) != null)
            {
                return 0;
            }

            if (_byteLimit == 0)
            {
                return count;
            }

            long used = Used();
            long room = _byteLimit - used;
            if (reserveReply)
            {
                room = room / 2;
            }

            if (AsksForExtensions && !_extensionAsked)
            {
                // Stop at the 70 % mark, so the application asks for an extension there and not only
                // after one large frame has carried the session from below the mark to its limit.
                long threshold = ((_byteLimit * ExtensionThresholdPercent) + 99) / 100;
                if (used < threshold)
                {
                    long toMark = threshold - used;
                    long markRoom = reserveReply ? (toMark + 1) / 2 : toMark;
                    if (markRoom < room)
                    {
                        room = markRoom;
                    }
                }
            }

            return room < count ? (int)room : count;
        }

        private bool ThresholdCrossed()
        {
            bool bytesDue = BytesThresholdCrossed();
            bool timeDue = _endsAt > StartedAt && (_clock.UtcNowSeconds - StartedAt) * 100 >= (_endsAt - StartedAt) * ExtensionThresholdPercent;
            return bytesDue || timeDue;
        }

        /// <summary>Under the gate: 70 % of the byte limit is taken or promised.</summary>
        private bool BytesThresholdCrossed()
        {
            return _byteLimit > 0 && Used() * 100 >= _byteLimit * ExtensionThresholdPercent;
        }

        /// <summary>Under the gate: the limit that stops a send needing <paramref name="need"/> bytes of the limit, or null.</summary>
        private string LimitReached(int need)
        {
            if (_byteLimit > 0 && _byteLimit - Used() < need)
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
        /// Under the gate: true when over. At a limit (for a send needing <paramref name="need"/> bytes of
        /// it) the session ends, unless new limits may still come (an extension of ours is pending, or the
        /// grace for the peer's is running).
        /// </summary>
        private bool CheckLimits(int need)
        {
            if (_endReason != null)
            {
                return true;
            }

            string reached = LimitReached(need);
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
