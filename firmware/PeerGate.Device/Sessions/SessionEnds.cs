using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Sessions
{
    /// <summary>How a Close reason on the peer channel reads as a session end reason (F25).</summary>
    public static class SessionEnds
    {
        /// <summary>finished is completed, a lost connection is peer_lost, a session reason is itself, anything else is error.</summary>
        public static string FromCloseReason(string closeReason)
        {
            if (closeReason == CloseReasons.Finished)
            {
                return SessionEndReasons.Completed;
            }

            if (closeReason == CloseReasons.ConnectionLost)
            {
                return SessionEndReasons.PeerLost;
            }

            return IsSessionReason(closeReason) ? closeReason : SessionEndReasons.Error;
        }

        /// <summary>The error code for the notice's Detail when the reason reads as error; otherwise null.</summary>
        public static string DetailOf(string closeReason)
        {
            return FromCloseReason(closeReason) == SessionEndReasons.Error ? closeReason : null;
        }

        private static bool IsSessionReason(string reason)
        {
            return reason == SessionEndReasons.TimeLimit
                || reason == SessionEndReasons.ByteLimit
                || reason == SessionEndReasons.ExtensionRefused
                || reason == SessionEndReasons.Terminated
                || reason == SessionEndReasons.PeerLost
                || reason == SessionEndReasons.Completed;
        }
    }
}
