using PeerGate.Server.Identity;

namespace PeerGate.Server.Registry;

/// <summary>
/// The one decision of who may learn whose address (F11-F13). Every inquiry, group listing and
/// match goes through <see cref="CanSee"/>; the permit tables of F14 plug in here.
/// </summary>
public static class VisibilityGate
{
    /// <summary>
    /// True when <paramref name="target"/> is online and lets <paramref name="asker"/> see it: it is
    /// discoverable, or both were certified by the same issuer into a common group (a group name
    /// means something only to the issuer that assigned it).
    /// </summary>
    public static bool CanSee(CertificatePayload asker, Registration target, long now)
    {
        if (!target.IsOnline(now) || target.TerminalId == asker.TerminalId)
        {
            return false;
        }

        return target.Discoverable || (target.Issuer == asker.Issuer && target.Groups.Intersect(asker.Groups, StringComparer.Ordinal).Any());
    }
}
