using System;
using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Device.Triggers;
using PeerGate.Protocol;

namespace PeerGate.Device.Connections
{
    /// <summary>Session offers from the trigger channel into the callee's <see cref="OfferBook"/>, where the peer handshake spends them.</summary>
    public class OfferBookSink : ISessionOfferSink
    {
        private readonly OfferBook _offers;
        private readonly IDeviceLog _log;

        public OfferBookSink(OfferBook offers, IDeviceLog log)
        {
            _offers = offers ?? throw new ArgumentNullException(nameof(offers));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        public void Offer(Trigger offer)
        {
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
        }

        public void Expect(string sessionId)
        {
            _offers.Expect(sessionId);
        }
    }
}
