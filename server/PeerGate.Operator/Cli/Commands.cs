using System.Globalization;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;

namespace PeerGate.Operator.Cli;

/// <summary>Every peergate-op command: one method each, reading its arguments and calling the operator API.</summary>
public sealed class Commands(AdminClient admin, TextWriter output)
{
    public const string Usage = """
        usage: peergate-op [--server URL] [--token TOKEN | --token-file PATH] COMMAND

          enroll device <DeviceId> [--key HEX] [--group G]... [--name NAME]
                                                                enroll a device (key generated when omitted, shown once),
                                                                binding its device name at once
          enroll group <GroupId> [--key HEX] [--derivation v1|v2]
                                                                enroll a group whose key derives member keys (v2; v1 only
                                                                for a --key whose devices were flashed with v1)
          groups                                                groups: derivation, state, enrolled/cap, enrollment, allowlist
          group show <GroupId>                                  one group, the same columns
          group cap <GroupId> <N|default>                       the most devices that may enroll through the group key
          group stop-enrollment <GroupId>                       refuse new devices through the group at once; members keep working
          group start-enrollment <GroupId>                      let new devices enroll through the group again (within its cap)
          group allow <GroupId> <DeviceId>...                   put Device IDs on the group's factory allowlist and turn it on:
                                                                only listed devices enroll through the group key
          group disallow <GroupId> <DeviceId>...                take Device IDs off the allowlist (it stays on, even empty)
          group allowlist <GroupId>                             the group's allowlist
          group allow-any <GroupId>                             clear the allowlist and turn it off: any device holding a key
                                                                derived from the group key may enroll (within its cap)
          disable device <DeviceId>                             refuse it on every route at once, until enabled
          enable device <DeviceId>
          disable group <GroupId>                               refuse every member on every route, until enabled
          enable group <GroupId>
          revoke cert <Serial>                                  revoke one certificate
          revoke device <DeviceId>                              disable the device and revoke its certificates
          revoke group <GroupId>                                refuse the group's members
          alloc entry set --level N --key K --role allocation|authentication --url URL [--next-level M]
          alloc entry delete --level N --key K
          alloc service-entry --url URL [--role allocation|authentication] [--level N]
          alloc list                                            the service entry and the allocation table
          devices                                               devices, addresses, last seen, online
          permits <TerminalId>                                  a terminal's permit table and connection policy
          attempts [--limit N]                                  recent connection queries: stage reached, code, session
          sessions [--limit N]                                  recent sessions: state, limits, who ended it, bytes from the end notices
          terminate <SessionId>                                 end an active session; both devices are told through the trigger channel
          session-policy <TerminalId> --max-seconds N [--max-bytes N]
                                                                a device's ceiling on a session's total lifetime and bytes (0: the server's)
          names                                                 device names: owner, state, bound by the operator or claimed
          names bind <Name> <DeviceId> [--issuer I]             the name belongs to that device (another device's name: refused)
          names rebind <Name> <DeviceId> [--issuer I]           move the name to that device, replacing the device's other name
          names reserve <Name>                                  no device may claim the name until it is bound
          names release <Name>                                  free the name; permit entries naming it match nobody
          issuer-key                                            this server's issuer name and public key, as the settings
                                                                another instance pins to trust its certificates
          provision <DeviceId> --out DIR --service-url URL --allocation-keys K [--name NAME]
                    [--group G --group-key-file F [--derivation v1|v2]] [--ca-file PEM] [--udp-server IP:PORT]
                    [--allow-plain-http] [--force]
                                                                enroll the device (individually, or as a member of group G
                                                                with its key derived from the group key) and write its
                                                                provisioning folder for peergate-flash config --from DIR

        The server defaults to $PEERGATE_SERVER or http://127.0.0.1:5080; the token to $PEERGATE_ADMIN_TOKEN.
        """;

    public async Task RunAsync(Arguments args)
    {
        var command = string.Join(' ', args.Words.Take(2));
        switch (command)
        {
            case "enroll device": await EnrollDeviceAsync(args); break;
            case "enroll group": await EnrollGroupAsync(args); break;
            case "disable device": await OnDeviceAsync(args, admin.DisableDeviceAsync, "disabled"); break;
            case "enable device": await OnDeviceAsync(args, admin.EnableDeviceAsync, "enabled"); break;
            case "disable group": await OnNamedAsync(args, "group ID", admin.DisableGroupAsync, "disabled group"); break;
            case "enable group": await OnNamedAsync(args, "group ID", admin.EnableGroupAsync, "enabled group"); break;
            case "revoke cert": await OnNamedAsync(args, "serial", admin.RevokeCertificateAsync, "revoked certificate"); break;
            case "revoke device": await OnDeviceAsync(args, admin.RevokeDeviceAsync, "revoked"); break;
            case "revoke group": await OnNamedAsync(args, "group ID", admin.RevokeGroupAsync, "revoked group"); break;
            case "alloc entry": await AllocationEntryAsync(args); break;
            case "alloc service-entry": await ServiceEntryAsync(args); break;
            case "alloc list": await ListAllocationAsync(args); break;
            case "group show": await ShowGroupAsync(args); break;
            case "group cap": await SetGroupCapAsync(args); break;
            case "group stop-enrollment": await ShowGroupAsync(args, admin.StopGroupEnrollmentAsync, "automatic enrollment stopped; members keep working"); break;
            case "group start-enrollment": await ShowGroupAsync(args, admin.StartGroupEnrollmentAsync, "automatic enrollment started"); break;
            case "group allow": await ChangeAllowlistAsync(args, admin.AllowInGroupAsync); break;
            case "group disallow": await ChangeAllowlistAsync(args, admin.DisallowInGroupAsync); break;
            case "group allowlist": await ShowAllowlistAsync(args, admin.GetGroupAllowlistAsync); break;
            case "group allow-any": await ShowAllowlistAsync(args, admin.RemoveGroupAllowlistAsync); break;
            case "names bind": await BindNameAsync(args, rebind: false); break;
            case "names rebind": await BindNameAsync(args, rebind: true); break;
            case "names reserve": await ReserveNameAsync(args); break;
            case "names release": await ReleaseNameAsync(args); break;
            case { } when args.Words.Count > 0 && args.Words[0] == "provision": await ProvisionCommand.RunAsync(ProvisionCommand.Parse(args), admin, output); break;
            default:
                if (args.Words.Count == 1 && args.Words[0] == "devices")
                {
                    await ListDevicesAsync(args);
                    break;
                }

                if (args.Words.Count == 1 && args.Words[0] == "issuer-key")
                {
                    await ShowIssuerKeyAsync(args);
                    break;
                }

                if (args.Words.Count == 1 && args.Words[0] == "groups")
                {
                    await ListGroupsAsync(args);
                    break;
                }

                if (args.Words.Count == 1 && args.Words[0] == "names")
                {
                    await ListNamesAsync(args);
                    break;
                }

                if (args.Words.Count >= 1 && args.Words[0] == "permits")
                {
                    await ShowPermitsAsync(args);
                    break;
                }

                if (args.Words.Count >= 1 && args.Words[0] == "attempts")
                {
                    await ListAttemptsAsync(args);
                    break;
                }

                if (args.Words.Count >= 1 && args.Words[0] == "sessions")
                {
                    await ListSessionsAsync(args);
                    break;
                }

                if (args.Words.Count >= 1 && args.Words[0] == "terminate")
                {
                    await TerminateAsync(args);
                    break;
                }

                if (args.Words.Count >= 1 && args.Words[0] == "session-policy")
                {
                    await SetSessionPolicyAsync(args);
                    break;
                }

                throw new UsageException(args.Words.Count == 0 ? "no command given" : $"unknown command '{string.Join(' ', args.Words)}'");
        }
    }

    private async Task EnrollDeviceAsync(Arguments args)
    {
        var deviceId = args.Word(2, "Device ID");
        var key = args.Optional("key");
        var groups = args.All("group");
        var name = args.Optional("name");
        args.EnsureAllUsed(3);

        var enrolled = await admin.EnrollDeviceAsync(deviceId, key, groups, name);
        output.WriteLine($"enrolled device {enrolled.DeviceId}{(enrolled.Groups.Length > 0 ? " in " + string.Join(", ", enrolled.Groups) : string.Empty)}{(name is null ? string.Empty : " as " + name)}");
        if (key is null)
        {
            output.WriteLine($"device key (shown once, write it into the device): {enrolled.KeyHex}");
        }
    }

    private async Task ShowIssuerKeyAsync(Arguments args)
    {
        args.EnsureAllUsed(1);
        var key = await admin.GetIssuerKeyAsync();
        output.WriteLine($"issuer {key.Issuer} ({key.Algorithm}); on a registry that trusts it, set:");
        output.WriteLine($"PeerGate:TrustedIssuers:N:Name = {key.Issuer}");
        output.WriteLine($"PeerGate:TrustedIssuers:N:PublicKeys:M = {key.PublicKey}");
    }

    private async Task EnrollGroupAsync(Arguments args)
    {
        var groupId = args.Word(2, "group ID");
        var key = args.Optional("key");
        int? derivation = args.Optional("derivation") is { } version ? ParseDerivation(version) : null;
        args.EnsureAllUsed(3);

        var enrolled = await admin.EnrollGroupAsync(groupId, key, derivation);
        output.WriteLine($"enrolled group {enrolled.GroupId}, key derivation {Derivation(enrolled.Derivation)}: flash its devices with --derivation {Derivation(enrolled.Derivation)}");
        if (key is null)
        {
            output.WriteLine($"group key (shown once, keep it in the factory): {enrolled.KeyHex}");
        }
    }

    private async Task ListGroupsAsync(Arguments args)
    {
        args.EnsureAllUsed(1);
        WriteGroups(await admin.ListGroupsAsync());
    }

    private async Task ShowGroupAsync(Arguments args)
    {
        var groupId = args.Word(2, "group ID");
        args.EnsureAllUsed(3);
        WriteGroups([await admin.GetGroupAsync(groupId)]);
    }

    private async Task ShowGroupAsync(Arguments args, Func<string, CancellationToken, Task<GroupSummary>> action, string done)
    {
        var groupId = args.Word(2, "group ID");
        args.EnsureAllUsed(3);
        var group = await action(groupId, CancellationToken.None);
        output.WriteLine($"group {group.GroupId}: {done}");
        WriteGroups([group]);
    }

    private async Task SetGroupCapAsync(Arguments args)
    {
        var groupId = args.Word(2, "group ID");
        var given = args.Word(3, "cap (a number, or 'default')");
        args.EnsureAllUsed(4);
        long? cap = given == "default" ? null : ParseLong("cap", given);
        var group = await admin.SetGroupEnrollmentCapAsync(groupId, cap);
        output.WriteLine($"group {group.GroupId}: at most {group.EnrollmentCap.ToString(CultureInfo.InvariantCulture)} devices enroll automatically{(group.CapIsDefault ? " (the server's default)" : string.Empty)}; {Number(group.Enrolled)} have");
        WriteGroups([group]);
    }

    private async Task ChangeAllowlistAsync(Arguments args, Func<string, string[], CancellationToken, Task<GroupAllowlist>> action)
    {
        var groupId = args.Word(2, "group ID");
        var deviceIds = args.Words.Skip(3).Select(id => id.ToUpperInvariant()).ToArray();
        if (deviceIds.Length == 0)
        {
            throw new UsageException("missing Device ID");
        }

        args.EnsureAllUsed(args.Words.Count);

        // A request body holds a few hundred Device IDs; a factory's list goes in as many as it takes.
        GroupAllowlist? list = null;
        foreach (var batch in deviceIds.Chunk(500))
        {
            list = await action(groupId, batch, CancellationToken.None);
        }

        output.WriteLine($"group {groupId}: allowlist on, {Number(list!.DeviceIds.Length)} Device ID(s); only they enroll through the group key");
    }

    private async Task ShowAllowlistAsync(Arguments args, Func<string, CancellationToken, Task<GroupAllowlist>> action)
    {
        var groupId = args.Word(2, "group ID");
        args.EnsureAllUsed(3);
        var list = await action(groupId, CancellationToken.None);
        if (!list.On)
        {
            output.WriteLine($"group {groupId}: no allowlist; any device holding a key derived from the group key may enroll (within its cap)");
            return;
        }

        output.WriteLine($"group {groupId}: allowlist on, {Number(list.DeviceIds.Length)} Device ID(s){(list.DeviceIds.Length == 0 ? "; nobody enrolls through the group key" : string.Empty)}");
        foreach (var deviceId in list.DeviceIds)
        {
            output.WriteLine(deviceId);
        }
    }

    private void WriteGroups(GroupSummary[] groups) => Table.Write(
        output,
        ["GROUP", "KEY", "STATE", "MEMBERS", "ENROLLED/CAP", "ENROLLMENT", "ALLOWLIST"],
        groups.Select(g => new[]
        {
            g.GroupId,
            g.HasKey ? Derivation(g.Derivation) : "none",
            g.Revoked ? "revoked" : g.Disabled ? "disabled" : "enabled",
            Number(g.Members),
            Number(g.Enrolled) + "/" + g.EnrollmentCap.ToString(CultureInfo.InvariantCulture) + (g.CapIsDefault ? " (default)" : string.Empty),
            g.EnrollmentStopped ? "stopped" : g.Enrolled >= g.EnrollmentCap ? "at cap" : "open",
            g.AllowlistOn ? Number(g.AllowlistEntries) + " listed" : "off",
        }));

    private static int ParseDerivation(string value) => value switch
    {
        "v1" => AuthProofs.GroupDerivationV1,
        "v2" => AuthProofs.GroupDerivationV2,
        _ => throw new UsageException("--derivation must be v1 or v2"),
    };

    private static string Derivation(int version) => "v" + Number(version);

    private Task OnDeviceAsync(Arguments args, Func<string, CancellationToken, Task> action, string done) =>
        OnNamedAsync(args, "Device ID", action, done + " device");

    private async Task OnNamedAsync(Arguments args, string what, Func<string, CancellationToken, Task> action, string done)
    {
        var name = args.Word(2, what);
        args.EnsureAllUsed(3);
        await action(name, CancellationToken.None);
        output.WriteLine($"{done} {name}");
    }

    private async Task AllocationEntryAsync(Arguments args)
    {
        var verb = args.Word(2, "'set' or 'delete'");
        var level = args.RequiredInt("level");
        var key = args.Required("key");
        if (verb == "delete")
        {
            args.EnsureAllUsed(3);
            await admin.DeleteAllocationEntryAsync(level, key);
            output.WriteLine($"deleted level {level} entry {key}");
            return;
        }

        if (verb != "set")
        {
            throw new UsageException($"unknown command 'alloc entry {verb}'");
        }

        var role = args.Required("role");
        var url = args.Required("url");
        var nextLevel = args.OptionalInt("next-level") ?? (role == HopRoles.Allocation ? level + 1 : 0);
        args.EnsureAllUsed(3);

        await admin.SetAllocationEntryAsync(new AllocationEntry(level, key, role, url, nextLevel));
        output.WriteLine($"level {level} key {key} -> {role} {url}{(role == HopRoles.Allocation ? " (level " + nextLevel.ToString(CultureInfo.InvariantCulture) + ")" : string.Empty)}");
    }

    private async Task ServiceEntryAsync(Arguments args)
    {
        var url = args.Required("url");
        var role = args.Optional("role") ?? HopRoles.Allocation;
        var level = args.OptionalInt("level") ?? (role == HopRoles.Allocation ? 1 : 0);
        args.EnsureAllUsed(2);

        await admin.SetServiceEntryAsync(new AllocationHop { Role = role, Url = url, Level = level });
        output.WriteLine($"service entry -> {role} {url}{(role == HopRoles.Allocation ? " (level " + level.ToString(CultureInfo.InvariantCulture) + ")" : string.Empty)}");
    }

    private async Task ListAllocationAsync(Arguments args)
    {
        args.EnsureAllUsed(2);
        var table = await admin.GetAllocationTableAsync();
        output.WriteLine(table.ServiceEntry is { } entry
            ? $"service entry: {entry.Role} {entry.Url} (level {entry.Level})"
            : "service entry: (not set)");
        Table.Write(
            output,
            ["LEVEL", "KEY", "ROLE", "URL", "NEXT"],
            table.Entries.Select(e => new[] { Number(e.Level), e.Key, e.Role, e.Url, e.Role == HopRoles.Allocation ? Number(e.NextLevel) : "-" }));
    }

    private async Task ListDevicesAsync(Arguments args)
    {
        args.EnsureAllUsed(1);
        var devices = await admin.ListDevicesAsync();
        Table.Write(
            output,
            ["DEVICE", "TERMINAL", "GROUPS", "DECLARED", "OBSERVED", "LAST SEEN", "STATE", "NAME", "UDP", "CHANNEL"],
            devices.Select(d => new[]
            {
                d.DeviceId,
                d.TerminalId ?? "-",
                d.Groups.Length == 0 ? "-" : string.Join(",", d.Groups),
                d.LocalIp is null ? "-" : Endpoint(d.LocalIp, d.LocalPort),
                d.ObservedIp is null ? "-" : Endpoint(d.ObservedIp, d.ObservedPort),
                d.LastSeen == 0 ? "never" : DateTimeOffset.FromUnixTimeSeconds(d.LastSeen).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                d.Disabled ? "disabled" : d.Online ? "online" : "offline",
                d.Name ?? "-",
                d.UdpObservedIp is null ? "-" : Endpoint(d.UdpObservedIp, d.UdpObservedPort),
                d.TriggerChannel ?? "-",
            }));
    }

    private async Task ListNamesAsync(Arguments args)
    {
        args.EnsureAllUsed(1);
        var names = await admin.ListNamesAsync();
        Table.Write(
            output,
            ["NAME", "STATE", "DEVICE", "ISSUER", "TERMINAL", "BOUND BY", "SINCE"],
            names.Select(n => new[] { n.Name, n.State, n.DeviceId ?? "-", n.Issuer ?? "-", n.TerminalId ?? "-", n.BoundBy, Time(n.BoundAt) }));
    }

    private async Task BindNameAsync(Arguments args, bool rebind)
    {
        var name = args.Word(2, "name");
        var deviceId = args.Word(3, "Device ID");
        var issuer = args.Optional("issuer");
        args.EnsureAllUsed(4);
        var bound = await admin.BindNameAsync(name, deviceId, issuer, rebind);
        output.WriteLine($"name {bound.Name} belongs to device {bound.DeviceId} ({bound.Issuer}){(bound.TerminalId is null ? string.Empty : ", terminal " + bound.TerminalId)}");
    }

    private async Task ReserveNameAsync(Arguments args)
    {
        var name = args.Word(2, "name");
        args.EnsureAllUsed(3);
        var reserved = await admin.ReserveNameAsync(name);
        output.WriteLine($"name {reserved.Name} is reserved: no device may claim it");
    }

    private async Task ReleaseNameAsync(Arguments args)
    {
        var name = args.Word(2, "name");
        args.EnsureAllUsed(3);
        await admin.ReleaseNameAsync(name);
        output.WriteLine($"name {name} released: permit entries naming it match nobody until it is bound again");
    }

    private async Task ShowPermitsAsync(Arguments args)
    {
        var terminalId = args.Word(1, "Terminal ID");
        args.EnsureAllUsed(2);
        var table = await admin.GetPermitsAsync(terminalId);
        output.WriteLine($"terminal {terminalId}: {(table.UniformDenial ? "uniform denial (strangers are told it does not exist)" : "strangers are told permission_denied")}");
        Table.Write(output, ["KIND", "VALUE"], table.Entries.Select(e => new[] { e.Kind, e.Value }));
    }

    private async Task ListAttemptsAsync(Arguments args)
    {
        var limit = args.OptionalInt("limit") ?? 50;
        args.EnsureAllUsed(1);
        var attempts = await admin.ListConnectionAttemptsAsync(limit);
        Table.Write(
            output,
            ["TIME", "CALLER", "CALLEE", "STAGE", "CODE", "PATH", "SESSION"],
            attempts.Select(a => new[]
            {
                DateTimeOffset.FromUnixTimeSeconds(a.At).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                a.Caller,
                a.Callee ?? "-",
                a.Stage,
                a.Code ?? "-",
                // A relayed session also says why the punch did not carry it (failed, not paired, skipped for a port-dependent mapping).
                a.Path is null ? (a.NoPath is null ? "-" : "none (" + a.NoPath + ")") : a.NoPath is null ? a.Path : a.Path + " (" + a.NoPath + ")",
                a.SessionId ?? "-",
            }));
    }

    private async Task ListSessionsAsync(Arguments args)
    {
        var limit = args.OptionalInt("limit") ?? 50;
        args.EnsureAllUsed(1);
        var sessions = await admin.ListSessionsAsync(limit);
        Table.Write(
            output,
            ["SESSION", "CALLER", "CALLEE", "STATE", "STARTED", "ENDS", "BYTE LIMIT", "ENDED BY", "CALLER NOTICE", "CALLEE NOTICE"],
            sessions.Select(s => new[]
            {
                s.SessionId,
                s.Caller,
                s.Callee,
                s.State,
                Time(s.StartedAt),
                Time(s.EndsAt),
                s.ByteLimit == 0 ? "none" : s.ByteLimit.ToString(CultureInfo.InvariantCulture),
                s.EndedBy ?? "-",
                Notice(s.CallerNotice),
                Notice(s.CalleeNotice),
            }));
    }

    private async Task TerminateAsync(Arguments args)
    {
        var sessionId = args.Word(1, "session ID");
        args.EnsureAllUsed(2);
        var session = await admin.TerminateSessionAsync(sessionId);
        output.WriteLine($"terminated session {session.SessionId} ({session.Caller} -> {session.Callee}); both devices are told to close it");
    }

    private async Task SetSessionPolicyAsync(Arguments args)
    {
        var terminalId = args.Word(1, "Terminal ID");
        var maxSeconds = args.RequiredInt("max-seconds");
        var maxBytes = args.Optional("max-bytes") is { } bytes ? ParseLong("max-bytes", bytes) : 0;
        args.EnsureAllUsed(2);
        await admin.SetSessionPolicyAsync(terminalId, maxSeconds, maxBytes);
        output.WriteLine($"terminal {terminalId}: sessions at most {(maxSeconds == 0 ? "the server's" : Number(maxSeconds) + " s")}, {(maxBytes == 0 ? "the server's byte cap" : maxBytes.ToString(CultureInfo.InvariantCulture) + " bytes")}");
    }

    /// <summary>"reason sent/received" of one side's end notice, or "-" before it arrived.</summary>
    private static string Notice(SessionNoticeSummary? notice) =>
        notice is null ? "-" : $"{notice.Reason}{(notice.Detail is null ? string.Empty : "(" + notice.Detail + ")")} {notice.BytesSent}/{notice.BytesReceived}";

    private static string Time(long unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static long ParseLong(string name, string value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : throw new UsageException($"--{name} must be a whole number");

    private static string Endpoint(string ip, int port) =>
        (ip.Contains(':', StringComparison.Ordinal) ? "[" + ip + "]" : ip) + ":" + Number(port);

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
