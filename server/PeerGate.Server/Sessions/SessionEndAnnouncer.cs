using PeerGate.Protocol;
using PeerGate.Server.Observability;
using PeerGate.Server.Rendezvous;
using PeerGate.Server.Triggers;

namespace PeerGate.Server.Sessions;

/// <summary>
/// After a forced end is committed (F26): wakes both devices' trigger polls for their session-end
/// triggers, ends the session's relay and tickets on the rendezvous endpoint, counts the triggers and
/// logs who ended the session.
/// </summary>
public sealed class SessionEndAnnouncer(TriggerHub hub, ServerMetrics metrics, RendezvousEndpoint rendezvous, ILogger<SessionEndAnnouncer> logger)
{
    public void Announce(string sessionId, string caller, string callee, string endedBy)
    {
        // A relay forwards only ciphertext and cannot see the session-end trigger: it is stopped here.
        rendezvous.End(sessionId);
        foreach (var terminal in new[] { caller, callee })
        {
            metrics.CountTriggerQueued(TriggerKinds.SessionEnd);
            hub.Wake(terminal);
        }

        logger.LogInformation("Session {SessionId} terminated by {EndedBy}", sessionId, endedBy);
    }

    /// <summary>Sessions a policy ended (a device disabled or revoked), with the <paramref name="cause"/>.</summary>
    public void Announce(IEnumerable<SessionInfo> ended, string cause)
    {
        foreach (var session in ended)
        {
            Announce(session.SessionId, session.CallerTerminalId, session.CalleeTerminalId, "policy: " + cause);
        }
    }
}
