using System;
using System.Threading;
using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Connections
{
    /// <summary>
    /// The callee's side of reverse connect (F30): for a session offer on the reverse path it connects
    /// out to the caller's address (as the server observed it, at the port the caller listens on), sends
    /// the reverse preamble that proves the session key (<see cref="ReversePreamble"/>), and then plays the
    /// acceptor on that connection through <see cref="PeerServer.ServeConnection"/>, exactly as on a
    /// connection its listener accepted. Each connect runs on its own thread, bounded by the connect timeout.
    /// </summary>
    public class ReverseConnector
    {
        /// <summary>Connect timeout to the caller's listener.</summary>
        public const int ConnectMillis = 5000;

        private readonly IPeerNetwork _network;
        private readonly IPeerCrypto _crypto;
        private readonly PeerServer _server;
        private readonly IDeviceLog _log;

        public ReverseConnector(IPeerNetwork network, IPeerCrypto crypto, PeerServer server, IDeviceLog log)
        {
            _network = network ?? throw new ArgumentNullException(nameof(network));
            _crypto = crypto ?? throw new ArgumentNullException(nameof(crypto));
            _server = server ?? throw new ArgumentNullException(nameof(server));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        /// <summary>Starts connecting to <paramref name="ip"/>:<paramref name="port"/> for the offer; false when the address is unusable.</summary>
        public bool Connect(PeerOffer offer, string ip, int port)
        {
            if (offer == null)
            {
                throw new ArgumentNullException(nameof(offer));
            }

            if (ip == null || ip.Length == 0 || port <= 0 || port > 65535)
            {
                _log.Event("peer.reverse-unreachable", "session " + offer.SessionId + ": the offer names no caller address");
                return false;
            }

            // The tag now, while the offer's key is surely there: it is wiped once the offer is spent.
            byte[] tag = ReversePreamble.Tag(_crypto, offer.Key, offer.SessionId);
            byte[] preamble = new byte[ReversePreamble.MaxLength];
            int length = ReversePreamble.Write(offer.SessionId, tag, preamble, 0);
            Array.Clear(tag, 0, tag.Length);
            Job job = new Job(this, offer.SessionId, ip, port, preamble, length);
            new Thread(job.Run).Start();
            return true;
        }

        private void Run(Job job)
        {
            string where = job.Ip + ":" + job.Port.ToString();
            _log.Event("peer.reverse-dial", "session " + job.SessionId + " to " + where);
            IPeerConnection connection = _network.Connect(job.Ip, job.Port, ConnectMillis);
            if (connection == null)
            {
                _log.Event("peer.reverse-unreachable", "session " + job.SessionId + " at " + where);
                return;
            }

            if (!connection.Write(job.Preamble, 0, job.Length))
            {
                _log.Event("peer.reverse-unreachable", "session " + job.SessionId + " at " + where + ": the connection dropped");
                connection.Close();
                return;
            }

            _server.ServeConnection(connection);
        }

        /// <summary>One connect's thread (a non-generic closure for nanoFramework 1.x).</summary>
        private class Job
        {
            private readonly ReverseConnector _owner;

            public Job(ReverseConnector owner, string sessionId, string ip, int port, byte[] preamble, int length)
            {
                _owner = owner;
                SessionId = sessionId;
                Ip = ip;
                Port = port;
                Preamble = preamble;
                Length = length;
            }

            public string SessionId { get; }

            public string Ip { get; }

            public int Port { get; }

            public byte[] Preamble { get; }

            public int Length { get; }

            public void Run()
            {
                try
                {
                    _owner.Run(this);
                }
                catch (Exception e)
                {
                    _owner._log.Event("peer.reverse-failed", "session " + SessionId + ": " + e.Message);
                }
            }
        }
    }
}
