using PeerGate.Protocol;
using PeerGate.Server.Http;

namespace PeerGate.Server.Permits;

/// <summary>
/// What a REGISTER request (F14) may contain, checked in full before anything is applied: a refusal
/// is permit_invalid naming the operation and entry, and the table is left as it was.
/// </summary>
public static class PermitRules
{
    public const int MaxOperations = 16;

    /// <summary>Entries one table may hold; also the most one operation may carry.</summary>
    public const int MaxEntries = 256;

    /// <summary>Checks every operation and entry; throws permit_invalid at the first that is wrong.</summary>
    public static void Validate(PermitRequest request)
    {
        var operations = request.Operations;
        if (operations.Length == 0 || operations.Length > MaxOperations)
        {
            throw Invalid($"A request carries 1 to {MaxOperations} operations.");
        }

        for (var index = 0; index < operations.Length; index++)
        {
            var operation = operations[index];
            if (operation is null)
            {
                throw Invalid($"Operation {index} is null.");
            }

            if (operation.Op != PermitOps.Create && operation.Op != PermitOps.Add && operation.Op != PermitOps.Delete)
            {
                throw Invalid($"Operation {index}: op must be \"{PermitOps.Create}\", \"{PermitOps.Add}\" or \"{PermitOps.Delete}\".");
            }

            var entries = operation.Entries ?? [];
            if (entries.Length == 0 && operation.Op != PermitOps.Create)
            {
                throw Invalid($"Operation {index} ({operation.Op}) names no entries.");
            }

            if (entries.Length > MaxEntries)
            {
                throw Invalid($"Operation {index} ({operation.Op}) carries more than {MaxEntries} entries.");
            }

            for (var position = 0; position < entries.Length; position++)
            {
                var problem = Check(entries[position]);
                if (problem is not null)
                {
                    throw Invalid($"Operation {index} ({operation.Op}), entry {position} ({Describe(entries[position])}): {problem}.");
                }
            }
        }
    }

    /// <summary>Why the entry is not acceptable, or null.</summary>
    public static string? Check(PermitEntry? entry) => entry switch
    {
        null => "the entry is null",
        { Kind: PermitKinds.Terminal or PermitKinds.Group } when !Fields.IsName(entry.Value) =>
            $"a {entry.Kind} must be 1 to {Fields.MaxNameLength} characters of letters, digits and . _ : -",
        { Kind: PermitKinds.Name } when !DeviceNames.IsValid(entry.Value) =>
            "a device name " + DeviceNames.Rule,
        { Kind: PermitKinds.Terminal or PermitKinds.Group or PermitKinds.Name } => null,
        _ => $"kind must be \"{PermitKinds.Terminal}\", \"{PermitKinds.Group}\" or \"{PermitKinds.Name}\"",
    };

    /// <summary>The entry as the refusal names it, cut short: the value may be anything the device sent.</summary>
    private static string Describe(PermitEntry? entry) =>
        entry is null ? "null" : $"{Cut(entry.Kind)}:{Cut(entry.Value)}";

    private static string Cut(string? value) =>
        value is null ? "null" : value.Length <= 64 ? value : value[..64] + "...";

    public static ApiProblemException Invalid(string detail) =>
        ApiProblem.Exception(StatusCodes.Status400BadRequest, ErrorCodes.PermitInvalid, detail);
}
