using System.Security.Cryptography;
using System.Data.Common;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Connections;
using PeerGate.Server.Http;
using PeerGate.Server.Identity;
using PeerGate.Server.Registry;
using PeerGate.Server.Rendezvous;
using PeerGate.Server.Sessions;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Admin;

/// <summary>What the operator changes (F3, F4) and sees (F33): enrollment, disabling, revocation, the device list.</summary>
public sealed class AdminStore(Database database, RegistryStore registry, DeviceNameStore names, ConnectionStore connections, RendezvousEndpoint rendezvous, ServerOptions options, TimeProvider time, Rendezvous.UdpMappings udpMappings, StandingSet standing)
{
    /// <summary>Enrolls the device and, when given, binds its device name (F22), in one transaction: a name another device owns refuses both.</summary>
    public async Task<EnrolledDevice> EnrollDeviceAsync(string deviceId, byte[]? key, string[] groups, string? name = null)
    {
        key ??= RandomNumberGenerator.GetBytes(AuthProofs.DeviceKeyLength);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        await database.WriteAsync((connection, transaction) =>
        {
            if (connection.Scalar(transaction, "SELECT 1 FROM devices WHERE device_id = @device;", ("@device", deviceId)) is not null)
            {
                throw ApiProblem.Exception(StatusCodes.Status409Conflict, ErrorCodes.AlreadyExists, "That device is enrolled already.");
            }

            connection.Execute(
                transaction,
                "INSERT INTO devices (device_id, device_key, created_at) VALUES (@device, @key, @now);",
                ("@device", deviceId), ("@key", key), ("@now", now));
            foreach (var group in groups)
            {
                // Membership groups need no key; one enrolled later with a key keeps its members.
                connection.Execute(
                    transaction,
                    "INSERT INTO groups (group_id, created_at) VALUES (@group, @now) ON CONFLICT DO NOTHING;" +
                    "INSERT INTO group_members (group_id, device_id) VALUES (@group, @device) ON CONFLICT DO NOTHING;",
                    ("@group", group), ("@device", deviceId), ("@now", now));
            }

            if (name is not null)
            {
                DeviceNameStore.Bind(connection, transaction, name, names.OwnIssuer, deviceId, rebind: false, now);
            }

            return 0;
        });

        return new EnrolledDevice(deviceId, Convert.ToHexString(key), groups);
    }

    /// <summary>
    /// Enrolls a group key, under <paramref name="derivation"/> (v2 for every new key; v1 only for a key
    /// whose devices were flashed with v1). A group's derivation never changes once it holds a key.
    /// </summary>
    public async Task<EnrolledGroup> EnrollGroupAsync(string groupId, byte[]? key, int derivation = AuthProofs.GroupDerivationV2)
    {
        key ??= RandomNumberGenerator.GetBytes(AuthProofs.DeviceKeyLength);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        await database.WriteAsync((connection, transaction) =>
        {
            var written = connection.Execute(
                transaction,
                "INSERT INTO groups (group_id, group_key, created_at) VALUES (@group, @key, @now) " +
                "ON CONFLICT (group_id) DO UPDATE SET group_key = excluded.group_key WHERE groups.group_key IS NULL;",
                ("@group", groupId), ("@key", key), ("@now", now));
            if (written != 1)
            {
                throw ApiProblem.Exception(StatusCodes.Status409Conflict, ErrorCodes.AlreadyExists, "That group is enrolled with a key already.");
            }

            // The key is new here, so is its derivation (a keyless group may have a row already).
            return connection.Execute(
                transaction,
                "INSERT INTO group_enrollment (group_id, derivation) VALUES (@group, @derivation) ON CONFLICT (group_id) DO UPDATE SET derivation = excluded.derivation;",
                ("@group", groupId), ("@derivation", derivation));
        });

        return new EnrolledGroup(groupId, Convert.ToHexString(key), derivation);
    }

    /// <summary>Every group, by ID: derivation, standing, members and enrolled count against the cap, allowlist.</summary>
    public GroupSummary[] ListGroups() => database.Read(connection => ReadGroups(connection, null, null));

    /// <summary>One group, or not_found.</summary>
    public GroupSummary GetGroup(string groupId) =>
        database.Read(connection => ReadGroups(connection, null, groupId)).SingleOrDefault()
        ?? throw ApiProblem.Exception(StatusCodes.Status404NotFound, ErrorCodes.NotFound, "No such group.");

    /// <summary>Sets the group's own cap on automatic enrollment (null: the server's default). A cap at or below the enrolled count stops new devices; members keep working.</summary>
    public Task<GroupSummary> SetGroupEnrollmentCapAsync(string groupId, long? cap) => database.WriteAsync((connection, transaction) =>
    {
        RequireGroup(connection, transaction, groupId);
        connection.Execute(transaction, "UPDATE group_enrollment SET enrollment_cap = @cap WHERE group_id = @group;", ("@cap", cap), ("@group", groupId));
        return ReadGroups(connection, transaction, groupId).Single();
    });

    /// <summary>Stops (or restarts) automatic enrollment through the group: unlike disabling, its members keep working.</summary>
    public Task<GroupSummary> SetGroupEnrollmentStoppedAsync(string groupId, bool stopped) => database.WriteAsync((connection, transaction) =>
    {
        RequireGroup(connection, transaction, groupId);
        connection.Execute(transaction, "UPDATE group_enrollment SET enrollment_stopped = @stopped WHERE group_id = @group;", ("@stopped", stopped ? 1 : 0), ("@group", groupId));
        return ReadGroups(connection, transaction, groupId).Single();
    });

    public GroupAllowlist GetGroupAllowlist(string groupId) => database.Read(connection => ReadAllowlist(connection, null, groupId));

    /// <summary>
    /// Adds Device IDs to the group's allowlist and turns it on, all or nothing: past
    /// <see cref="GroupEnrollment.MaxAllowlistEntries"/> nothing is added. Devices enrolled already are not affected.
    /// </summary>
    public Task<GroupAllowlist> AllowInGroupAsync(string groupId, string[] deviceIds) => database.WriteAsync((connection, transaction) =>
    {
        RequireGroup(connection, transaction, groupId);
        connection.Execute(transaction, "UPDATE group_enrollment SET allowlist_on = 1 WHERE group_id = @group;", ("@group", groupId));
        foreach (var deviceId in deviceIds)
        {
            connection.Execute(transaction, "INSERT INTO group_allowlist (group_id, device_id) VALUES (@group, @device) ON CONFLICT DO NOTHING;", ("@group", groupId), ("@device", deviceId));
        }

        var count = Convert.ToInt64(connection.Scalar(transaction, "SELECT count(*) FROM group_allowlist WHERE group_id = @group;", ("@group", groupId)), System.Globalization.CultureInfo.InvariantCulture);
        if (count > GroupEnrollment.MaxAllowlistEntries)
        {
            // Thrown inside the write: the transaction rolls back, so nothing was added.
            throw ApiProblem.Exception(StatusCodes.Status409Conflict, ErrorCodes.AllowlistFull, $"A group's allowlist holds at most {GroupEnrollment.MaxAllowlistEntries} Device IDs; nothing was added.");
        }

        return ReadAllowlist(connection, transaction, groupId);
    });

    /// <summary>Removes Device IDs from the allowlist; it stays on, so an emptied list lets nobody enroll.</summary>
    public Task<GroupAllowlist> DisallowInGroupAsync(string groupId, string[] deviceIds) => database.WriteAsync((connection, transaction) =>
    {
        RequireGroup(connection, transaction, groupId);
        foreach (var deviceId in deviceIds)
        {
            connection.Execute(transaction, "DELETE FROM group_allowlist WHERE group_id = @group AND device_id = @device;", ("@group", groupId), ("@device", deviceId));
        }

        return ReadAllowlist(connection, transaction, groupId);
    });

    /// <summary>Clears the allowlist and turns it off: any Device ID with a key derived from the group may enroll (within the cap).</summary>
    public Task<GroupAllowlist> RemoveGroupAllowlistAsync(string groupId) => database.WriteAsync((connection, transaction) =>
    {
        RequireGroup(connection, transaction, groupId);
        connection.Execute(transaction, "UPDATE group_enrollment SET allowlist_on = 0 WHERE group_id = @group;", ("@group", groupId));
        connection.Execute(transaction, "DELETE FROM group_allowlist WHERE group_id = @group;", ("@group", groupId));
        return ReadAllowlist(connection, transaction, groupId);
    });

    /// <summary>not_found unless the group exists; then it has its group_enrollment row to change.</summary>
    private static void RequireGroup(DbConnection connection, DbTransaction transaction, string groupId)
    {
        if (connection.Scalar(transaction, "SELECT 1 FROM groups WHERE group_id = @group;", ("@group", groupId)) is null)
        {
            throw ApiProblem.Exception(StatusCodes.Status404NotFound, ErrorCodes.NotFound, "No such group.");
        }

        GroupEnrollment.EnsureRow(connection, transaction, groupId);
    }

    private GroupSummary[] ReadGroups(DbConnection connection, DbTransaction? transaction, string? groupId)
    {
        using var command = connection.Command(
            transaction,
            "SELECT g.group_id, g.group_key IS NOT NULL, " + GroupEnrollment.DerivationSql + ", g.disabled, g.revoked, " +
            "(SELECT count(*) FROM group_members m WHERE m.group_id = g.group_id), " +
            "(SELECT count(*) FROM devices d WHERE d.enrollment_group = g.group_id), " +
            "e.enrollment_cap, coalesce(e.enrollment_stopped, 0), coalesce(e.allowlist_on, 0), " +
            "(SELECT count(*) FROM group_allowlist a WHERE a.group_id = g.group_id), g.created_at " +
            "FROM groups g LEFT JOIN group_enrollment e ON e.group_id = g.group_id WHERE CAST(@group AS TEXT) IS NULL OR g.group_id = @group ORDER BY g.group_id;",
            ("@group", groupId));
        using var reader = command.ExecuteReader();
        var groups = new List<GroupSummary>();
        while (reader.Read())
        {
            var ownCap = reader.IsDBNull(7) ? (long?)null : reader.GetInt64(7);
            groups.Add(new GroupSummary(
                reader.GetString(0),
                reader.GetFlag(1),
                (int)reader.GetInt64(2),
                reader.GetFlag(3),
                reader.GetFlag(4),
                (int)reader.GetInt64(5),
                (int)reader.GetInt64(6),
                ownCap ?? options.GroupEnrollmentCap,
                ownCap is null,
                reader.GetFlag(8),
                reader.GetFlag(9),
                (int)reader.GetInt64(10),
                reader.GetInt64(11)));
        }

        return [.. groups];
    }

    private static GroupAllowlist ReadAllowlist(DbConnection connection, DbTransaction? transaction, string groupId)
    {
        if (connection.Scalar(transaction, "SELECT coalesce(e.allowlist_on, 0) FROM groups g LEFT JOIN group_enrollment e ON e.group_id = g.group_id WHERE g.group_id = @group;", ("@group", groupId)) is not long on)
        {
            throw ApiProblem.Exception(StatusCodes.Status404NotFound, ErrorCodes.NotFound, "No such group.");
        }

        using var command = connection.Command(transaction, "SELECT device_id FROM group_allowlist WHERE group_id = @group ORDER BY device_id;", ("@group", groupId));
        using var reader = command.ExecuteReader();
        var deviceIds = new List<string>();
        while (reader.Read())
        {
            deviceIds.Add(reader.GetString(0));
        }

        return new GroupAllowlist(groupId, on != 0, [.. deviceIds]);
    }

    // Each writer of a device's standing (devices.disabled, groups.disabled and revoked,
    // certificates.revoked) tells the in-memory StandingSet after its commit and before it returns,
    // so the refusal holds from the next request on; a write that throws has changed neither.

    /// <summary>
    /// Disabling refuses the device on every certificate route from this commit on and terminates its
    /// active sessions, in the same transaction; enabling restores it and ends nothing.
    /// </summary>
    public async Task<Refusal> SetDeviceDisabledAsync(string deviceId, bool disabled)
    {
        var refusal = await database.WriteAsync((connection, transaction) =>
        {
            RequireOne(connection.Execute(transaction, "UPDATE devices SET disabled = @disabled WHERE device_id = @device;", ("@disabled", disabled ? 1 : 0), ("@device", deviceId)), "device");
            return disabled ? EndSessions(connection, transaction, DeviceTerminal, ("@device", deviceId)) : Refusal.None;
        });
        standing.RefreshDevice(deviceId);
        return refusal;
    }

    /// <summary>Disables the device, revokes all its certificates and terminates its active sessions, in one transaction.</summary>
    public async Task<Refusal> RevokeDeviceAsync(string deviceId)
    {
        var (refusal, revoked) = await database.WriteAsync((connection, transaction) =>
        {
            RequireOne(connection.Execute(transaction, "UPDATE devices SET disabled = 1 WHERE device_id = @device;", ("@device", deviceId)), "device");
            var revoked = RevokeCertificates(connection, transaction, "device_id = @device", ("@device", deviceId));
            return (EndSessions(connection, transaction, DeviceTerminal, ("@device", deviceId)), revoked);
        });
        standing.Revoked(revoked);
        standing.RefreshDevice(deviceId);
        return refusal;
    }

    /// <summary>
    /// Disabling a group refuses every member as disabling each would, until the group is enabled
    /// again; it revokes nothing. Disabling terminates the members' active sessions in the same transaction.
    /// </summary>
    public async Task<Refusal> SetGroupDisabledAsync(string groupId, bool disabled)
    {
        var refusal = await database.WriteAsync((connection, transaction) =>
        {
            RequireOne(connection.Execute(transaction, "UPDATE groups SET disabled = @disabled WHERE group_id = @group;", ("@disabled", disabled ? 1 : 0), ("@group", groupId)), "group");
            return disabled ? EndSessions(connection, transaction, GroupTerminals, ("@group", groupId)) : Refusal.None;
        });
        standing.RefreshGroup(groupId);
        return refusal;
    }

    /// <summary>Refuses the group's members from now on, revokes the certificates they hold and terminates their active sessions.</summary>
    public async Task<Refusal> RevokeGroupAsync(string groupId)
    {
        var (refusal, revoked) = await database.WriteAsync((connection, transaction) =>
        {
            RequireOne(connection.Execute(transaction, "UPDATE groups SET revoked = 1 WHERE group_id = @group;", ("@group", groupId)), "group");
            var revoked = RevokeCertificates(connection, transaction, "device_id IN (SELECT device_id FROM group_members WHERE group_id = @group)", ("@group", groupId));
            return (EndSessions(connection, transaction, GroupTerminals, ("@group", groupId)), revoked);
        });
        standing.Revoked(revoked);
        standing.RefreshGroup(groupId);
        return refusal;
    }

    /// <summary>Revokes one certificate; the refusal names its terminal, whose open poll must end.</summary>
    public async Task<Refusal> RevokeCertificateAsync(string serial)
    {
        var (refusal, revoked) = await database.WriteAsync((connection, transaction) =>
        {
            var revoked = RevokeCertificates(connection, transaction, "serial = @serial", ("@serial", serial));
            RequireOne(revoked.Count, "certificate");
            var terminal = (string)connection.Scalar(transaction, "SELECT terminal_id FROM certificates WHERE serial = @serial;", ("@serial", serial))!;
            return (new Refusal([terminal], []), revoked);
        });
        standing.Revoked(revoked);
        return refusal;
    }

    /// <summary>Marks the certificates <paramref name="where"/> selects revoked; answers their serials and expiry for <see cref="StandingSet"/>.</summary>
    private static List<(string Serial, long ExpiresAt)> RevokeCertificates(DbConnection connection, DbTransaction transaction, string where, (string Name, object? Value) parameter)
    {
        using var command = connection.Command(transaction, "UPDATE certificates SET revoked = 1 WHERE " + where + " RETURNING serial, expires_at;", parameter);
        using var reader = command.ExecuteReader();
        var revoked = new List<(string Serial, long ExpiresAt)>();
        while (reader.Read())
        {
            revoked.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return revoked;
    }

    /// <summary>Every enrolled device, plus terminals registered here under another issuer's certificate.</summary>
    public async Task<DeviceSummary[]> ListDevicesAsync()
    {
        var answers = await connections.LastAnswersAsync();
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var registrations = registry.All().ToDictionary(r => r.TerminalId, StringComparer.Ordinal);
        var devices = database.Read(connection =>
        {
            using var command = connection.Command(
                null,
                // Disabled as every route sees it: the device itself, or a group it belongs to.
                "SELECT d.device_id, d.terminal_id, " + DeviceStanding.RefusedSql("d.device_id") + ", (SELECT json_group_array(group_id) FROM group_members m WHERE m.device_id = d.device_id) " +
                "FROM devices d ORDER BY d.device_id;");
            using var reader = command.ExecuteReader();
            var rows = new List<(string DeviceId, string? TerminalId, bool Disabled, string[] Groups)>();
            while (reader.Read())
            {
                rows.Add((reader.GetString(0), reader.GetStringOrNull(1), reader.GetFlag(2), (System.Text.Json.JsonSerializer.Deserialize<string[]>(reader.GetString(3)) ?? []).Order(StringComparer.Ordinal).ToArray()));
            }

            return rows;
        });

        var rendezvousOn = rendezvous.BoundPort > 0;
        var summaries = new List<DeviceSummary>();
        foreach (var (deviceId, terminalId, disabled, groups) in devices)
        {
            Registration? registration = null;
            if (terminalId is not null && registrations.Remove(terminalId, out var found))
            {
                registration = found;
            }

            summaries.Add(WithUdp(Summarize(deviceId, terminalId, groups, disabled, registration, now, answers, rendezvousOn) with { Name = registration?.Name ?? names.NameOf(names.OwnIssuer, deviceId) }));
        }

        foreach (var registration in registrations.Values)
        {
            summaries.Add(WithUdp(Summarize(registration.DeviceId, registration.TerminalId, registration.Groups, false, registration, now, answers, rendezvousOn)));
        }

        return summaries.ToArray();
    }

    /// <summary>The UDP mapping as the server holds it now (memory, ahead of its periodic write), stale or not.</summary>
    private DeviceSummary WithUdp(DeviceSummary summary) =>
        summary.TerminalId is { } terminalId && udpMappings.Find(terminalId) is { } mapping
            ? summary with { UdpObservedIp = mapping.ObservedIp, UdpObservedPort = mapping.ObservedPort }
            : summary;

    /// <summary>The certificates issued to devices here, newest first: what the operator revokes one by one (F4).</summary>
    public CertificateSummary[] ListCertificates(int limit) => database.Read(connection =>
    {
        using var command = connection.Command(
            null,
            "SELECT serial, device_id, terminal_id, issued_at, expires_at, revoked FROM certificates ORDER BY issued_at DESC, serial LIMIT @limit;",
            ("@limit", limit));
        using var reader = command.ExecuteReader();
        var certificates = new List<CertificateSummary>();
        while (reader.Read())
        {
            certificates.Add(new CertificateSummary(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetFlag(5)));
        }

        return certificates.ToArray();
    });

    /// <summary>
    /// The paths a caller can reach the device by now, as the broker chooses them (ConnectionBroker.ChoosePath):
    /// direct when its listener can be dialled, else reverse for a caller that listens and punched when the
    /// rendezvous endpoint is on; none without a listening port; null while it is offline.
    /// </summary>
    private static string[]? PathsOf(Registration? registration, long now, bool rendezvousOn)
    {
        if (registration is null || !registration.IsOnline(now) || registration.Refused)
        {
            return null;
        }

        if (registration.LocalPort == 0)
        {
            return [];
        }

        if (ConnectionBroker.CalleeDialable(registration))
        {
            return [ConnectionPaths.Direct];
        }

        return rendezvousOn ? [ConnectionPaths.Reverse, ConnectionPaths.Punched] : [ConnectionPaths.Reverse];
    }

    private static DeviceSummary Summarize(
        string deviceId, string? terminalId, string[] groups, bool disabled, Registration? registration, long now,
        Dictionary<string, (string Status, string? Reason, long At)> answers, bool rendezvousOn)
    {
        var answer = terminalId is not null && answers.TryGetValue(terminalId, out var found) ? found : default((string Status, string? Reason, long At)?);
        return Summarize(deviceId, terminalId, groups, disabled, registration, now) with
        {
            Paths = disabled ? null : PathsOf(registration, now, rendezvousOn),
            LastAnswer = answer?.Status,
            LastAnswerReason = answer?.Reason,
            LastAnswerAt = answer?.At ?? 0,
        };
    }

    private static DeviceSummary Summarize(string deviceId, string? terminalId, string[] groups, bool disabled, Registration? registration, long now) => new(
        deviceId,
        terminalId,
        groups,
        disabled,
        registration?.LocalIp,
        registration?.LocalPort ?? 0,
        registration?.ObservedIp,
        registration?.ObservedPort ?? 0,
        registration?.LastSeen ?? 0,
        registration?.ExpiresAt ?? 0,
        registration?.IsOnline(now) ?? false,
        registration?.Name,
        registration?.TriggerChannel);

    private static int RequireOne(int rows, string what) =>
        rows == 1 ? rows : throw ApiProblem.Exception(StatusCodes.Status404NotFound, ErrorCodes.NotFound, $"No such {what}.");

    private const string DeviceTerminal = "SELECT terminal_id FROM devices WHERE device_id = @device AND terminal_id IS NOT NULL;";

    private const string GroupTerminals =
        "SELECT d.terminal_id FROM devices d JOIN group_members m ON m.device_id = d.device_id WHERE m.group_id = @group AND d.terminal_id IS NOT NULL;";

    /// <summary>A device that may no longer connect keeps no session either (F26, ended by policy).</summary>
    private Refusal EndSessions(DbConnection connection, DbTransaction transaction, string terminalsSql, (string Name, object? Value) parameter)
    {
        var terminals = new List<string>();
        using (var command = connection.Command(transaction, terminalsSql, parameter))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                terminals.Add(reader.GetString(0));
            }
        }

        return new Refusal([.. terminals], SessionStore.TerminateAllOf(connection, transaction, terminals, time.GetUtcNow().ToUnixTimeSeconds()));
    }
}

/// <summary>What an operator's refusal changed: the terminals refused from now on, and the sessions it ended.</summary>
public sealed record Refusal(string[] Terminals, SessionInfo[] EndedSessions)
{
    public static readonly Refusal None = new([], []);
}
