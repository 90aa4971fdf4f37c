using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;

namespace PeerGate.Server.Http;

/// <summary>
/// The range of every number a request body carries (<see cref="FieldRanges"/>), checked by
/// <see cref="RequestBody"/> as soon as the body is read: a value outside is 400 invalid_field naming
/// the field, before any handler runs, so nothing is stored. Every body type is listed, also those
/// without numbers, so a new numeric field cannot slip in unchecked (a test walks the messages).
/// </summary>
public static class NumericFields
{
    private static readonly Dictionary<Type, NumericRange[]> Ranges = new()
    {
        [typeof(ChallengeRequest)] = [],
        [typeof(ProofRequest)] = [],
        [typeof(AllocationRequest)] = [Of<AllocationRequest>(nameof(AllocationRequest.Level), r => r.Level, 1, FieldRanges.MaxAllocationLevel)],
        [typeof(DelegatedAllocationRequest)] = [],
        [typeof(RegistrationRequest)] = [Of<RegistrationRequest>(nameof(RegistrationRequest.LocalPort), r => r.LocalPort, 0, FieldRanges.MaxPort)],
        [typeof(MatchRequest)] = [],
        [typeof(PermitRequest)] = [],
        [typeof(ConnectionPolicy)] = [],
        [typeof(TriggerReply)] =
        [
            Of<TriggerReply>(nameof(TriggerReply.Seq), r => r.Seq, 1, FieldRanges.MaxTriggerSeq),
            Of<TriggerReply>(nameof(TriggerReply.RetryAfterSeconds), r => r.RetryAfterSeconds, 0, FieldRanges.MaxRetryAfterSeconds),
            Of<TriggerReply>(nameof(TriggerReply.CpuLoadPercent), r => r.CpuLoadPercent, 0, FieldRanges.MaxPercent),
            Of<TriggerReply>(nameof(TriggerReply.FreeHeapBytes), r => r.FreeHeapBytes, 0, FieldRanges.MaxMemoryBytes),
            Of<TriggerReply>(nameof(TriggerReply.LargestFreeBlockBytes), r => r.LargestFreeBlockBytes, 0, FieldRanges.MaxMemoryBytes),
            Of<TriggerReply>(nameof(TriggerReply.ActiveSessions), r => r.ActiveSessions, 0, FieldRanges.MaxSessionCount),
            Of<TriggerReply>(nameof(TriggerReply.SessionLimit), r => r.SessionLimit, 0, FieldRanges.MaxSessionCount),
        ],
        [typeof(ConnectionRequest)] =
        [
            Of<ConnectionRequest>(nameof(ConnectionRequest.CallerPort), r => r.CallerPort, 0, FieldRanges.MaxPort),
            Of<ConnectionRequest>(nameof(ConnectionRequest.TimeLimitSeconds), r => r.TimeLimitSeconds, 0, FieldRanges.MaxSessionSeconds),
            Of<ConnectionRequest>(nameof(ConnectionRequest.ByteLimit), r => r.ByteLimit, 0, FieldRanges.MaxSessionBytes),
        ],
        [typeof(ExtensionRequest)] =
        [
            Of<ExtensionRequest>(nameof(ExtensionRequest.AddSeconds), r => r.AddSeconds, 0, FieldRanges.MaxSessionSeconds),
            Of<ExtensionRequest>(nameof(ExtensionRequest.AddBytes), r => r.AddBytes, 0, FieldRanges.MaxSessionBytes),
        ],
        [typeof(SessionEndNotice)] =
        [
            Of<SessionEndNotice>(nameof(SessionEndNotice.BytesSent), r => r.BytesSent, 0, FieldRanges.MaxSessionBytes),
            Of<SessionEndNotice>(nameof(SessionEndNotice.BytesReceived), r => r.BytesReceived, 0, FieldRanges.MaxSessionBytes),
        ],

        // The operator's bodies, held to the same ranges where they meet the devices' numbers.
        [typeof(EnrollDeviceRequest)] = [],
        [typeof(EnrollGroupRequest)] = [Of<EnrollGroupRequest>(nameof(EnrollGroupRequest.Derivation), r => r.Derivation ?? AuthProofs.GroupDerivationV2, AuthProofs.GroupDerivationV1, AuthProofs.GroupDerivationV2)],
        [typeof(GroupAllowlistRequest)] = [],
        [typeof(GroupEnrollmentCapRequest)] = [Of<GroupEnrollmentCapRequest>(nameof(GroupEnrollmentCapRequest.Cap), r => r.Cap ?? 0, 0, Identity.GroupEnrollment.MaxCap)],
        [typeof(NameBindingRequest)] = [],
        [typeof(AllocationHop)] = [Of<AllocationHop>(nameof(AllocationHop.Level), r => r.Level, 0, FieldRanges.MaxAllocationLevel)],
        [typeof(SessionPolicyRequest)] =
        [
            Of<SessionPolicyRequest>(nameof(SessionPolicyRequest.MaxSeconds), r => r.MaxSeconds, 0, FieldRanges.MaxSessionSeconds),
            Of<SessionPolicyRequest>(nameof(SessionPolicyRequest.MaxBytes), r => r.MaxBytes, 0, FieldRanges.MaxSessionBytes),
        ],
        [typeof(AllocationEntry)] =
        [
            Of<AllocationEntry>(nameof(AllocationEntry.Level), r => r.Level, 1, FieldRanges.MaxAllocationLevel),
            Of<AllocationEntry>(nameof(AllocationEntry.NextLevel), r => r.NextLevel, 0, FieldRanges.MaxAllocationLevel),
        ],
    };

    /// <summary>The body types whose numbers are checked, and the numeric fields of each; for the test that walks the messages.</summary>
    public static IReadOnlyDictionary<Type, string[]> Checked =>
        Ranges.ToDictionary(pair => pair.Key, pair => pair.Value.Select(range => range.Field).ToArray());

    /// <summary>Throws invalid_field naming the first number of <paramref name="body"/> outside its range.</summary>
    public static void Check<T>(T body)
        where T : class
    {
        foreach (var range in Ranges[typeof(T)])
        {
            var value = range.Read(body);
            if (value < range.Min || value > range.Max)
            {
                throw Fields.Invalid(range.Field, $"must be between {range.Min} and {range.Max}");
            }
        }
    }

    /// <summary>
    /// A number in the query string (the poll's after=N and wait=S): one whole number in its range, or
    /// <paramref name="absent"/> when not given; anything else is invalid_field naming the parameter.
    /// </summary>
    public static long Query(Microsoft.Extensions.Primitives.StringValues value, string name, long min, long max, long absent)
    {
        if (value.Count == 0)
        {
            return absent;
        }

        if (value.Count > 1
            || !long.TryParse(value[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
            || number < min || number > max)
        {
            throw Fields.Invalid(name, $"must be one whole number between {min} and {max}");
        }

        return number;
    }

    private static NumericRange Of<T>(string field, Func<T, long> read, long min, long max) => new(field, body => read((T)body), min, max);

    private sealed record NumericRange(string Field, Func<object, long> Read, long Min, long Max);
}
