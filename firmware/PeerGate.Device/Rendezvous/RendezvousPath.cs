using System;
using PeerGate.Device.Platform;
using PeerGate.Protocol;
using PeerGate.Protocol.Rendezvous;

namespace PeerGate.Device.Rendezvous
{
    /// <summary>
    /// One side's way through the rendezvous endpoint (F37): for the punched path the hole punch first
    /// and, when it gets no connection, the relay with the same ticket; for the relayed path the relay
    /// only. The connection it gives is what the peer handshake runs on next, exactly as on a dialled
    /// or accepted one. One instance serves one side at a time (its punch and relay share a buffer):
    /// the caller and the callee role each get their own.
    /// </summary>
    public class RendezvousPath
    {
        private readonly IDeviceLog _log;

        public RendezvousPath(IRendezvousNetwork network, IClock clock, IDeviceLog log)
        {
            if (network == null || clock == null || log == null)
            {
                throw new ArgumentNullException(network == null ? nameof(network) : clock == null ? nameof(clock) : nameof(log));
            }

            _log = log;
            Puncher = new HolePuncher(network, clock, log);
            Relay = new RelayConnector(network, clock, log);
            PunchEnabled = true;
        }

        /// <summary>The punch (its timeouts may be tuned).</summary>
        public HolePuncher Puncher { get; }

        /// <summary>The relay (its timeouts may be tuned).</summary>
        public RelayConnector Relay { get; }

        /// <summary>False: the punched path goes straight to the relay (a board where the punch costs too much).</summary>
        public bool PunchEnabled { get; set; }

        /// <summary>True for the paths that meet at the rendezvous endpoint.</summary>
        public static bool IsRendezvous(string path)
        {
            return path == ConnectionPaths.Punched || path == ConnectionPaths.Relayed;
        }

        /// <summary>
        /// The connection to the peer for <paramref name="path"/> (punched or relayed), or null when neither
        /// the punch nor the relay gave one. <see cref="RendezvousLink.Path"/> says which did. The ticket
        /// (Base64 of 32 bytes) is wiped after use and never logged.
        /// </summary>
        /// <exception cref="ArgumentException">No endpoint or no usable ticket named.</exception>
        public RendezvousLink Open(string path, string host, int port, string ticketBase64, string sessionId)
        {
            if (!IsRendezvous(path))
            {
                throw new ArgumentException("not a rendezvous path: " + path);
            }

            if (host == null || host.Length == 0 || port <= 0 || port > 65535)
            {
                throw new ArgumentException("no rendezvous endpoint named");
            }

            byte[] ticket;
            try
            {
                ticket = Convert.FromBase64String(ticketBase64 == null ? string.Empty : ticketBase64);
            }
            catch (Exception)
            {
                // The message names the field only: the value is a secret.
                throw new ArgumentException("rendezvous ticket is not Base64");
            }

            if (ticket.Length != RendezvousHello.TicketLength)
            {
                Array.Clear(ticket, 0, ticket.Length);
                throw new ArgumentException("rendezvous ticket is not 32 bytes");
            }

            try
            {
                if (path == ConnectionPaths.Punched && PunchEnabled)
                {
                    IPeerConnection punched = Puncher.Punch(host, port, ticket);
                    if (punched != null)
                    {
                        return new RendezvousLink(punched, ConnectionPaths.Punched);
                    }

                    _log.Event(
                        Puncher.Skipped ? "rendezvous.relay-at-once" : "rendezvous.fallback",
                        "session " + sessionId + (Puncher.Skipped ? ": the server skipped the punch, trying the relay" : ": no punch, trying the relay"));
                }

                IPeerConnection relayed = Relay.Connect(host, port, ticket);
                return relayed == null ? null : new RendezvousLink(relayed, ConnectionPaths.Relayed);
            }
            finally
            {
                Array.Clear(ticket, 0, ticket.Length);
            }
        }
    }

    /// <summary>A connection to the peer and the path that gave it (punched or relayed).</summary>
    public class RendezvousLink
    {
        public RendezvousLink(IPeerConnection connection, string path)
        {
            Connection = connection;
            Path = path;
        }

        public IPeerConnection Connection { get; }

        public string Path { get; }
    }
}
