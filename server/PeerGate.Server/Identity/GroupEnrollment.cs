using System.Security.Cryptography;
using System.Data.Common;
using PeerGate.Protocol;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Identity;

/// <summary>
/// What bounds automatic enrollment through a group key (F3), so a leaked key does not enroll
/// unlimited devices: the key's derivation version, the factory allowlist, the cap on how many
/// devices enroll through it, and the operator's stop. Devices already enrolled are never refused here.
/// </summary>
public static class GroupEnrollment
{
    /// <summary>The most Device IDs one group's allowlist holds: a factory batch, not a device database.</summary>
    public const int MaxAllowlistEntries = 10000;

    /// <summary>The largest cap an operator may set (a group's or the server's default).</summary>
    public const long MaxCap = 1_000_000_000;

    // Why a device that proved a group-derived key may still not enroll; for the operator only.
    public const string NotAllowlistedReason = "not_allowlisted";
    public const string StoppedReason = "enrollment_stopped";
    public const string CapReachedReason = "enrollment_cap_reached";

    /// <summary>
    /// A group's derivation, for a query that LEFT JOINs group_enrollment as e. Every group of step 9
    /// and every keyed one since has its row; one without is keyless and derives nothing, so v2 is only a default.
    /// </summary>
    public const string DerivationSql = "coalesce(e.derivation, 2)";

    /// <summary>Gives the group its group_enrollment row if it has none (a keyless group named on a device); no-op otherwise.</summary>
    public static void EnsureRow(DbConnection connection, DbTransaction transaction, string groupId) =>
        connection.Execute(
            transaction,
            "INSERT INTO group_enrollment (group_id, derivation) SELECT group_id, @derivation FROM groups WHERE group_id = @group ON CONFLICT DO NOTHING;",
            ("@group", groupId), ("@derivation", AuthProofs.GroupDerivationV2));

    /// <summary>DeviceKey from a group key under its derivation version; null when the group holds no key.</summary>
    public static byte[]? Derive(byte[]? groupKey, int derivation, string deviceId) =>
        groupKey is null ? null : HMACSHA256.HashData(groupKey, AuthProofs.GroupDerivationMessage(deviceId, derivation));

    /// <summary>
    /// A group a device not seen before named in its challenge: its key and derivation, and why the
    /// device may not enroll through it (null: it may). One query whatever the answer, so a device
    /// that is refused costs the same as one that is admitted.
    /// </summary>
    public static Candidate? ForNewMember(DbConnection connection, DbTransaction transaction, string groupId, string deviceId, long defaultCap)
    {
        using var command = connection.Command(
            transaction,
            "SELECT g.group_key, " + DerivationSql + ", coalesce(e.enrollment_stopped, 0), coalesce(e.enrollment_cap, @default), " +
            "(SELECT count(*) FROM devices d WHERE d.enrollment_group = g.group_id), " +
            "coalesce(e.allowlist_on, 0), EXISTS (SELECT 1 FROM group_allowlist a WHERE a.group_id = g.group_id AND a.device_id = @device) " +
            "FROM groups g LEFT JOIN group_enrollment e ON e.group_id = g.group_id WHERE g.group_id = @group;",
            ("@group", groupId), ("@device", deviceId), ("@default", defaultCap));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var key = reader.GetBytesOrNull(0);
        var derivation = (int)reader.GetInt64(1);
        var stopped = reader.GetFlag(2);
        var cap = reader.GetInt64(3);
        var enrolled = reader.GetInt64(4);
        var allowlistOn = reader.GetFlag(5);
        var listed = reader.GetFlag(6);

        // The operator's own decisions first; the cap last, as it is the one that lapses by itself.
        var refused = allowlistOn && !listed ? NotAllowlistedReason
            : stopped ? StoppedReason
            : enrolled >= cap ? CapReachedReason
            : null;
        return new Candidate(key, derivation, refused);
    }

    /// <summary>A group's key (null: none), its derivation version, and why a new device may not enroll through it.</summary>
    public sealed record Candidate(byte[]? GroupKey, int Derivation, string? Refused);
}
