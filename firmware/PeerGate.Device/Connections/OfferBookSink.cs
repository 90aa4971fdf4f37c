using System;
using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Device.Triggers;
using PeerGate.Protocol;

namespace PeerGate.Device.Connections
{
    /// <summary>
    /// Session offers from the trigger channel into the callee's <see cref="OfferBook"/>, where the peer
    /// handshake spends them. With a <see cref="ConnectionPassword"/> an offer is taken only when the
    /// caller supplied the same one (F30); a refused offer never enters the book, so this device neither
    /// accepts its caller nor connects out to it. An offer on the reverse path makes it connect out; one on
    /// the punched or relayed path makes it meet the caller at the rendezvous endpoint.
    /// </summary>
    public class OfferBookSink : ISessionOfferSink
    {
        private readonly OfferBook _offers;
        private readonly IDeviceLog _log;

        public OfferBookSink(OfferBook offers, IDeviceLog log)
        {
            _offers = offers ?? throw new ArgumentNullException(nameof(offers));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        /// <summary>This device's connection password (DeviceConfig.ConnectionPassword); null for none, and then the offer's is ignored.</summary>
        public string ConnectionPassword { get; set; }

        /// <summary>Connects out for reverse offers; null: a reverse offer is kept but nothing connects.</summary>
        public ReverseConnector Reverse { get; set; }

        /// <summary>Meets the caller at the rendezvous endpoint for punched and relayed offers; null: such an offer is kept but nothing connects.</summary>
        public RendezvousAcceptor Rendezvous { get; set; }

        public void Offer(Trigger offer)
        {
            string password = ConnectionPassword;
            if (password != null && password.Length > 0 && !ConnectionPasswords.Matches(password, offer.DevicePassword))
            {
                // No secret in the line: only which session and caller were refused.
                _offers.Unexpect(offer.SessionId);
                _log.Event("connection-password-refused", "session " + offer.SessionId + " from " + offer.PeerTerminalId);
                return;
            }

            PeerOffer peerOffer;
            try
            {
                peerOffer = PeerOffer.FromTrigger(offer);
            }
            catch (ArgumentException e)
            {
                // The message names the field, never its value.
                _log.Event("trigger.offer-invalid", "session " + offer.SessionId + ": " + e.Message);
                return;
            }

            _offers.Add(peerOffer);
            if (offer.Path == ConnectionPaths.Reverse)
            {
                ReverseConnector reverse = Reverse;
                if (reverse == null)
                {
                    _log.Event("peer.reverse-unreachable", "session " + offer.SessionId + ": this device does not connect out");
                }
                else
                {
                    reverse.Connect(peerOffer, offer.PeerObservedIp, offer.PeerObservedPort);
                }
            }
            else if (offer.Path == ConnectionPaths.Punched || offer.Path == ConnectionPaths.Relayed)
            {
                // Only now, after the connection-password check: a refused offer never reaches the endpoint.
                RendezvousAcceptor rendezvous = Rendezvous;
                if (rendezvous == null)
                {
                    _log.Event("peer.rendezvous-unusable", "session " + offer.SessionId + ": this device has no rendezvous network");
                }
                else
                {
                    rendezvous.Connect(offer.SessionId, offer.Path, offer.RendezvousHost, offer.RendezvousPort, offer.RendezvousTicket);
                }
            }
        }

        public void Expect(string sessionId)
        {
            _offers.Expect(sessionId);
        }
    }
}
