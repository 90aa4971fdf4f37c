using System;
using PeerGate.Device.Platform;
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
    /// <para>One thread may send while another receives. Buffers are allocated once per channel (two
    /// frames plus the codec's scratch, about 17 KB); sending and receiving allocate nothing per frame
    /// beyond the 32-byte tag IPeerCrypto returns.</para>
    /// </remarks>
    public class PeerChannel
    {
        private readonly IPeerConnection _connection;
        private readonly FrameCodec _codec;
        private readonly IClock _clock;
        private readonly IDeviceLog _log;
        private readonly byte[] _sendFrame = new byte[FrameFormat.MaxFrameLength];
        private readonly byte[] _receiveFrame = new byte[FrameFormat.MaxFrameLength];
        private readonly byte[] _reason = new byte[CloseReasons.MaxLength];
        private readonly object _sendLock = new object();
        private readonly object _receiveLock = new object();

        private int _pendingOffset;
        private int _pendingCount;
        private bool _closed;
        private string _closeReason;
        private long _bytesSent;
        private long _bytesReceived;

        internal PeerChannel(IPeerConnection connection, FrameCodec codec, IClock clock, IDeviceLog log, string sessionId, string peerTerminalId)
        {
            _connection = connection;
            _codec = codec;
            _clock = clock;
            _log = log;
            SessionId = sessionId;
            PeerTerminalId = peerTerminalId;
        }

        public string SessionId { get; }

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

        /// <summary>Why the channel closed (either side's reason), or null while open.</summary>
        public string CloseReason
        {
            get { return _closeReason; }
        }

        /// <summary>Sends the bytes, split into frames of at most <see cref="FrameFormat.MaxPayload"/>.</summary>
        /// <exception cref="PeerException">The channel is closed or the connection is gone.</exception>
        public void Send(byte[] buffer, int offset, int count)
        {
            if (buffer == null)
            {
                throw new ArgumentNullException(nameof(buffer));
            }

            if (offset < 0 || count < 0 || offset + count > buffer.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            lock (_sendLock)
            {
                while (count > 0)
                {
                    int chunk = count > FrameFormat.MaxPayload ? FrameFormat.MaxPayload : count;
                    SendFrame(FrameTypes.Data, buffer, offset, chunk);
                    _bytesSent += chunk;
                    offset += chunk;
                    count -= chunk;
                }
            }
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
                while (_pendingCount == 0)
                {
                    if (_closed)
                    {
                        return 0;
                    }

                    int type;
                    int length = ReadFrame(deadline, true, out type);
                    if (length < 0)
                    {
                        return -1;
                    }

                    if (type == FrameTypes.Close)
                    {
                        PeerClosed(length);
                        return 0;
                    }

                    if (type != FrameTypes.Data)
                    {
                        throw Fail(ErrorCodes.FrameMalformed, "unexpected frame type " + type.ToString() + " after the handshake");
                    }

                    _pendingOffset = 0;
                    _pendingCount = length;
                }

                int delivered = count < _pendingCount ? count : _pendingCount;
                Array.Copy(_receiveFrame, _pendingOffset, buffer, offset, delivered);
                _pendingOffset += delivered;
                _pendingCount -= delivered;
                _bytesReceived += delivered;
                return delivered;
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

                FrameBytes.WriteAscii(reasonCode, _reason, 0);
                TrySendFrame(FrameTypes.Close, _reason, 0, reasonCode.Length);
                Shut(reasonCode);
            }
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
            _connection.Close();
            _codec.Clear();
        }
    }
}
