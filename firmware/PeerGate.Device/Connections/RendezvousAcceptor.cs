using System;
using System.Threading;
using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Device.Rendezvous;

namespace PeerGate.Device.Connections
{
    /// <summary>
    /// The callee's side of the punched and relayed paths (F37): for a session offer on one of them it
    /// goes to the rendezvous endpoint with the offer's ticket (the punch first for punched, then the
    /// relay), and plays the acceptor on the connection it gets through <see cref="PeerServer.ServeConnection"/>,
    /// exactly as on one its listener accepted but without a listener slot (a relayed connection's
    /// remote address is the server's, so the per-source limits would mean nothing). One offer at a time
    /// on its own thread: the path's punch and relay share one buffer, and a board holds one TLS
    /// rendezvous connection at a time anyway.
    /// </summary>
    public class RendezvousAcceptor
    {
        private readonly RendezvousPath _path;
        private readonly PeerServer _server;
        private readonly IDeviceLog _log;
        private readonly object _gate = new object();

        public RendezvousAcceptor(RendezvousPath path, PeerServer server, IDeviceLog log)
        {
            _path = path ?? throw new ArgumentNullException(nameof(path));
            _server = server ?? throw new ArgumentNullException(nameof(server));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        /// <summary>Starts meeting the caller for the offer; false when the offer names no usable endpoint.</summary>
        public bool Connect(string sessionId, string path, string host, int port, string ticket)
        {
            if (!RendezvousPath.IsRendezvous(path) || host == null || host.Length == 0 || port <= 0 || port > 65535 || ticket == null || ticket.Length == 0)
            {
                _log.Event("peer.rendezvous-unusable", "session " + sessionId + ": the offer names no rendezvous endpoint");
                return false;
            }

            Job job = new Job(this, sessionId, path, host, port, ticket);
            new Thread(job.Run).Start();
            return true;
        }

        private void Run(Job job)
        {
            RendezvousLink link;
            lock (_gate)
            {
                _log.Event("peer.rendezvous", "session " + job.SessionId + ": " + job.Path + " via " + job.Host + ":" + job.Port.ToString());
                link = _path.Open(job.Path, job.Host, job.Port, job.Ticket, job.SessionId);
            }

            if (link == null)
            {
                _log.Event("peer.rendezvous-failed", "session " + job.SessionId + ": neither punch nor relay");
                return;
            }

            _log.Event("peer.rendezvous-connected", "session " + job.SessionId + " on the " + link.Path + " path");
            _server.ServeConnection(link.Connection);
        }

        /// <summary>One offer's thread (a non-generic closure for nanoFramework 1.x).</summary>
        private class Job
        {
            private readonly RendezvousAcceptor _owner;

            public Job(RendezvousAcceptor owner, string sessionId, string path, string host, int port, string ticket)
            {
                _owner = owner;
                SessionId = sessionId;
                Path = path;
                Host = host;
                Port = port;
                Ticket = ticket;
            }

            public string SessionId { get; }

            public string Path { get; }

            public string Host { get; }

            public int Port { get; }

            public string Ticket { get; }

            public void Run()
            {
                try
                {
                    _owner.Run(this);
                }
                catch (Exception e)
                {
                    _owner._log.Event("peer.rendezvous-failed", "session " + SessionId + ": " + e.Message);
                }
            }
        }
    }
}
