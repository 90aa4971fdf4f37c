using PeerGate.Server.Identity;
using PeerGate.Server.Permits;

namespace PeerGate.Server.Registry;

/// <summary>
/// The one decision of who may learn whose address (F11-F13). Every inquiry, group listing and
/// match goes through here. Connecting is decided elsewhere and more narrowly: only a permit grants it.
/// </summary>
public sealed class VisibilityGate(PermitStore permits)
{
    /// <summary>True when <paramref name="target"/> is online and lets <paramref name="asker"/> see it.</summary>
    public bool CanSee(CertificatePayload asker, Registration target, long now) =>
        Decide(asker, target, now, permits.TerminalsNaming(asker, target.TerminalId));

    /// <summary>The same decision for many targets, reading the permit tables that name the asker once.</summary>
    public Func<Registration, bool> For(CertificatePayload asker, long now)
    {
        var naming = permits.TerminalsNaming(asker);
        return target => Decide(asker, target, now, naming);
    }

    /// <summary>
    /// Online, not refused here (a disabled device is handed out to nobody), not the asker itself, and one of: discoverable; certified by the same issuer into a
    /// common group (a group name means something only to the issuer that assigned it); or its permit
    /// table names the asker.
    /// </summary>
    private static bool Decide(CertificatePayload asker, Registration target, long now, HashSet<string> naming)
    {
        if (target.Refused || !target.IsOnline(now) || target.TerminalId == asker.TerminalId)
        {
            return false;
        }

        return target.Discoverable
            || (target.Issuer == asker.Issuer && target.Groups.Intersect(asker.Groups, StringComparer.Ordinal).Any())
            || naming.Contains(target.TerminalId);
    }
}
