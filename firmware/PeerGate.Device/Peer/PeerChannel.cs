using System;
using PeerGate.Device.Platform;
using PeerGate.Device.Sessions;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Peer
{
    /// <summary>
    /// An open, encrypted peer connection (F19-F20), made by <see cref="PeerDialer"/> or
    /// <see cref="PeerAcceptor"/>. Every frame is verified before its bytes reach the application; a
    /// frame that fails (tampered, replayed, reordered, malformed) or a stalled frame closes the
    /// connection and surfaces as <see cref="PeerException"/>, and none of its bytes are delivered.
    /// </summary>
    /// <remarks>
    /// <para>With a <see cref="PeerSession"/> every byte is reserved in it before it is sent or delivered:
    /// at the byte limit the last frame is cut to fit and at the end time nothing more is sent. The side
    /// that sees the session end sends a Close frame with the reason, then still delivers what the peer
    /// had in flight (within the byte limit) until the peer's Close, end of stream or
    /// <see cref="DrainMillis"/> of silence, so every byte one side counts as sent is one the other
    /// counts as received, and neither side's last bytes are lost to a reset.</para>
    /// <para>One thread may send while another receives. Buffers are allocated once per channel (two
    /// frames plus the codec's scratch, about 17 KB); sending and receiving allocate nothing per frame
    /// beyond the 32-byte tag IPeerCrypto returns.</para>
    /// </remarks>
    public class PeerChannel
    {
        /// <summary>Longest silence, after this side's Close, before the connection is shut without the peer's answer.</summary>
        public const int DrainMillis = 2000;

        /// <summary>Longest time, after this side's Close, that the peer's last frames are still taken.</summary>
        public const int DrainMaxMillis = 30000;

        // What Finish reads the peer's last bytes into: they are dropped, so a small buffer, read in turn.
        private const int FinishScratchBytes = 64;

        private readonly IPeerConnection _connection;
        private readonly FrameCodec _codec;
        private readonly IClock _clock;
        private readonly IDeviceLog _log;
        private readonly IPeerCrypto _crypto;
        private readonly byte[] _sendFrame = new byte[FrameFormat.MaxFrameLength];
        private readonly byte[] _receiveFrame = new byte[FrameFormat.MaxFrameLength];
        private readonly byte[] _reason = new byte[CloseReasons.MaxLength];
        private readonly byte[] _limits = new byte[LimitsPayload.Length];
        private readonly object _sendLock = new object();
        private readonly object _receiveLock = new object();
        private readonly System.Threading.ManualResetEvent _never = new System.Threading.ManualResetEvent(false);

        private int _pendingOffset;
        private int _pendingCount;
        private bool _closed;
        private bool _closeSent;
        private string _closeReason;
        private long _closeSentAt;
        private long _drainUntil;
        private long _bytesSent;
        private long _bytesReceived;
        private PeerSession _session;

        internal PeerChannel(IPeerConnection connection, FrameCodec codec, IPeerCrypto crypto, IClock clock, IDeviceLog log, string sessionId, string peerTerminalId)
        {
            _connection = connection;
            _codec = codec;
            _crypto = crypto;
            _clock = clock;
            _log = log;
            SessionId = sessionId;
            PeerTerminalId = peerTerminalId;
        }

        public string SessionId { get; }

        /// <summary>The path the connection took (ConnectionPaths), set by whoever opened it; null when not told.</summary>
        public string Path { get; set; }

        /// <summary>The Terminal ID of the other side, as the server named it.</summary>
        public string PeerTerminalId { get; }

        /// <summary>Application bytes sent so far.</summary>
        public long BytesSent
        {
            get { return _bytesSent; }
        }

        /// <summary>Application bytes delivered to the application so far.</summary>
        public long BytesReceived
        {
            get { return _bytesReceived; }
        }

        public bool IsClosed
        {
            get { return _closed; }
        }

        /// <summary>The session's limits and counters (F23); null for a channel without limits.</summary>
        public PeerSession Session
        {
            get { return _session; }
        }

        /// <summary>Why the channel closed (either side's reason), or null while open.</summary>
        public string CloseReason
        {
            get { return _closeReason; }
        }

        /// <summary>
        /// Sends the bytes, split into frames of at most <see cref="FrameFormat.MaxPayload"/>. Returns how
        /// many were sent: fewer than <paramref name="count"/> when the session ended on the way (its
        /// <see cref="PeerSession.EndReason"/> says why; the peer has been told), or when the 70 % mark
        /// was crossed (<see cref="PeerSession.ExtensionDue"/>: ask, then send on).
        /// </summary>
        /// <exception cref="PeerException">The channel is closed or the connection is gone.</exception>
        public int Send(byte[] buffer, int offset, int count)
        {
            return Send(buffer, offset, count, false);
        }

        /// <summary>
        /// As <see cref="Send(byte[], int, int)"/>; with <paramref name="reserveReply"/> the peer answers
        /// every byte with one (an echo) and room for the answer is reserved in the session with the send,
        /// so the answer always fits the limit and both sides count the same bytes.
        /// </summary>
        public int Send(byte[] buffer, int offset, int count, bool reserveReply)
        {
            if (buffer == null)
            {
                throw new ArgumentNullException(nameof(buffer));
            }

            if (offset < 0 || count < 0 || offset + count > buffer.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            int sent = 0;
            while (sent < count)
            {
                int chunk = count - sent > FrameFormat.MaxPayload ? FrameFormat.MaxPayload : count - sent;
                lock (_sendLock)
                {
                    if (_closeSent)
                    {
                        break;
                    }

                    if (_session != null)
                    {
                        chunk = _session.ReserveSend(chunk, reserveReply);
                    }

                    if (chunk > 0)
                    {
                        try
                        {
                            SendFrame(FrameTypes.Data, buffer, offset + sent, chunk);
                        }
                        catch (PeerException)
                        {
                            if (_session != null)
                            {
                                _session.ReturnSend(chunk, reserveReply);
                            }

                            throw;
                        }

                        _bytesSent += chunk;
                        sent += chunk;
                    }
                }

                if (chunk == 0)
                {
                    break;
                }

                if (chunk < 0)
                {
                    // At a limit new limits may still lift: wait without the send lock, which the Limits
                    // frame announcing them needs (ApplyLimits).
                    _clock.Sleep(PeerSession.LimitPollMillis, _never);
                    continue;
                }

                if (_session != null && _session.ExtensionDue)
                {
                    // Back to the application, which asks for the extension before sending on.
                    break;
                }
            }

            if (_session != null && _session.IsOver)
            {
                SayCloseLocked(_session.EndReason);
            }

            return sent;
        }

        /// <summary>
        /// Receives application bytes: up to <paramref name="count"/>, from one frame (the rest of a bigger
        /// frame is kept for the next call). Returns 0 when the peer closed (see <see cref="CloseReason"/>),
        /// -1 when no frame began within the timeout (the channel stays open).
        /// </summary>
        /// <exception cref="PeerException">A refused frame, or a frame that began but did not complete in time; the channel is closed.</exception>
        public int Receive(byte[] buffer, int offset, int count, int timeoutMillis)
        {
            if (buffer == null)
            {
                throw new ArgumentNullException(nameof(buffer));
            }

            if (offset < 0 || count <= 0 || offset + count > buffer.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            lock (_receiveLock)
            {
                long deadline = _clock.UptimeMillis + timeoutMillis;
                while (true)
                {
                    if (_pendingCount > 0)
                    {
                        int delivered = count < _pendingCount ? count : _pendingCount;
                        if (_session != null)
                        {
                            delivered = _session.ReserveReceive(delivered);
                            if (delivered == 0)
                            {
                                // The rest of the frame lies beyond the limit: it is never delivered.
                                _pendingCount = 0;
                                SayCloseLocked(_session.EndReason);
                                continue;
                            }
                        }

                        Array.Copy(_receiveFrame, _pendingOffset, buffer, offset, delivered);
                        _pendingOffset += delivered;
                        _pendingCount -= delivered;
                        _bytesReceived += delivered;
                        if (_session != null && _session.IsOver)
                        {
                            SayCloseLocked(_session.EndReason);
                        }

                        return delivered;
                    }

                    if (_closed)
                    {
                        return 0;
                    }

                    if (!_closeSent && _session != null && _session.IsOver)
                    {
                        SayCloseLocked(_session.EndReason);
                    }

                    long now = _clock.UptimeMillis;
                    long until = deadline;
                    if (_closeSent)
                    {
                        // After this side's Close the peer's last frames are still taken, until its Close,
                        // end of stream or DrainMillis of silence: it sent them before it heard of the end.
                        if (_drainUntil < until)
                        {
                            until = _drainUntil;
                        }

                        if (until <= now)
                        {
                            lock (_sendLock)
                            {
                                Shut(_closeReason);
                            }

                            return 0;
                        }
                    }

                    long left = until - now;
                    if (left <= 0)
                    {
                        return -1;
                    }

                    // A time-limited session wakes at its end even when the peer is quiet; the whole
                    // call still ends within its own timeout.
                    int budget = left > int.MaxValue ? int.MaxValue : (int)left;
                    int wait = _session == null || _closeSent ? budget : _session.MillisLeft(budget);
                    if (wait < PeerSession.LimitPollMillis)
                    {
                        // Past the end time while new limits may still come: look again shortly, never spin.
                        wait = budget < PeerSession.LimitPollMillis ? budget : PeerSession.LimitPollMillis;
                    }

                    int type;
                    int length;
                    try
                    {
                        length = ReadFrame(now + wait, true, out type);
                    }
                    catch (PeerException)
                    {
                        if (_closeSent)
                        {
                            // Ended from this side: the peer hung up as asked.
                            return 0;
                        }

                        throw;
                    }

                    if (length < 0)
                    {
                        if (wait < budget)
                        {
                            // Woken early for the session's end time: limits and the deadline are looked at again.
                            continue;
                        }

                        if (!_closeSent)
                        {
                            return -1;
                        }

                        // The peer's last frames are in, or it is silent: the connection is shut.
                        lock (_sendLock)
                        {
                            Shut(_closeReason);
                        }

                        return 0;
                    }

                    if (type == FrameTypes.Close)
                    {
                        PeerClosed(length);
                        return 0;
                    }

                    if (type == FrameTypes.Limits)
                    {
                        TakeLimits(length);
                        continue;
                    }

                    if (type != FrameTypes.Data)
                    {
                        throw Fail(ErrorCodes.FrameMalformed, "unexpected frame type " + type.ToString() + " after the handshake");
                    }

                    _pendingOffset = 0;
                    _pendingCount = length;
                    if (_closeSent)
                    {
                        long next = _clock.UptimeMillis + DrainMillis;
                        long last = _closeSentAt + DrainMaxMillis;
                        _drainUntil = next < last ? next : last;
                    }
                }
            }
        }

        /// <summary>
        /// Ends the session now with <paramref name="reason"/> (one of SessionEndReasons, e.g. terminated):
        /// the peer gets a Close frame and a receiver blocked on this channel wakes once the peer answers
        /// or its timeout passes.
        /// </summary>
        public void EndSession(string reason)
        {
            if (_session != null)
            {
                _session.End(reason, null);
            }

            SayCloseLocked(reason);
        }

        /// <summary>
        /// Ends the session as finished and waits for the peer to hang up: a Close frame with
        /// <see cref="CloseReasons.Finished"/>, then whatever the peer still had in flight is taken (and
        /// counted, within the limits) and dropped, until its Close, end of stream or
        /// <see cref="DrainMillis"/> of silence, <see cref="DrainMaxMillis"/> at most. When it returns the
        /// peer has heard the end (or is silent or gone), so a caller that dials it again right away finds
        /// it free instead of still in this session. Use it instead of <see cref="Close"/> when done.
        /// </summary>
        public void Finish()
        {
            if (_session != null)
            {
                _session.End(SessionEndReasons.Completed, null);
            }

            SayCloseLocked(CloseReasons.Finished);
            byte[] rest = new byte[FinishScratchBytes];
            try
            {
                while (Receive(rest, 0, rest.Length, DrainMaxMillis) > 0)
                {
                }
            }
            catch (PeerException)
            {
                // A frame that failed its checks has closed the channel already.
            }

            lock (_sendLock)
            {
                Shut(CloseReasons.Finished);
            }
        }

        /// <summary>
        /// Tells the peer why (a Close frame, best effort) and closes the connection. Use
        /// <see cref="CloseReasons.Finished"/> when done; closing twice does nothing.
        /// </summary>
        public void Close(string reasonCode)
        {
            if (!FrameBytes.IsShortAscii(reasonCode, CloseReasons.MaxLength))
            {
                throw new ArgumentException("a reason code is 1..64 printable ASCII characters", nameof(reasonCode));
            }

            lock (_sendLock)
            {
                if (_closed)
                {
                    return;
                }

                if (!_closeSent)
                {
                    FrameBytes.WriteAscii(reasonCode, _reason, 0);
                    TrySendFrame(FrameTypes.Close, _reason, 0, reasonCode.Length);
                }

                Shut(reasonCode);
            }
        }

        /// <summary>
        /// Applies new limits from the server's answer to this side's extension request to the session
        /// (F24) and forwards them to the peer in a Limits frame with the server's tag for the peer
        /// (<see cref="SessionLimits.PeerLimitsTag"/>), both under the send lock: no Data frame that uses
        /// the new limits can reach the peer before it knows them. True when a limit grew. Without a
        /// usable tag no frame goes: the peer would not apply it, and the server's session-limits trigger
        /// still tells it. Call it from the thread that sends (a send in progress holds the lock while it
        /// writes).
        /// </summary>
        /// <exception cref="PeerException">The limits applied, but the connection is gone.</exception>
        public bool ApplyLimits(SessionLimits limits)
        {
            lock (_sendLock)
            {
                if (_session == null || !_session.Apply(limits))
                {
                    return false;
                }

                byte[] tag = DecodeTag(limits.PeerLimitsTag);
                if (tag == null)
                {
                    _log.Event("peer.limits-untagged", "session " + SessionId + ": the server's answer has no tag for the peer; it hears the limits by trigger");
                    return true;
                }

                SendLimits(limits.EndsAt, limits.ByteLimit, tag);
                return true;
            }
        }

        /// <summary>
        /// Tells the peer in band that the session's limits changed (F24), ahead of the server's trigger;
        /// <paramref name="tag"/> is the server's LimitsTag on them under the peer's limits key, without
        /// which the peer ignores them.
        /// </summary>
        /// <exception cref="PeerException">The channel is closed or the connection is gone.</exception>
        public void SendLimits(long endsAt, long byteLimit, byte[] tag)
        {
            lock (_sendLock)
            {
                if (_closeSent)
                {
                    return;
                }

                LimitsPayload.Write(endsAt, byteLimit, tag, _limits, 0);
                SendFrame(FrameTypes.Limits, _limits, 0, LimitsPayload.Length);
            }
        }

        /// <summary>A tag in Base64 as the server sends it, or null when missing or not 32 bytes.</summary>
        private static byte[] DecodeTag(string value)
        {
            if (value == null || value.Length == 0)
            {
                return null;
            }

            try
            {
                byte[] tag = Convert.FromBase64String(value);
                return tag.Length == LimitsTag.Length ? tag : null;
            }
            catch (Exception)
            {
                return null;
            }
        }

        /// <summary>Attaches the session whose limits this channel keeps; done once, before any application byte.</summary>
        internal void Attach(PeerSession session)
        {
            _session = session;
        }

        /// <summary>
        /// A Limits frame from the peer: applied to the session only with the server's tag under this
        /// side's limits key (one without a session ignores it). A frame of the wrong length is malformed
        /// and closes the channel like any malformed frame. A well-formed frame with a wrong or missing
        /// tag is ignored and logged, and the channel stays open: it authenticated under the session key,
        /// so only the peer can have sent it, and the peer can end the session at any time anyway, so
        /// closing would protect nothing; an honest peer whose server gave no tag (a session from before
        /// limits keys) still gets its limits to this side by the server's trigger.
        /// </summary>
        private void TakeLimits(int length)
        {
            if (length != LimitsPayload.Length)
            {
                throw Fail(ErrorCodes.FrameMalformed, "a Limits frame carries " + LimitsPayload.Length.ToString() + " bytes");
            }

            if (_session == null)
            {
                return;
            }

            long endsAt = LimitsPayload.ReadEndsAt(_receiveFrame, 0);
            long byteLimit = LimitsPayload.ReadByteLimit(_receiveFrame, 0);
            int outcome = _session.ApplyFromPeer(_crypto, endsAt, byteLimit, _receiveFrame, LimitsPayload.TagOffset);
            if (outcome == PeerSession.PeerLimitsApplied)
            {
                _log.Event("peer.limits", "session " + SessionId + ": ends at " + endsAt.ToString() + ", byte limit " + byteLimit.ToString());
            }
            else if (outcome == PeerSession.PeerLimitsUnchanged)
            {
                // The server's limits, heard first by trigger (or the session is over).
                _log.Event("peer.limits-known", "session " + SessionId + ": ends at " + endsAt.ToString() + ", byte limit " + byteLimit.ToString());
            }
            else if (outcome == PeerSession.PeerLimitsRefused)
            {
                // The values are the peer's claim, not a secret; the tag is never logged.
                _log.Event("peer.limits-refused", "session " + SessionId + ": limits from the peer without the server's tag ignored (ends at "
                    + endsAt.ToString() + ", byte limit " + byteLimit.ToString() + ")");
            }
        }

        private void SayCloseLocked(string reason)
        {
            lock (_sendLock)
            {
                SayClose(reason);
            }
        }

        /// <summary>Under the send lock: the Close frame without shutting the connection, once.</summary>
        private void SayClose(string reason)
        {
            if (_closed || _closeSent)
            {
                return;
            }

            _closeSent = true;
            _closeReason = reason;
            _closeSentAt = _clock.UptimeMillis;
            _drainUntil = _closeSentAt + DrainMillis;
            FrameBytes.WriteAscii(reason, _reason, 0);
            if (!TrySendFrame(FrameTypes.Close, _reason, 0, reason.Length))
            {
                Shut(CloseReasons.ConnectionLost);
            }

            _log.Event("peer.session-over", "session " + SessionId + ": " + reason);
        }

        internal void SendFrame(int type, byte[] payload, int offset, int count)
        {
            if (_closed)
            {
                throw new PeerException(_closeReason, "the channel is closed (" + _closeReason + ")");
            }

            if (!TrySendFrame(type, payload, offset, count))
            {
                Shut(CloseReasons.ConnectionLost);
                throw new PeerException(CloseReasons.ConnectionLost, "the peer connection is gone");
            }
        }

        /// <summary>
        /// Reads one whole frame and opens it into the receive buffer; returns the payload length, or -1
        /// when <paramref name="idleMeansTimeout"/> and no byte arrived before the deadline.
        /// </summary>
        internal int ReadFrame(long deadline, bool idleMeansTimeout, out int type)
        {
            type = 0;
            if (!ReadExactly(_receiveFrame, 0, FrameFormat.HeaderLength, deadline, idleMeansTimeout))
            {
                return -1;
            }

            try
            {
                int body = _codec.BodyLength(_receiveFrame, 0);
                ReadExactly(_receiveFrame, FrameFormat.HeaderLength, body, deadline, false);
                return _codec.Open(_receiveFrame, 0, FrameFormat.HeaderLength + body, out type, _receiveFrame, 0);
            }
            catch (FrameException e)
            {
                throw Fail(e.Code, e.Message);
            }
        }

        /// <summary>The payload of the last frame read, at offset 0 of this buffer.</summary>
        internal byte[] ReceivedPayload
        {
            get { return _receiveFrame; }
        }

        /// <summary>The peer sent Close: record its reason (malformed reasons read as frame_malformed).</summary>
        internal string PeerClosed(int length)
        {
            string reason = ErrorCodes.FrameMalformed;
            if (length > 0 && length <= CloseReasons.MaxLength)
            {
                char[] chars = new char[length];
                for (int i = 0; i < length; i++)
                {
                    chars[i] = (char)_receiveFrame[i];
                }

                string candidate = new string(chars);
                if (FrameBytes.IsShortAscii(candidate, CloseReasons.MaxLength))
                {
                    reason = candidate;
                }
            }

            _log.Event("peer.closed_by_peer", "session " + SessionId + ": " + reason);
            lock (_sendLock)
            {
                Shut(reason);
            }

            return reason;
        }

        /// <summary>Refuses: tells the peer why when the connection still works, closes, and returns the exception to throw.</summary>
        internal PeerException Fail(string code, string message)
        {
            _log.Event("peer.refused", "session " + SessionId + ": " + code);
            lock (_sendLock)
            {
                if (!_closed)
                {
                    FrameBytes.WriteAscii(code, _reason, 0);
                    TrySendFrame(FrameTypes.Close, _reason, 0, code.Length);
                    Shut(code);
                }
            }

            return new PeerException(code, message);
        }

        private bool TrySendFrame(int type, byte[] payload, int offset, int count)
        {
            int length = _codec.Seal(type, payload, offset, count, _sendFrame, 0);
            return _connection.Write(_sendFrame, 0, length);
        }

        /// <summary>
        /// Fills the range before the deadline. False only when <paramref name="idleMeansTimeout"/> and
        /// nothing at all arrived; a frame cut off by time or by the peer throws (after closing).
        /// </summary>
        private bool ReadExactly(byte[] buffer, int offset, int count, long deadline, bool idleMeansTimeout)
        {
            int read = 0;
            while (read < count)
            {
                long remaining = deadline - _clock.UptimeMillis;
                int n = remaining <= 0 ? -1 : _connection.Read(buffer, offset + read, count - read, remaining > int.MaxValue ? int.MaxValue : (int)remaining);
                if (n < 0)
                {
                    if (read == 0 && idleMeansTimeout)
                    {
                        return false;
                    }

                    throw Fail(ErrorCodes.PeerTimeout, "the peer stalled in the middle of a frame");
                }

                if (n == 0)
                {
                    lock (_sendLock)
                    {
                        Shut(CloseReasons.ConnectionLost);
                    }

                    throw new PeerException(read == 0 ? CloseReasons.ConnectionLost : ErrorCodes.FrameMalformed, "the peer connection ended" + (read == 0 ? string.Empty : " inside a frame"));
                }

                read += n;
            }

            return true;
        }

        private void Shut(string reason)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _closeReason = reason;
            _pendingCount = 0;
            if (_session != null)
            {
                _session.End(SessionEnds.FromCloseReason(reason), SessionEnds.DetailOf(reason));
            }

            _connection.Close();
            _codec.Clear();
        }
    }
}
