using System;
using PeerGate.Device.Platform;
using PeerGate.Protocol.Rendezvous;

namespace PeerGate.Device.Rendezvous
{
    /// <summary>
    /// The device side of the punched path (F37): connects to the server's rendezvous endpoint with this
    /// side's ticket in punch mode, learns from the answer the address and port the server observed for
    /// the peer, then dials that endpoint from the same local port the server saw for this side, while
    /// the peer does the same towards it: the two SYNs open both NATs' mappings and meet (TCP
    /// simultaneous open). Attempts repeat within a bound. Null means fall back to the relay, with the
    /// same ticket in relay mode (<see cref="RelayConnector"/>).
    ///
    /// When the endpoint invites a probe, the device connects from the same local port to the probe port
    /// the invitation names: the server compares the public ports its NAT gave the two connections and,
    /// when either side's mapping is port-dependent, answers "relay now" instead of the peer; then no
    /// punch is tried (<see cref="Skipped"/>). The device itself learns and declares nothing.
    /// </summary>
    public class HolePuncher
    {
        /// <summary>
        /// How long attempts to reach the peer go on after the start instant. Where the peer's router
        /// refuses an early SYN (RST), a meeting needs both sides dialling at the same moment, which a loaded
        /// machine gives in short stretches: the window is long enough for many (docs/rendezvous.md).
        /// </summary>
        public const int DefaultPunchWindowMillis = 10000;

        /// <summary>One attempt: a lost SYN is resent by TCP after 1 s, so an attempt outlives one resend.</summary>
        public const int DefaultAttemptTimeoutMillis = 1500;

        /// <summary>
        /// The most attempts in one window. Through a NAT that drops an early SYN an attempt waits out its
        /// timeout, so a window holds a few; where the early SYN is refused at once (RST: a peer reachable
        /// without NAT, or a router answering for a port it holds no mapping of) an attempt lives one round
        /// trip and only one in flight when the peer's SYN arrives meets it, so the next follows at once;
        /// this cap bounds the sockets one window opens.
        /// </summary>
        public const int DefaultMaxAttempts = 20000;

        /// <summary>The probe's TCP, TLS and answer together; below the server's 5 s wait for it.</summary>
        public const int DefaultProbeTimeoutMillis = 4000;

        private readonly IRendezvousNetwork _network;
        private readonly IClock _clock;
        private readonly IDeviceLog _log;
        private readonly byte[] _buffer = new byte[RendezvousHello.MaxLength];
        private readonly RendezvousHello _reader = new RendezvousHello();

        public HolePuncher(IRendezvousNetwork network, IClock clock, IDeviceLog log)
        {
            if (network == null || clock == null || log == null)
            {
                throw new ArgumentNullException(network == null ? nameof(network) : clock == null ? nameof(clock) : nameof(log));
            }

            _network = network;
            _clock = clock;
            _log = log;
            ConnectTimeoutMillis = RelayConnector.DefaultConnectTimeoutMillis;
            PairWaitMillis = RelayConnector.DefaultPairWaitMillis;
            PunchWindowMillis = DefaultPunchWindowMillis;
            AttemptTimeoutMillis = DefaultAttemptTimeoutMillis;
            MaxAttempts = DefaultMaxAttempts;
            ProbeTimeoutMillis = DefaultProbeTimeoutMillis;
        }

        public int ConnectTimeoutMillis { get; set; }

        public int PairWaitMillis { get; set; }

        public int PunchWindowMillis { get; set; }

        public int AttemptTimeoutMillis { get; set; }

        public int MaxAttempts { get; set; }

        public int ProbeTimeoutMillis { get; set; }

        /// <summary>True when the last <see cref="Punch"/> was answered "relay now": the server skipped the punch.</summary>
        public bool Skipped { get; private set; }

        /// <summary>The peer's endpoint of the last answer (for logs and tests); null before one.</summary>
        public string PeerIp { get; private set; }

        public int PeerPort { get; private set; }

        /// <summary>How many connects the last <see cref="PunchTo"/> made (for logs and tests).</summary>
        public int Attempts { get; private set; }

        /// <summary>
        /// A direct connection to the peer, ready for the peer handshake, or null (endpoint unreachable,
        /// ticket refused, the peer did not arrive, or no attempt got through). Never logs the ticket.
        /// </summary>
        public IPeerConnection Punch(string host, int port, byte[] ticket)
        {
            if (ticket == null || ticket.Length != RendezvousHello.TicketLength)
            {
                throw new ArgumentException("the ticket is 32 bytes", nameof(ticket));
            }

            PeerIp = null;
            PeerPort = 0;
            Skipped = false;
            IRendezvousConnection server = _network.ConnectServer(host, port, 0, ConnectTimeoutMillis);
            if (server == null)
            {
                _log.Event("punch.unreachable", host + ":" + port.ToString());
                return null;
            }

            int localPort = server.LocalPort;
            long startAt;
            lock (_buffer)
            {
                long deadline = _clock.UptimeMillis + PairWaitMillis;
                int length = RendezvousHello.WriteHello(_buffer, RendezvousHello.TypePunch, ticket);
                bool sent = server.Write(_buffer, 0, length);
                Array.Clear(_buffer, 0, length);
                int answer = sent
                    ? RendezvousAnswer.ReadOneOf(server, _clock, deadline, _buffer, _reader, RendezvousHello.TypeProbeAt, RendezvousHello.TypePunchPeer, RendezvousHello.TypeRelayNow)
                    : -1;
                if (answer == RendezvousHello.TypeProbeAt)
                {
                    // While this connection waits for the pair, the second one shows the server this port's mapping to another port.
                    Probe(host, _reader.Port, localPort, ticket);
                    answer = RendezvousAnswer.ReadOneOf(server, _clock, deadline, _buffer, _reader, RendezvousHello.TypePunchPeer, RendezvousHello.TypeRelayNow, RendezvousHello.TypeRelayNow);
                }

                // The start counts from the answer's arrival, not from after this side's own work on it
                // (closing the TLS session, logging), so the two sides start as close together as the server sent.
                long answeredAt = _clock.UptimeMillis;
                server.Close();
                if (answer == RendezvousHello.TypeRelayNow)
                {
                    Skipped = true;
                    _log.Event("punch.skipped", "the server found a port-dependent mapping: relay at once");
                    return null;
                }

                if (answer != RendezvousHello.TypePunchPeer)
                {
                    _log.Event("punch.refused", "no punch answer (ticket refused, or the peer did not arrive)");
                    return null;
                }

                PeerIp = _reader.AddressText();
                PeerPort = _reader.Port;
                startAt = answeredAt + _reader.StartDelayMillis;
            }

            long wait = startAt - _clock.UptimeMillis;
            if (wait > 0)
            {
                _clock.Sleep((int)wait, null);
            }

            IPeerConnection peer = PunchTo(localPort, PeerIp, PeerPort);
            _log.Event(peer == null ? "punch.failed" : "punch.connected", PeerIp + ":" + PeerPort.ToString() + " attempts " + Attempts.ToString());
            return peer;
        }

        /// <summary>
        /// Connects from <paramref name="localPort"/> to the probe port and sends the probe hello, within
        /// <see cref="ProbeTimeoutMillis"/>. Whatever happens, the punch goes on: without the probe the server
        /// decides as it would without the probe port.
        /// </summary>
        private void Probe(string host, int probePort, int localPort, byte[] ticket)
        {
            long deadline = _clock.UptimeMillis + ProbeTimeoutMillis;
            IRendezvousConnection probe = _network.ConnectServer(host, probePort, localPort, ProbeTimeoutMillis);
            if (probe == null)
            {
                _log.Event("punch.probe-failed", host + ":" + probePort.ToString());
                return;
            }

            int length = RendezvousHello.WriteHello(_buffer, RendezvousHello.TypeProbe, ticket);
            bool sent = probe.Write(_buffer, 0, length);
            Array.Clear(_buffer, 0, length);
            bool seen = sent && RendezvousAnswer.ReadOneOf(probe, _clock, deadline, _buffer, _reader, RendezvousHello.TypeProbeSeen, RendezvousHello.TypeProbeSeen, RendezvousHello.TypeProbeSeen) == RendezvousHello.TypeProbeSeen;
            probe.Close();
            _log.Event(seen ? "punch.probe-seen" : "punch.probe-failed", seen ? _reader.AddressText() + ":" + _reader.Port.ToString() : host + ":" + probePort.ToString());
        }

        /// <summary>Dials the peer from <paramref name="localPort"/> until one attempt stands or the window ends; a refused attempt is followed at once.</summary>
        public IPeerConnection PunchTo(int localPort, string peerIp, int peerPort)
        {
            long deadline = _clock.UptimeMillis + PunchWindowMillis;
            Attempts = 0;
            while (Attempts < MaxAttempts)
            {
                long left = deadline - _clock.UptimeMillis;
                if (left <= 0)
                {
                    break;
                }

                Attempts++;
                IPeerConnection connection = _network.ConnectFrom(localPort, peerIp, peerPort, left < AttemptTimeoutMillis ? (int)left : AttemptTimeoutMillis);
                if (connection != null)
                {
                    return connection;
                }
            }

            return null;
        }
    }
}
