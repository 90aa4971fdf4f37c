using System;
using System.Threading;
using PeerGate.Device.Platform;
using PeerGate.Device.Sessions;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Peer
{
    /// <summary>
    /// The callee's half of the peer handshake (F19), on a connection its listener accepted. It reads
    /// the clear preamble, finds the offer it names, opens the Request frame with that offer's key,
    /// spends the offer (<see cref="OfferBook.Take"/>: once only, not expired), checks caller and
    /// password, and answers an Accept frame showing it knows the password (which, since the password
    /// came under the session key, shows no more than holding that key; see <see cref="AcceptProof"/>).
    /// </summary>
    /// <remarks>
    /// The offer is spent only once a Request frame has verified under its key, so a stranger who saw
    /// the clear session ID cannot burn the password; a wrong password from a key holder does spend it.
    /// </remarks>
    public class PeerAcceptor
    {
        /// <summary>
        /// How long a REQUEST may wait for its offer. The server hands the caller its grant as it queues
        /// the offer for this device, so the caller can arrive a moment before the offer comes down the
        /// trigger channel. Only a session the server announced in its status query waits
        /// (<see cref="OfferBook.IsExpected"/>); any other unknown session is refused at once.
        /// </summary>
        public const int OfferWaitMillis = 3000;

        /// <summary>
        /// How long a new connection may take to send its preamble (on the injected clock). A genuine
        /// dialer sends it at once with its Request; a connection that sends nothing is closed at this
        /// deadline instead of holding a worker for the whole handshake timeout.
        /// </summary>
        public const int DefaultPreambleTimeoutMillis = 2000;

        /// <summary>
        /// How long the callee waits at a session limit for new limits: the caller's extension reaches it
        /// only through the caller's Limits frame or the server's session-limits trigger.
        /// </summary>
        public const int LimitGraceMillis = 3000;

        private const int OfferLookMillis = 50;

        private readonly OfferBook _offers;
        private readonly IPeerCrypto _crypto;
        private readonly IClock _clock;
        private readonly IDeviceLog _log;
        private readonly int _handshakeTimeoutMillis;
        private readonly ManualResetEvent _never = new ManualResetEvent(false);

        public PeerAcceptor(OfferBook offers, IPeerCrypto crypto, IClock clock, IDeviceLog log, int handshakeTimeoutMillis)
        {
            if (handshakeTimeoutMillis <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(handshakeTimeoutMillis));
            }

            _offers = offers ?? throw new ArgumentNullException(nameof(offers));
            _crypto = crypto ?? throw new ArgumentNullException(nameof(crypto));
            _clock = clock ?? throw new ArgumentNullException(nameof(clock));
            _log = log ?? throw new ArgumentNullException(nameof(log));
            _handshakeTimeoutMillis = handshakeTimeoutMillis;
            PreambleTimeoutMillis = DefaultPreambleTimeoutMillis;
        }

        /// <summary>The preamble's deadline from accept; at most the handshake timeout.</summary>
        public int PreambleTimeoutMillis { get; set; }

        /// <summary>Where accepted sessions are listed, so triggers can reach them (F24, F26); null for none.</summary>
        public SessionTable Sessions { get; set; }

        /// <summary>
        /// The dials of this device (as a caller) that wait for a callee to connect in (F30); null for none,
        /// and then a reverse preamble is refused like any malformed one.
        /// </summary>
        public ReverseBook Reverse { get; set; }

        /// <summary>
        /// Runs the callee's handshake on any connection, whoever opened it (accepted by the listener, or
        /// opened by this device to a caller for reverse connect); the connection is closed on any refusal.
        /// Null when the connection was a callee's reverse connection for one of this device's own dials
        /// (<see cref="Reverse"/>), which now owns it.
        /// </summary>
        /// <exception cref="PeerException">
        /// peer_request_invalid (unknown session, expired offer, wrong caller, request for another session),
        /// peer_request_replayed, peer_password_wrong, peer_timeout, or a frame_* code.
        /// </exception>
        public PeerChannel Accept(IPeerConnection connection)
        {
            return Accept(connection, null);
        }

        /// <summary>
        /// As <see cref="Accept(IPeerConnection)"/>, reporting each stage to <paramref name="admission"/>
        /// (null for none); a connection its listener evicted stops at the next stage with peer_timeout.
        /// </summary>
        public PeerChannel Accept(IPeerConnection connection, PeerAdmission admission)
        {
            if (connection == null)
            {
                throw new ArgumentNullException(nameof(connection));
            }

            long deadline = _clock.UptimeMillis + _handshakeTimeoutMillis;
            long preambleDeadline = _clock.UptimeMillis + PreambleTimeoutMillis;
            string sessionId = ReadPreamble(connection, preambleDeadline < deadline ? preambleDeadline : deadline, admission);
            if (sessionId == null)
            {
                return null;
            }

            // The caller can be a moment ahead of its offer: wait for it, still at the lowest stage, so
            // the listener evicts this connection before any that named a live offer.
            PeerOffer offer = WaitForOffer(sessionId, deadline, admission);
            if (offer == null)
            {
                // Without an offer there is no key to answer with: hang up.
                throw Refuse(connection, admission != null && admission.IsEvicted ? ErrorCodes.PeerTimeout : ErrorCodes.PeerRequestInvalid, "no live offer for session " + sessionId + " (unknown or expired)", sessionId);
            }

            FrameCodec codec = offer.NewCalleeCodec(_crypto);
            if (codec == null)
            {
                // The offer was spent (or dropped) and its key wiped: nothing left to answer a replay with.
                throw Refuse(connection, _offers.Find(sessionId) == offer ? ErrorCodes.PeerRequestReplayed : ErrorCodes.PeerRequestInvalid, "the offer for session " + sessionId + " is spent", sessionId);
            }

            if (admission != null && !admission.Advance(PeerAdmission.Named))
            {
                codec.Clear();
                throw Refuse(connection, ErrorCodes.PeerTimeout, "evicted for a newer connection", sessionId);
            }

            PeerChannel channel = new PeerChannel(connection, codec, _crypto, _clock, _log, sessionId, offer.CallerTerminalId);
            int type;
            int length = channel.ReadFrame(deadline, false, out type);
            if (type != FrameTypes.Request)
            {
                throw channel.Fail(ErrorCodes.FrameMalformed, "expected Request, got frame type " + type.ToString());
            }

            PeerRequest request;
            try
            {
                request = PeerRequest.Read(channel.ReceivedPayload, 0, length);
            }
            catch (FrameException e)
            {
                throw channel.Fail(e.Code, e.Message);
            }
            finally
            {
                Array.Clear(channel.ReceivedPayload, 0, length);
            }

            try
            {
                return Answer(channel, request, sessionId, admission);
            }
            finally
            {
                Array.Clear(request.Password, 0, request.Password.Length);
            }
        }

        /// <summary>From a Request that verified under the offer's key: spend the offer, check it, answer Accept.</summary>
        private PeerChannel Answer(PeerChannel channel, PeerRequest request, string sessionId, PeerAdmission admission)
        {
            if (request.SessionId != sessionId)
            {
                throw channel.Fail(ErrorCodes.PeerRequestInvalid, "the request names another session");
            }

            if (admission != null && !admission.Advance(PeerAdmission.Authenticated))
            {
                throw channel.Fail(ErrorCodes.PeerTimeout, "evicted for a newer connection");
            }

            PeerOffer offer;
            try
            {
                offer = _offers.Take(sessionId);
            }
            catch (PeerException e)
            {
                throw channel.Fail(e.Code, e.Message);
            }

            // The offer is spent: its password and key are wiped however this ends.
            try
            {
                if (request.CallerTerminalId != offer.CallerTerminalId)
                {
                    throw channel.Fail(ErrorCodes.PeerRequestInvalid, "caller " + request.CallerTerminalId + " is not the one the server let through");
                }

                if (!AuthProofs.FixedTimeEquals(request.Password, offer.Password))
                {
                    throw channel.Fail(ErrorCodes.PeerPasswordWrong, "wrong one-time password");
                }

                byte[] proof = AcceptProof.Compute(_crypto, offer.Password, sessionId);
                // The session keeps its own copy of the callee's limits key: the offer's is wiped below.
                byte[] limitsKey = offer.LimitsKey == null ? null : (byte[])offer.LimitsKey.Clone();
                PeerSession session = new PeerSession(sessionId, offer.SessionEndsAt, offer.SessionByteLimit, _clock, limitsKey);
                session.LimitGraceMillis = LimitGraceMillis;
                channel.Attach(session);
                channel.SendFrame(FrameTypes.Accept, proof, 0, proof.Length);
                Array.Clear(proof, 0, proof.Length);
                SessionTable sessions = Sessions;
                if (sessions != null)
                {
                    sessions.Add(channel);
                }

                _log.Event("peer.accepted", "session " + sessionId + " from " + offer.CallerTerminalId);
                return channel;
            }
            finally
            {
                offer.Wipe();
            }
        }

        private PeerOffer WaitForOffer(string sessionId, long handshakeDeadline, PeerAdmission admission)
        {
            long deadline = _clock.UptimeMillis + OfferWaitMillis;
            if (deadline > handshakeDeadline)
            {
                deadline = handshakeDeadline;
            }

            while (true)
            {
                PeerOffer offer = _offers.Find(sessionId);
                if (offer != null || !_offers.IsExpected(sessionId) || _clock.UptimeMillis >= deadline || (admission != null && admission.IsEvicted))
                {
                    return offer;
                }

                _clock.Sleep(OfferLookMillis, _never);
            }
        }

        /// <summary>The session a caller's preamble names; null when it was a reverse preamble handed to its dial.</summary>
        private string ReadPreamble(IPeerConnection connection, long deadline, PeerAdmission admission)
        {
            byte[] preamble = new byte[ReversePreamble.MaxLength];
            try
            {
                ReadExactly(connection, preamble, 0, PeerPreamble.HeaderLength, deadline);
                if (ReversePreamble.IsReverse(preamble, 0))
                {
                    HandReverse(connection, preamble, deadline, admission);
                    return null;
                }

                int sessionIdLength = PeerPreamble.SessionIdLength(preamble, 0);
                ReadExactly(connection, preamble, PeerPreamble.HeaderLength, sessionIdLength, deadline);
                return PeerPreamble.Read(preamble, 0, PeerPreamble.HeaderLength + sessionIdLength);
            }
            catch (FrameException e)
            {
                throw Refuse(connection, e.Code, e.Message, "-");
            }
        }

        /// <summary>Reads the rest of a reverse preamble and hands the connection to the dial awaiting it, or refuses it.</summary>
        private void HandReverse(IPeerConnection connection, byte[] preamble, long deadline, PeerAdmission admission)
        {
            ReverseBook reverse = Reverse;
            if (reverse == null)
            {
                throw Refuse(connection, ErrorCodes.FrameMalformed, "a reverse connection, and this device awaits none", "-");
            }

            int rest = ReversePreamble.RemainingLength(preamble, 0);
            ReadExactly(connection, preamble, ReversePreamble.HeaderLength, rest, deadline);
            byte[] tag = new byte[ReversePreamble.TagLength];
            string sessionId = ReversePreamble.Read(preamble, 0, ReversePreamble.HeaderLength + rest, tag);
            if (!reverse.Hand(sessionId, tag, connection, admission))
            {
                throw Refuse(connection, ErrorCodes.PeerRequestInvalid, "no dial awaits a reverse connection for session " + sessionId + " with that tag", sessionId);
            }
        }

        private void ReadExactly(IPeerConnection connection, byte[] buffer, int offset, int count, long deadline)
        {
            int read = 0;
            while (read < count)
            {
                long remaining = deadline - _clock.UptimeMillis;
                int n = remaining <= 0 ? -1 : connection.Read(buffer, offset + read, count - read, remaining > int.MaxValue ? int.MaxValue : (int)remaining);
                if (n < 0)
                {
                    throw Refuse(connection, ErrorCodes.PeerTimeout, "no preamble within the preamble deadline", "-");
                }

                if (n == 0)
                {
                    throw Refuse(connection, ErrorCodes.FrameMalformed, "the caller hung up inside the preamble", "-");
                }

                read += n;
            }
        }

        private PeerException Refuse(IPeerConnection connection, string code, string message, string sessionId)
        {
            _log.Event("peer.refused", "session " + sessionId + ": " + code);
            connection.Close();
            return new PeerException(code, message);
        }
    }
}
