using System;
using PeerGate.Device.Api;
using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Protocol;

namespace PeerGate.Device.Sessions
{
    /// <summary>
    /// Asks for an extension once per crossing of 70 % of a session's lifetime while its transfer is
    /// unfinished (F24). Granted: the new limits apply at once and the peer hears them in a Limits frame
    /// (the server also sends them down the peer's trigger channel). Refused: the session keeps its
    /// limits and ends at them with reason extension_refused.
    /// </summary>
    public class SessionExtender
    {
        private readonly SessionClient _client;
        private readonly IDeviceLog _log;

        public SessionExtender(SessionClient client, IDeviceLog log)
        {
            _client = client ?? throw new ArgumentNullException(nameof(client));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        /// <summary>
        /// Call between frames, from the thread that sends, while the transfer still has data to move;
        /// returns at once unless a threshold was just crossed, then asks the server (one request, within
        /// the HTTP timeout).
        /// </summary>
        public void CheckUnfinished(PeerChannel channel)
        {
            PeerSession session = channel == null ? null : channel.Session;
            if (session == null || !session.TakeExtensionDue())
            {
                return;
            }

            // Ask for one more lifetime of the limit that is running out. The server's policy caps the
            // grant and refuses (extension_refused) when that limit cannot grow at all.
            long endsAt = session.EndsAt;
            bool bytesDue = session.ByteLimit > 0
                && (session.BytesSent + session.BytesReceived + session.ReplyReserved) * 100 >= session.ByteLimit * PeerSession.ExtensionThresholdPercent;
            int addSeconds = bytesDue || endsAt <= session.StartedAt ? 0 : (int)(endsAt - session.StartedAt);
            long addBytes = bytesDue ? session.ByteLimit : 0;
            SessionLimits limits;
            try
            {
                limits = _client.RequestExtension(session.SessionId, addSeconds, addBytes);
            }
            catch (ApiException e)
            {
                // Only a refusal names the reason; without an answer the session just runs to its limit.
                if (e.Code == ErrorCodes.ExtensionRefused)
                {
                    session.ExtensionRefused();
                }
                else
                {
                    session.ExtensionUnanswered();
                }

                return;
            }

            limits.SessionId = session.SessionId;
            try
            {
                // Applied and announced under the channel's send lock: the peer hears the new limits
                // before any byte that needs them.
                if (!channel.ApplyLimits(limits))
                {
                    session.ExtensionUnanswered();
                }
            }
            catch (PeerException e)
            {
                _log.Event("session.limits-unsent", "session " + session.SessionId + ": " + e.Code);
            }
        }
    }
}
