using System;
using PeerGate.Device.Api;
using PeerGate.Device.Load;
using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Device.Registry;
using PeerGate.Device.Sessions;
using PeerGate.Protocol;

namespace PeerGate.Device.Triggers
{
    /// <summary>
    /// Acts on each trigger by kind: a status query is answered from the <see cref="LoadMonitor"/>
    /// (F17), a session offer goes to the callee side (F18), a permit query is answered with the
    /// device-held lists (F15), session-end closes the named session (F26) and session-limits applies
    /// new limits to it (F24); anything else is logged and skipped.
    /// </summary>
    public class TriggerDispatcher : ITriggerHandler
    {
        private readonly ApiClient _api;
        private readonly ICertificateHolder _holder;
        private readonly LoadMonitor _load;
        private readonly IDeviceLog _log;
        private readonly AnsweredOffers _answered = new AnsweredOffers();
        private ISessionOfferSink _offers;

        public TriggerDispatcher(ApiClient api, ICertificateHolder holder, LoadMonitor load, IDeviceLog log)
        {
            _api = api ?? throw new ArgumentNullException(nameof(api));
            _holder = holder ?? throw new ArgumentNullException(nameof(holder));
            _load = load ?? throw new ArgumentNullException(nameof(load));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        /// <summary>Where session offers go; without one they are logged and dropped (the device does not accept peers).</summary>
        public ISessionOfferSink Offers
        {
            get { return _offers; }
            set { _offers = value; }
        }

        /// <summary>The session offers taken from the answers to status replies; the poller skips them when a poll brings them again.</summary>
        public AnsweredOffers Answered
        {
            get { return _answered; }
        }

        /// <summary>The running sessions that session-end and session-limits reach; null when the device runs none.</summary>
        public SessionTable Sessions { get; set; }

        /// <summary>The device-held permit list sent on a permit query (F15); null or empty permits no one.</summary>
        public PermitEntry[] DevicePermits { get; set; }

        /// <summary>The device-held deny list; a deny entry wins over a permit entry.</summary>
        public PermitEntry[] DeviceDenies { get; set; }

        /// <summary>False makes the device ignore status queries (a test stand-in for a callee that never answers).</summary>
        public bool AnswerStatusQueries { get; set; } = true;

        public void Handle(Trigger trigger)
        {
            if (trigger.Kind == TriggerKinds.StatusQuery)
            {
                AnswerStatusQuery(trigger);
            }
            else if (trigger.Kind == TriggerKinds.SessionOffer)
            {
                TakeOffer(trigger);
            }
            else if (trigger.Kind == TriggerKinds.PermitQuery)
            {
                AnswerPermitQuery(trigger);
            }
            else if (trigger.Kind == TriggerKinds.SessionEnd)
            {
                EndSession(trigger);
            }
            else if (trigger.Kind == TriggerKinds.SessionLimits)
            {
                ApplyLimits(trigger);
            }
            else
            {
                _log.Event("trigger.unknown", "seq " + trigger.Seq.ToString() + " kind '" + trigger.Kind + "' skipped");
            }
        }

        private void AnswerStatusQuery(Trigger trigger)
        {
            if (!AnswerStatusQueries)
            {
                _log.Event("trigger.status-query", "seq " + trigger.Seq.ToString() + " left unanswered");
                return;
            }

            CertificateResponse certificate = _holder.Certificate;
            if (certificate == null)
            {
                return;
            }

            TriggerReply reply = _load.Assess(trigger.Seq);
            string detail = "seq " + trigger.Seq.ToString() + ": " + reply.Status;
            if (reply.Status == AcceptStatus.Busy)
            {
                detail = detail + " (" + reply.Reason + ", retry after " + reply.RetryAfterSeconds.ToString() + " s)";
            }

            // Noted before the answer leaves: once the server has it, the offer and the caller may come at once.
            ISessionOfferSink offers = _offers;
            if (offers != null && reply.Status == AcceptStatus.Acceptable && trigger.SessionId != null)
            {
                offers.Expect(trigger.SessionId);
            }

            TriggerReplyAnswer answer;
            try
            {
                answer = (TriggerReplyAnswer)_api.PostOptional(certificate.RegistryUrl, Routes.TriggerReplies, reply, typeof(TriggerReplyAnswer), certificate.Certificate);
                _log.Event("trigger.status-query", detail);
            }
            catch (ApiException e)
            {
                // The server's wait ends by its own timeout and the caller hears callee_unreachable; an
                // offer issued all the same comes by poll.
                _log.Event("trigger.reply-failed", detail + ": " + e.Code);
                return;
            }

            // The session offer in the answer (a server that sends none answers 204, and the offer comes by poll).
            Trigger offer = answer == null ? null : answer.Offer;
            if (offer != null && offer.Kind == TriggerKinds.SessionOffer && offer.SessionId == trigger.SessionId)
            {
                TakeOffer(offer);
                _answered.Add(offer.Seq);
            }
        }

        private void AnswerPermitQuery(Trigger trigger)
        {
            CertificateResponse certificate = _holder.Certificate;
            if (certificate == null)
            {
                return;
            }

            TriggerReply reply = new TriggerReply();
            reply.Seq = trigger.Seq;
            reply.Permits = DevicePermits ?? new PermitEntry[0];
            reply.Denies = DeviceDenies ?? new PermitEntry[0];
            string detail = "seq " + trigger.Seq.ToString() + " for " + trigger.PeerTerminalId + ": "
                + reply.Permits.Length.ToString() + " permit(s), " + reply.Denies.Length.ToString() + " deny entries";
            try
            {
                _api.Send(certificate.RegistryUrl, Routes.TriggerReplies, reply, certificate.Certificate);
                _log.Event("trigger.permit-query", detail);
            }
            catch (ApiException e)
            {
                // The server's wait ends by its own timeout and the caller hears callee_unreachable.
                _log.Event("trigger.reply-failed", detail + ": " + e.Code);
            }
        }

        private void EndSession(Trigger trigger)
        {
            PeerChannel channel = FindSession(trigger);
            if (channel == null)
            {
                return;
            }

            // The Close frame goes out now; the session's own thread sends the end notice as it finishes.
            _log.Event("trigger.session-end", "session " + trigger.SessionId);
            channel.EndSession(SessionEndReasons.Terminated);
        }

        private void ApplyLimits(Trigger trigger)
        {
            PeerChannel channel = FindSession(trigger);
            if (channel == null || channel.Session == null)
            {
                return;
            }

            SessionLimits limits = new SessionLimits();
            limits.SessionId = trigger.SessionId;
            limits.EndsAt = trigger.SessionEndsAt;
            limits.ByteLimit = trigger.SessionByteLimit;
            bool applied = channel.Session.Apply(limits);
            _log.Event("trigger.session-limits", "session " + trigger.SessionId + ": ends at " + limits.EndsAt.ToString()
                + ", byte limit " + limits.ByteLimit.ToString() + (applied ? string.Empty : " (not applied)"));
        }

        private PeerChannel FindSession(Trigger trigger)
        {
            SessionTable sessions = Sessions;
            PeerChannel channel = sessions == null || IsEmpty(trigger.SessionId) ? null : sessions.Find(trigger.SessionId);
            if (channel == null)
            {
                _log.Event("trigger.session-unknown", "seq " + trigger.Seq.ToString() + " kind " + trigger.Kind + ": no running session " + trigger.SessionId);
            }

            return channel;
        }

        private void TakeOffer(Trigger trigger)
        {
            if (!IsComplete(trigger))
            {
                _log.Event("trigger.offer-invalid", "seq " + trigger.Seq.ToString() + " is missing a field; skipped");
                return;
            }

            ISessionOfferSink offers = _offers;
            if (offers == null)
            {
                _log.Event("trigger.offer-dropped", "session " + trigger.SessionId + ": this device accepts no peers");
                return;
            }

            // Peer, session and expiry only: the password and the key never reach a log.
            _log.Event("trigger.session-offer", "session " + trigger.SessionId + " from " + trigger.PeerTerminalId);
            offers.Offer(trigger);
        }

        private static bool IsComplete(Trigger trigger)
        {
            return !IsEmpty(trigger.SessionId)
                && !IsEmpty(trigger.PeerTerminalId)
                && !IsEmpty(trigger.Password)
                && !IsEmpty(trigger.Key)
                && trigger.ExpiresAt > 0;
        }

        private static bool IsEmpty(string value)
        {
            return value == null || value.Length == 0;
        }
    }
}
