using System;
using PeerGate.Device.Platform;
using PeerGate.Device.Rendezvous;
using PeerGate.Device.Sessions;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Peer
{
    /// <summary>
    /// The caller's half of the peer handshake (F19). With the grant the server gave it: connect to the
    /// callee, send the clear preamble naming the session and a Request frame sealed with the issued
    /// key, then wait for the callee's Accept frame and check that it proves the password.
    /// </summary>
    /// <remarks>
    /// Addresses, each within the connect timeout (<see cref="Addresses"/>): the one the server observed
    /// first, the callee's self-declared LAN address first only when the caller's own observed address
    /// equals the callee's (the same NAT, where the LAN address is the one that works). The declared
    /// address is the callee's word only; any host holding that private address on the caller's network
    /// would get the connection. So a failed handshake (no answer, a hang-up, garbage, a wrong Accept
    /// proof) moves on to the next address just as a failed TCP connect does; only a Close frame that
    /// verified under the session key (the real callee refused) ends the dial.
    /// </remarks>
    /// <para>On the reverse path (<see cref="ConnectionPaths.Reverse"/>) nothing is dialled: the callee
    /// connects to this device's listener, which hands the connection over when its reverse preamble
    /// verifies (<see cref="ReverseBook"/>), and the same handshake runs on it. <see cref="Open"/> runs the
    /// handshake on any connection, whoever opened it.</para>
    public class PeerDialer
    {
        /// <summary>
        /// How long a reverse dial waits for its callee to connect in: the offer travels down the callee's
        /// trigger channel, then the callee connects (its connect timeout is 5 s). After it the dial fails
        /// with reverse_connect_timeout.
        /// </summary>
        public const int DefaultReverseWaitMillis = 10000;

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
            ReverseWaitMillis = DefaultReverseWaitMillis;
        }

        /// <summary>Where reverse connections from callees arrive (this device's listener hands them over); null: no reverse dials.</summary>
        public ReverseBook Reverse { get; set; }

        /// <summary>The bound on a reverse dial's wait for its callee, on the device clock.</summary>
        public int ReverseWaitMillis { get; set; }

        /// <summary>Where dialled sessions are listed, so triggers can reach them (F24, F26); null for none.</summary>
        public SessionTable Sessions { get; set; }

        /// <summary>This device's address as the server last observed it (registration); null when unknown.</summary>
        public string OwnObservedIp { get; set; }

        /// <summary>The callee's addresses in the order they are tried, without repeats or empty ones.</summary>
        public string[] Addresses(ConnectionGrant grant)
        {
            string local = grant.CalleeLocalIp;
            string observed = grant.CalleeObservedIp;
            string own = OwnObservedIp;
            bool sameNat = own != null && own.Length > 0 && own == observed;
            string first = sameNat ? local : observed;
            string second = sameNat ? observed : local;
            bool hasFirst = first != null && first.Length > 0;
            bool hasSecond = second != null && second.Length > 0 && second != first;
            if (!hasFirst && hasSecond)
            {
                first = second;
                hasFirst = true;
                hasSecond = false;
            }

            string[] addresses = StringArrays.Create((hasFirst ? 1 : 0) + (hasSecond ? 1 : 0));
            if (hasFirst)
            {
                addresses[0] = first;
            }

            if (hasSecond)
            {
                addresses[1] = second;
            }

            return addresses;
        }

        /// <summary>Connects to the callee the grant names and runs the handshake.</summary>
        /// <exception cref="PeerException">
        /// callee_unreachable (no address answered), peer_request_invalid (the grant is unusable, or the
        /// callee hung up without answering), peer_password_wrong (the Accept proof is wrong), peer_timeout,
        /// frame_* codes, or the code the callee closed with.
        /// </exception>
        public PeerChannel Dial(ConnectionGrant grant, string callerTerminalId)
        {
            return Run(grant, callerTerminalId, null);
        }

        /// <summary>
        /// Plays the caller on <paramref name="connection"/>, whoever opened it (a reverse connection, a
        /// relay): preamble, Request, and the callee's Accept. The connection is closed on failure.
        /// </summary>
        /// <exception cref="PeerException">As <see cref="Dial"/>, without callee_unreachable.</exception>
        public PeerChannel Open(IPeerConnection connection, ConnectionGrant grant, string callerTerminalId)
        {
            if (connection == null)
            {
                throw new ArgumentNullException(nameof(connection));
            }

            return Run(grant, callerTerminalId, connection);
        }

        /// <summary>The punched and relayed paths (F37); null: such a grant fails with callee_unreachable.</summary>
        public RendezvousPath Rendezvous { get; set; }

        /// <summary>True for a grant whose callee connects to this device.</summary>
        public static bool IsReverse(ConnectionGrant grant)
        {
            return grant != null && grant.Path == ConnectionPaths.Reverse;
        }

        private PeerChannel Run(ConnectionGrant grant, string callerTerminalId, IPeerConnection given)
        {
            if (grant == null)
            {
                throw new ArgumentNullException(nameof(grant));
            }

            PeerRequest request;
            byte[] key;
            byte[] limitsKey;
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

                limitsKey = PeerOffer.DecodeOptionalBase64(grant.LimitsKey, "limits key");
                if (limitsKey != null && limitsKey.Length != LimitsTag.KeyLength)
                {
                    throw new ArgumentException("limits key is not 32 bytes");
                }
            }
            catch (ArgumentException e)
            {
                throw new PeerException(ErrorCodes.PeerRequestInvalid, "unusable connection grant: " + e.Message);
            }

            try
            {
                if (given != null)
                {
                    try
                    {
                        return Establish(given, given.RemoteIp, grant, key, limitsKey, request);
                    }
                    catch (CalleeRefusal e)
                    {
                        throw e.Refusal;
                    }
                }

                if (RendezvousPath.IsRendezvous(grant.Path))
                {
                    return DialRendezvous(grant, key, limitsKey, request);
                }

                PeerChannel channel = IsReverse(grant) ? DialReverse(grant, key, limitsKey, request) : DialAddresses(grant, key, limitsKey, request);
                channel.Path = IsReverse(grant) ? ConnectionPaths.Reverse : ConnectionPaths.Direct;
                return channel;
            }
            catch (PeerException)
            {
                // No session took the limits key.
                if (limitsKey != null)
                {
                    Array.Clear(limitsKey, 0, limitsKey.Length);
                }

                throw;
            }
            finally
            {
                Array.Clear(key, 0, key.Length);
                Array.Clear(request.Password, 0, request.Password.Length);
            }
        }

        /// <param name="limitsKey">The caller's own limits key from the grant (F24), handed to the session; null when the grant has none.</param>
        private PeerChannel DialAddresses(ConnectionGrant grant, byte[] key, byte[] limitsKey, PeerRequest request)
        {
            string[] addresses = Addresses(grant);
            PeerException failed = null;
            for (int i = 0; i < addresses.Length; i++)
            {
                IPeerConnection connection = TryConnect(addresses[i], grant.CalleeLocalPort, grant.SessionId);
                if (connection == null)
                {
                    continue;
                }

                try
                {
                    return Establish(connection, addresses[i], grant, key, limitsKey, request);
                }
                catch (CalleeRefusal e)
                {
                    throw e.Refusal;
                }
                catch (PeerException e)
                {
                    // Whoever answered there did not prove the key: try the next address.
                    failed = e;
                }
            }

            if (failed != null)
            {
                throw failed;
            }

            _log.Event("peer.unreachable", "session " + grant.SessionId);
            throw new PeerException(ErrorCodes.CalleeUnreachable, "no address of " + grant.CalleeTerminalId + " answered");
        }

        /// <summary>The punched or relayed path: the punch (punched only), else the relay, then the same handshake on what it gave.</summary>
        private PeerChannel DialRendezvous(ConnectionGrant grant, byte[] key, byte[] limitsKey, PeerRequest request)
        {
            RendezvousPath rendezvous = Rendezvous;
            if (rendezvous == null)
            {
                _log.Event("peer.unreachable", "session " + grant.SessionId + ": path " + grant.Path + ", and this device has no rendezvous network");
                throw new PeerException(ErrorCodes.CalleeUnreachable, "a " + grant.Path + " grant, and this device cannot reach the rendezvous endpoint");
            }

            RendezvousLink link;
            try
            {
                link = rendezvous.Open(grant.Path, grant.RendezvousHost, grant.RendezvousPort, grant.RendezvousTicket, grant.SessionId);
            }
            catch (ArgumentException e)
            {
                throw new PeerException(ErrorCodes.PeerRequestInvalid, "unusable connection grant: " + e.Message);
            }

            if (link == null)
            {
                _log.Event("peer.unreachable", "session " + grant.SessionId + ": neither punch nor relay");
                throw new PeerException(ErrorCodes.CalleeUnreachable, "no punch and no relay to " + grant.CalleeTerminalId);
            }

            try
            {
                PeerChannel channel = Establish(link.Connection, link.Path + " via " + grant.RendezvousHost, grant, key, limitsKey, request);
                channel.Path = link.Path;
                return channel;
            }
            catch (CalleeRefusal e)
            {
                throw e.Refusal;
            }
        }

        /// <summary>The reverse path: wait (bounded) for the callee's verified connection, then the same handshake on it.</summary>
        private PeerChannel DialReverse(ConnectionGrant grant, byte[] key, byte[] limitsKey, PeerRequest request)
        {
            ReverseBook reverse = Reverse;
            if (reverse == null)
            {
                throw new PeerException(ErrorCodes.PeerRequestInvalid, "a reverse grant, and this device has no listener for its callee to connect to");
            }

            ReverseWait wait = reverse.Await(grant.SessionId, key);
            _log.Event("peer.reverse-wait", "session " + grant.SessionId + ": up to " + ReverseWaitMillis.ToString() + " ms for " + grant.CalleeTerminalId + " to connect");
            IPeerConnection connection = wait.Take(ReverseWaitMillis);
            if (connection == null)
            {
                _log.Event("peer.reverse-timeout", "session " + grant.SessionId);
                throw new PeerException(ErrorCodes.ReverseConnectTimeout, "the callee did not connect within " + ReverseWaitMillis.ToString() + " ms");
            }

            try
            {
                return Establish(connection, connection.RemoteIp + " (reverse)", grant, key, limitsKey, request);
            }
            catch (CalleeRefusal e)
            {
                throw e.Refusal;
            }
        }

        /// <summary>The caller's handshake on one connection; closed and logged when it fails (a <see cref="CalleeRefusal"/> for a verified Close).</summary>
        private PeerChannel Establish(IPeerConnection connection, string where, ConnectionGrant grant, byte[] key, byte[] limitsKey, PeerRequest request)
        {
            PeerChannel channel = new PeerChannel(connection, new FrameCodec(_crypto, key, true), _crypto, _clock, _log, grant.SessionId, grant.CalleeTerminalId);
            try
            {
                Handshake(channel, connection, grant, request);
            }
            catch (CalleeRefusal)
            {
                throw;
            }
            catch (PeerException e)
            {
                connection.Close();
                _log.Event("peer.dial-failed", "session " + grant.SessionId + " at " + where + ": " + e.Code);
                throw;
            }

            channel.Attach(new PeerSession(grant.SessionId, grant.SessionEndsAt, grant.SessionByteLimit, _clock, limitsKey));
            SessionTable sessions = Sessions;
            if (sessions != null)
            {
                sessions.Add(channel);
            }

            _log.Event("peer.connected", "session " + grant.SessionId + " to " + grant.CalleeTerminalId + " at " + where);
            return channel;
        }

        private void Handshake(PeerChannel channel, IPeerConnection connection, ConnectionGrant grant, PeerRequest request)
        {
            // The preamble and the request share one buffer, sized for the bigger of the two.
            byte[] scratch = new byte[PeerRequest.MaxLength];
            try
            {
                int preambleLength = PeerPreamble.Write(grant.SessionId, scratch, 0);
                if (!connection.Write(scratch, 0, preambleLength))
                {
                    throw new PeerException(ErrorCodes.CalleeUnreachable, "the callee dropped the connection");
                }

                int requestLength = request.Write(scratch, 0);
                channel.SendFrame(FrameTypes.Request, scratch, 0, requestLength);
            }
            finally
            {
                Array.Clear(scratch, 0, scratch.Length);
            }

            ExpectAccept(channel, request);
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
                // The Close frame verified under the session key: the real callee refused.
                string reason = channel.PeerClosed(length);
                throw new CalleeRefusal(new PeerException(reason, "the callee refused: " + reason));
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

            bool proven = length == AcceptProof.Length && AuthProofs.FixedTimeEquals(expected, proof);
            Array.Clear(expected, 0, expected.Length);
            Array.Clear(proof, 0, proof.Length);
            if (!proven)
            {
                throw channel.Fail(ErrorCodes.PeerPasswordWrong, "the callee does not know the password");
            }
        }

        /// <summary>A refusal from the real callee (its Close frame verified): no other address is tried.</summary>
        private class CalleeRefusal : Exception
        {
            public CalleeRefusal(PeerException refusal)
            {
                Refusal = refusal;
            }

            public PeerException Refusal { get; }
        }
    }
}
