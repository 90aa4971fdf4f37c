using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Identity;

namespace PeerGate.Server.Permits;

/// <summary>
/// Decides a connection from the permit and deny lists a callee sent in answer to a permit query
/// (F15). Entries name the caller as the server's own table does: by Terminal ID, by the device name
/// bound to the caller's device (compared ignoring case),
/// or by group (only when caller and callee were certified by the same issuer). A deny wins.
/// </summary>
public static class DeviceHeldList
{
    /// <summary>True when a Permits entry names the caller and no Denies entry does.</summary>
    public static bool Permits(TriggerReply reply, CertificatePayload caller, string? callerName, string calleeIssuer) =>
        !Names(reply.Denies, caller, callerName, calleeIssuer) && Names(reply.Permits, caller, callerName, calleeIssuer);

    /// <summary>Refuses a list that is too long or holds an entry the server's table would refuse (invalid_field).</summary>
    public static void Validate(PermitEntry[]? entries, string field)
    {
        if (entries is null)
        {
            return;
        }

        if (entries.Length > PermitRules.MaxEntries)
        {
            throw Fields.Invalid(field, $"may hold at most {PermitRules.MaxEntries} entries");
        }

        for (var position = 0; position < entries.Length; position++)
        {
            if (PermitRules.Check(entries[position]) is { } problem)
            {
                throw Fields.Invalid(field, $"entry {position}: {problem}");
            }
        }
    }

    private static bool Names(PermitEntry[]? entries, CertificatePayload caller, string? callerName, string calleeIssuer)
    {
        foreach (var entry in entries ?? [])
        {
            var named = entry.Kind switch
            {
                PermitKinds.Terminal => entry.Value == caller.TerminalId,
                PermitKinds.Name => callerName is not null && DeviceNames.Same(entry.Value, callerName),
                PermitKinds.Group => caller.Issuer == calleeIssuer && caller.Groups.Contains(entry.Value, StringComparer.Ordinal),
                _ => false,
            };
            if (named)
            {
                return true;
            }
        }

        return false;
    }
}
