using System;
using PeerGate.Device.Platform;
using PeerGate.Device.Sessions;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Peer
{
    /// <summary>
    /// The caller's half of the peer handshake (F19). With the grant the server gave it: connect to the
    /// callee (its local address first, then the address the server observed, each within the connect
    /// timeout), send the clear preamble naming the session and a Request frame sealed with the issued
    /// key, then wait for the callee's Accept frame and check that it proves the password.
    /// </summary>
    public class PeerDialer
    {
        private readonly IPeerNetwork _network;
        private readonly IPeerCrypto _crypto;
        private readonly IClock _clock;
        private readonly IDeviceLog _log;
        private readonly int _connectTimeoutMillis;
        private readonly int _handshakeTimeoutMillis;

        public PeerDialer(IPeerNetwork network, IPeerCrypto crypto, IClock clock, IDeviceLog log, int connectTimeoutMillis, int handshakeTimeoutMillis)
        {
            if (connectTimeoutMillis <= 0 || handshakeTimeoutMillis <= 0)
            {
                throw new ArgumentOutOfRangeException(connectTimeoutMillis <= 0 ? nameof(connectTimeoutMillis) : nameof(handshakeTimeoutMillis));
            }

            _network = network ?? throw new ArgumentNullException(nameof(network));
            _crypto = crypto ?? throw new ArgumentNullException(nameof(crypto));
            _clock = clock ?? throw new ArgumentNullException(nameof(clock));
            _log = log ?? throw new ArgumentNullException(nameof(log));
            _connectTimeoutMillis = connectTimeoutMillis;
            _handshakeTimeoutMillis = handshakeTimeoutMillis;
        }

        /// <summary>Where dialled sessions are listed, so triggers can reach them (F24, F26); null for none.</summary>
        public SessionTable Sessions { get; set; }

        /// <summary>Connects to the callee the grant names and runs the handshake.</summary>
        /// <exception cref="PeerException">
        /// callee_unreachable (no address answered), peer_request_invalid (the grant is unusable, or the
        /// callee hung up without answering), peer_password_wrong (the Accept proof is wrong), peer_timeout,
        /// frame_* codes, or the code the callee closed with.
        /// </exception>
        public PeerChannel Dial(ConnectionGrant grant, string callerTerminalId)
        {
            if (grant == null)
            {
                throw new ArgumentNullException(nameof(grant));
            }

            PeerRequest request;
            byte[] key;
            try
            {
                key = PeerOffer.DecodeBase64(grant.Key, "key");
                request = new PeerRequest(callerTerminalId, PeerOffer.DecodeBase64(grant.Password, "password"), grant.SessionId);
                if (key.Length != FrameFormat.KeyLength)
                {
                    throw new ArgumentException("key is not 32 bytes");
                }

                if (grant.SessionEndsAt < 0 || grant.SessionByteLimit < 0)
                {
                    throw new ArgumentException("negative session limits");
                }
            }
            catch (ArgumentException e)
            {
                throw new PeerException(ErrorCodes.PeerRequestInvalid, "unusable connection grant: " + e.Message);
            }

            IPeerConnection connection = Connect(grant);
            FrameCodec codec = new FrameCodec(_crypto, key, true);
            Array.Clear(key, 0, key.Length);
            PeerChannel channel = new PeerChannel(connection, codec, _clock, _log, grant.SessionId, grant.CalleeTerminalId);

            // The preamble and the request share one buffer, sized for the bigger of the two.
            byte[] scratch = new byte[PeerRequest.MaxLength];
            int preambleLength = PeerPreamble.Write(grant.SessionId, scratch, 0);
            if (!connection.Write(scratch, 0, preambleLength))
            {
                connection.Close();
                throw new PeerException(ErrorCodes.CalleeUnreachable, "the callee dropped the connection");
            }

            int requestLength = request.Write(scratch, 0);
            channel.SendFrame(FrameTypes.Request, scratch, 0, requestLength);
            Array.Clear(scratch, 0, scratch.Length);

            ExpectAccept(channel, request);
            channel.Attach(new PeerSession(grant.SessionId, grant.SessionEndsAt, grant.SessionByteLimit, _clock));
            SessionTable sessions = Sessions;
            if (sessions != null)
            {
                sessions.Add(channel);
            }

            _log.Event("peer.connected", "session " + grant.SessionId + " to " + grant.CalleeTerminalId);
            return channel;
        }

        private IPeerConnection Connect(ConnectionGrant grant)
        {
            IPeerConnection connection = TryConnect(grant.CalleeLocalIp, grant.CalleeLocalPort, grant.SessionId);
            if (connection == null && grant.CalleeObservedIp != grant.CalleeLocalIp)
            {
                // Behind the same NAT the local address works; otherwise the one the server saw might.
                connection = TryConnect(grant.CalleeObservedIp, grant.CalleeLocalPort, grant.SessionId);
            }

            if (connection == null)
            {
                _log.Event("peer.unreachable", "session " + grant.SessionId);
                throw new PeerException(ErrorCodes.CalleeUnreachable, "no address of " + grant.CalleeTerminalId + " answered");
            }

            return connection;
        }

        private IPeerConnection TryConnect(string ip, int port, string sessionId)
        {
            if (ip == null || ip.Length == 0 || port <= 0 || port > 65535)
            {
                return null;
            }

            _log.Event("peer.dial", "session " + sessionId + " at " + ip + ":" + port.ToString());
            return _network.Connect(ip, port, _connectTimeoutMillis);
        }

        private void ExpectAccept(PeerChannel channel, PeerRequest request)
        {
            int type;
            int length;
            try
            {
                length = channel.ReadFrame(_clock.UptimeMillis + _handshakeTimeoutMillis, false, out type);
            }
            catch (PeerException e)
            {
                if (e.Code == CloseReasons.ConnectionLost)
                {
                    // An unknown session has no key to answer with: the callee just hangs up.
                    throw new PeerException(ErrorCodes.PeerRequestInvalid, "the callee closed the connection without accepting");
                }

                throw;
            }

            if (type == FrameTypes.Close)
            {
                string reason = channel.PeerClosed(length);
                throw new PeerException(reason, "the callee refused: " + reason);
            }

            if (type != FrameTypes.Accept)
            {
                throw channel.Fail(ErrorCodes.FrameMalformed, "expected Accept, got frame type " + type.ToString());
            }

            byte[] expected = AcceptProof.Compute(_crypto, request.Password, request.SessionId);
            byte[] proof = new byte[AcceptProof.Length];
            if (length == AcceptProof.Length)
            {
                Array.Copy(channel.ReceivedPayload, 0, proof, 0, AcceptProof.Length);
            }

            if (length != AcceptProof.Length || !AuthProofs.FixedTimeEquals(expected, proof))
            {
                throw channel.Fail(ErrorCodes.PeerPasswordWrong, "the callee does not know the password");
            }
        }
    }
}
