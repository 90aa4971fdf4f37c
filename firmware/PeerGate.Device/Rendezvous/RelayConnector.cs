using System;
using PeerGate.Device.Platform;
using PeerGate.Protocol.Rendezvous;

namespace PeerGate.Device.Rendezvous
{
    /// <summary>
    /// The device side of the relayed path (F37): connects out to the server's rendezvous endpoint,
    /// presents this side's relay ticket, and waits until the server says the other side is there.
    /// The connection it returns is then a byte pipe to the peer, ready for the peer handshake
    /// (PeerDialer's preamble and Request on the caller, PeerAcceptor on the callee): the relay sees
    /// only the peer channel's frames, encrypted and MACed under the session key it does not have.
    /// </summary>
    public class RelayConnector
    {
        /// <summary>TCP and TLS to the endpoint together.</summary>
        public const int DefaultConnectTimeoutMillis = 10000;

        /// <summary>Above the server's wait for a lone side (15 s), so the server, not this side, gives up first.</summary>
        public const int DefaultPairWaitMillis = 20000;

        private readonly IRendezvousNetwork _network;
        private readonly IClock _clock;
        private readonly IDeviceLog _log;
        private readonly byte[] _buffer = new byte[RendezvousHello.MaxLength];
        private readonly RendezvousHello _reader = new RendezvousHello();

        public RelayConnector(IRendezvousNetwork network, IClock clock, IDeviceLog log)
        {
            if (network == null || clock == null || log == null)
            {
                throw new ArgumentNullException(network == null ? nameof(network) : clock == null ? nameof(clock) : nameof(log));
            }

            _network = network;
            _clock = clock;
            _log = log;
            ConnectTimeoutMillis = DefaultConnectTimeoutMillis;
            PairWaitMillis = DefaultPairWaitMillis;
        }

        public int ConnectTimeoutMillis { get; set; }

        public int PairWaitMillis { get; set; }

        /// <summary>
        /// A connection spliced to the peer, or null when the endpoint cannot be reached, refuses the ticket
        /// (it closes without an answer) or the peer does not arrive in time. Never logs the ticket.
        /// </summary>
        public IPeerConnection Connect(string host, int port, byte[] ticket)
        {
            if (ticket == null || ticket.Length != RendezvousHello.TicketLength)
            {
                throw new ArgumentException("the ticket is 32 bytes", nameof(ticket));
            }

            IRendezvousConnection connection = _network.ConnectServer(host, port, 0, ConnectTimeoutMillis);
            if (connection == null)
            {
                _log.Event("relay.unreachable", host + ":" + port.ToString());
                return null;
            }

            lock (_buffer)
            {
                int length = RendezvousHello.WriteHello(_buffer, RendezvousHello.TypeRelay, ticket);
                bool sent = connection.Write(_buffer, 0, length);
                Array.Clear(_buffer, 0, length);
                if (!sent || !RendezvousAnswer.Read(connection, _clock, PairWaitMillis, _buffer, _reader, RendezvousHello.TypeRelayReady))
                {
                    connection.Close();
                    _log.Event("relay.refused", "no relay answer (ticket refused, or the peer did not arrive)");
                    return null;
                }
            }

            _log.Event("relay.ready", host + ":" + port.ToString());
            return connection;
        }
    }
}
