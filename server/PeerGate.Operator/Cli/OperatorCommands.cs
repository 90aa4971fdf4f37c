using System.CommandLine;
using System.Globalization;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;

namespace PeerGate.Operator.Cli;

/// <summary>
/// Every peergate-op command, declared for System.CommandLine (help, completion and parse errors come
/// from there) and run against the operator API. Each value is checked here against the server's rule
/// before anything is sent, so an error names the option or argument the operator typed.
/// </summary>
internal sealed class OperatorCommands(OperatorCli.Connection connection, TextWriter output, TextWriter error, TimeProvider? time = null)
{
    /// <summary>A request body holds a few hundred Device IDs; a factory's list goes in as many as it takes.</summary>
    private const int AllowlistBatch = 500;

    /// <summary>The server's largest enrollment cap of a group.</summary>
    private const long MaxCap = 1_000_000_000;

    private readonly Option<string?> _server = Global("--server", "The server's operator URL (default $PEERGATE_SERVER or " + OperatorCli.DefaultServer + ")", "URL");
    private readonly Option<string?> _token = Global("--token", "The admin token (default $PEERGATE_ADMIN_TOKEN)", "TOKEN");
    private readonly Option<string?> _tokenFile = Global("--token-file", "A file holding the admin token, e.g. the server's data/admin-token", "PATH");
    private readonly Option<bool> _json = CliOptions.Json();

    public RootCommand Build()
    {
        var root = new RootCommand("peergate-op: the operator's command line over a PeerGate server's /v1/admin API.\n"
            + "Exit codes: 0 done, 1 refused by the server, 2 bad usage, 3 server not reachable.")
        {
            _server, _token, _tokenFile, _json,
            Enroll(), Groups(), Group(), Toggle("disable", "Refuse it on every route at once, until enabled"), Toggle("enable", "Let it in again"),
            Revoke(), Alloc(), Devices(), Permits(), Attempts(), Sessions(), Terminate(), SessionPolicy(), Names(), IssuerKey(), Provision(),
        };
        CliHost.NeedsSubcommand(root, "no command given; see peergate-op --help");
        CliHost.Identify(root, typeof(OperatorCommands).Assembly);
        return root;
    }

    private static Option<string?> Global(string name, string description, string helpName) => new(name)
    {
        Description = description,
        HelpName = helpName,
        Recursive = true,
    };

    private CliOutput Out(ParseResult parse) => new(output, error, parse.GetValue(_json));

    private AdminClient Admin(ParseResult parse) =>
        connection.Get(parse.GetValue(_server), parse.GetValue(_token), parse.GetValue(_tokenFile));

    private static Argument<string> Arg(string name, string description) => new(name) { Description = description };

    private static Command Leaf(string name, string description, Func<ParseResult, CancellationToken, Task> action, params Symbol[] symbols)
    {
        var command = CliHost.Command(name, description, symbols);

        command.SetAction(async (parse, cancellationToken) =>
        {
            await action(parse, cancellationToken);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Parent(string name, string description, params Command[] subcommands)
    {
        var command = new Command(name, description);
        foreach (var sub in subcommands)
        {
            command.Add(sub);
        }

        CliHost.NeedsSubcommand(command, $"{name} needs one of: {string.Join(", ", subcommands.Select(s => s.Name))}; see {name} --help");
        return command;
    }

    // ---- enroll

    private Command Enroll()
    {
        var deviceId = Arg("DeviceId", "The Device ID burned into the device (12 to 64 hex digits)");
        var deviceKey = CliOptions.Hex("--key", "The device key; generated and shown once when omitted", AuthProofs.DeviceKeyLength);
        var groups = new Option<string[]>("--group") { Description = "A group the device belongs to (repeat for more)", HelpName = "G", Arity = ArgumentArity.ZeroOrMore };
        var name = CliOptions.Text("--name", "Bind this device name to it at once", "NAME");
        var device = Leaf("device", "Enroll a device (key generated when omitted, shown once), binding its device name at once", async (parse, ct) =>
        {
            var id = Rules.DeviceId(parse.GetValue(deviceId)!, "DeviceId");
            var groupIds = (parse.GetValue(groups) ?? []).Select(g => Rules.Name(g, "--group")).ToArray();
            var deviceName = parse.GetValue(name) is { } n ? Rules.DeviceName(n, "--name") : null;
            var key = parse.GetValue(deviceKey);
            var enrolled = await Admin(parse).EnrollDeviceAsync(id, key?.ToUpperInvariant(), groupIds, deviceName, ct);
            var o = Out(parse);
            if (o.Json)
            {
                o.WriteJson(new { enrolled.DeviceId, enrolled.Groups, name = deviceName, key = key is null ? enrolled.KeyHex : null });
                return;
            }

            o.Line($"enrolled device {enrolled.DeviceId}{(enrolled.Groups.Length > 0 ? " in " + string.Join(", ", enrolled.Groups) : string.Empty)}{(deviceName is null ? string.Empty : " as " + deviceName)}");
            if (key is null)
            {
                o.Line($"device key (shown once, write it into the device): {enrolled.KeyHex}");
            }
        }, deviceId, deviceKey, groups, name);

        var groupId = Arg("GroupId", "The group's ID");
        var groupKey = CliOptions.Hex("--key", "The group key; generated and shown once when omitted", AuthProofs.DeviceKeyLength);
        var derivation = CliOptions.OneOf("--derivation", "How member keys derive from the group key: v2, or v1 only for a --key whose devices were flashed with v1", "v1", "v2");
        var group = Leaf("group", "Enroll a group whose key derives member keys", async (parse, ct) =>
        {
            var id = Rules.Name(parse.GetValue(groupId)!, "GroupId");
            var key = parse.GetValue(groupKey);
            int? version = parse.GetValue(derivation) switch
            {
                "v1" => AuthProofs.GroupDerivationV1,
                "v2" => AuthProofs.GroupDerivationV2,
                _ => null,
            };
            if (version == AuthProofs.GroupDerivationV1 && key is null)
            {
                throw new UsageException("--derivation v1 needs the --key its devices were flashed with");
            }

            var enrolled = await Admin(parse).EnrollGroupAsync(id, key?.ToUpperInvariant(), version, ct);
            var o = Out(parse);
            if (o.Json)
            {
                o.WriteJson(new { enrolled.GroupId, derivation = Derivation(enrolled.Derivation), key = key is null ? enrolled.KeyHex : null });
                return;
            }

            o.Line($"enrolled group {enrolled.GroupId}, key derivation {Derivation(enrolled.Derivation)}: flash its devices with --derivation {Derivation(enrolled.Derivation)}");
            if (key is null)
            {
                o.Line($"group key (shown once, keep it in the factory): {enrolled.KeyHex}");
            }
        }, groupId, groupKey, derivation);

        return Parent("enroll", "Enroll a device or a group", device, group);
    }

    // ---- groups

    private Command Groups() => Leaf("groups", "Groups: derivation, state, enrolled/cap, enrollment, allowlist", async (parse, ct) =>
        WriteGroups(Out(parse), await Admin(parse).ListGroupsAsync(ct)));

    private Command Group()
    {
        Argument<string> GroupArg() => Arg("GroupId", "The group's ID");

        var showId = GroupArg();
        var show = Leaf("show", "One group, the same columns as groups", async (parse, ct) =>
            WriteGroups(Out(parse), [await Admin(parse).GetGroupAsync(Rules.Name(parse.GetValue(showId)!, "GroupId"), ct)]), showId);

        var capId = GroupArg();
        var capValue = Arg("Cap", "The most devices that may enroll through the group key: a number, or 'default' for the server's");
        var cap = Leaf("cap", "The most devices that may enroll through the group key", async (parse, ct) =>
        {
            var given = parse.GetValue(capValue)!;
            long? value = given == "default" ? null
                : long.TryParse(given, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= MaxCap ? n
                : throw new UsageException($"Cap must be a whole number from 0 to {MaxCap}, or 'default'");
            var group = await Admin(parse).SetGroupEnrollmentCapAsync(Rules.Name(parse.GetValue(capId)!, "GroupId"), value, ct);
            var o = Out(parse);
            o.Line($"group {group.GroupId}: at most {group.EnrollmentCap.ToString(CultureInfo.InvariantCulture)} devices enroll automatically{(group.CapIsDefault ? " (the server's default)" : string.Empty)}; {Number(group.Enrolled)} have");
            WriteGroups(o, [group]);
        }, capId, capValue);

        Command Enrollment(string name, string description, Func<AdminClient, string, CancellationToken, Task<GroupSummary>> call, string done)
        {
            var id = GroupArg();
            return Leaf(name, description, async (parse, ct) =>
            {
                var group = await call(Admin(parse), Rules.Name(parse.GetValue(id)!, "GroupId"), ct);
                var o = Out(parse);
                o.Line($"group {group.GroupId}: {done}");
                WriteGroups(o, [group]);
            }, id);
        }

        Command Allowlist(string name, string description, Func<AdminClient, string, string[], CancellationToken, Task<GroupAllowlist>> call)
        {
            var id = GroupArg();
            var deviceIds = new Argument<string[]>("DeviceId") { Description = "Device IDs (12 to 64 hex digits)", Arity = ArgumentArity.OneOrMore };
            return Leaf(name, description, async (parse, ct) =>
            {
                var groupId = Rules.Name(parse.GetValue(id)!, "GroupId");
                var ids = parse.GetValue(deviceIds)!.Select(d => Rules.DeviceId(d, "DeviceId")).ToArray();
                var o = Out(parse);
                var batches = ids.Chunk(AllowlistBatch).ToArray();
                var list = await o.ProgressAsync([("Device IDs sent", ids.Length)], async report =>
                {
                    GroupAllowlist? last = null;
                    var sent = 0;
                    foreach (var batch in batches)
                    {
                        last = await call(Admin(parse), groupId, batch, ct);
                        sent += batch.Length;
                        report(0, sent);
                    }

                    return last!;
                });
                if (o.Json)
                {
                    o.WriteJson(list);
                    return;
                }

                o.Line($"group {groupId}: allowlist on, {Number(list.DeviceIds.Length)} Device ID(s); only they enroll through the group key");
            }, id, deviceIds);
        }

        Command ShowList(string name, string description, Func<AdminClient, string, CancellationToken, Task<GroupAllowlist>> call)
        {
            var id = GroupArg();
            return Leaf(name, description, async (parse, ct) =>
            {
                var groupId = Rules.Name(parse.GetValue(id)!, "GroupId");
                var list = await call(Admin(parse), groupId, ct);
                var o = Out(parse);
                if (o.Json)
                {
                    o.WriteJson(list);
                    return;
                }

                if (!list.On)
                {
                    o.Line($"group {groupId}: no allowlist; any device holding a key derived from the group key may enroll (within its cap)");
                    return;
                }

                o.Line($"group {groupId}: allowlist on, {Number(list.DeviceIds.Length)} Device ID(s){(list.DeviceIds.Length == 0 ? "; nobody enrolls through the group key" : string.Empty)}");
                foreach (var deviceId in list.DeviceIds)
                {
                    o.Line(deviceId);
                }
            }, id);
        }

        return Parent("group", "Show and steer one group's automatic enrollment",
            show,
            cap,
            Enrollment("stop-enrollment", "Refuse new devices through the group at once; members keep working", (a, g, ct) => a.StopGroupEnrollmentAsync(g, ct), "automatic enrollment stopped; members keep working"),
            Enrollment("start-enrollment", "Let new devices enroll through the group again (within its cap)", (a, g, ct) => a.StartGroupEnrollmentAsync(g, ct), "automatic enrollment started"),
            Allowlist("allow", "Put Device IDs on the group's factory allowlist and turn it on: only listed devices enroll through the group key", (a, g, ids, ct) => a.AllowInGroupAsync(g, ids, ct)),
            Allowlist("disallow", "Take Device IDs off the allowlist (it stays on, even empty)", (a, g, ids, ct) => a.DisallowInGroupAsync(g, ids, ct)),
            ShowList("allowlist", "The group's allowlist", (a, g, ct) => a.GetGroupAllowlistAsync(g, ct)),
            ShowList("allow-any", "Clear the allowlist and turn it off: any device holding a key derived from the group key may enroll (within its cap)", (a, g, ct) => a.RemoveGroupAllowlistAsync(g, ct)));
    }

    private static void WriteGroups(CliOutput o, GroupSummary[] groups) => o.Table(
        groups.Select(g => new
        {
            g.GroupId,
            g.HasKey,
            derivation = g.HasKey ? Derivation(g.Derivation) : null,
            state = GroupState(g),
            g.Members,
            g.Enrolled,
            g.EnrollmentCap,
            g.CapIsDefault,
            enrollment = Enrollment(g),
            g.AllowlistOn,
            g.AllowlistEntries,
            createdAt = CliTime.Json(g.CreatedAt),
        }).ToArray(),
        ["GROUP", "KEY", "STATE", "MEMBERS", "ENROLLED/CAP", "ENROLLMENT", "ALLOWLIST"],
        groups.Select(g => new[]
        {
            g.GroupId,
            g.HasKey ? Derivation(g.Derivation) : "none",
            GroupState(g),
            Number(g.Members),
            Number(g.Enrolled) + "/" + g.EnrollmentCap.ToString(CultureInfo.InvariantCulture) + (g.CapIsDefault ? " (default)" : string.Empty),
            Enrollment(g),
            g.AllowlistOn ? Number(g.AllowlistEntries) + " listed" : "off",
        }));

    private static string GroupState(GroupSummary g) => g.Revoked ? "revoked" : g.Disabled ? "disabled" : "enabled";

    private static string Enrollment(GroupSummary g) => g.EnrollmentStopped ? "stopped" : g.Enrolled >= g.EnrollmentCap ? "at cap" : "open";

    private static string Derivation(int version) => "v" + Number(version);

    // ---- disable / enable / revoke

    private Command Toggle(string verb, string description)
    {
        var device = verb == "disable"
            ? Named("device", "DeviceId", "Refuse the device on every route at once, until enabled", Rules.DeviceId, (a, id, ct) => a.DisableDeviceAsync(id, ct), "disabled device")
            : Named("device", "DeviceId", "Let the device in again", Rules.DeviceId, (a, id, ct) => a.EnableDeviceAsync(id, ct), "enabled device");
        var group = verb == "disable"
            ? Named("group", "GroupId", "Refuse every member on every route, until enabled", Rules.Name, (a, id, ct) => a.DisableGroupAsync(id, ct), "disabled group")
            : Named("group", "GroupId", "Let the group's members in again", Rules.Name, (a, id, ct) => a.EnableGroupAsync(id, ct), "enabled group");
        return Parent(verb, description, device, group);
    }

    private Command Revoke() => Parent("revoke", "Revoke a certificate, a device or a group",
        Named("cert", "Serial", "Revoke one certificate", Rules.Name, (a, s, ct) => a.RevokeCertificateAsync(s, ct), "revoked certificate"),
        Named("device", "DeviceId", "Disable the device and revoke its certificates", Rules.DeviceId, (a, id, ct) => a.RevokeDeviceAsync(id, ct), "revoked device"),
        Named("group", "GroupId", "Refuse the group's members", Rules.Name, (a, id, ct) => a.RevokeGroupAsync(id, ct), "revoked group"));

    private Command Named(string name, string what, string description, Func<string, string, string> rule, Func<AdminClient, string, CancellationToken, Task> call, string done)
    {
        var value = Arg(what, what == "DeviceId" ? "The Device ID (12 to 64 hex digits)" : "The " + what);
        return Leaf(name, description, async (parse, ct) =>
        {
            var checkedValue = rule(parse.GetValue(value)!, what);
            await call(Admin(parse), checkedValue, ct);
            var o = Out(parse);
            if (o.Json)
            {
                o.WriteJson(new { done, value = checkedValue });
                return;
            }

            o.Line($"{done} {checkedValue}");
        }, value);
    }

    // ---- alloc

    private Command Alloc()
    {
        var roles = new[] { HopRoles.Allocation, HopRoles.Authentication };
        var setLevel = CliOptions.Int("--level", "The level the entry answers for", 1, 4);
        setLevel.Required = true;
        var setKey = CliOptions.Text("--key", "The allocation key the device presents", "K", required: true);
        var setRole = CliOptions.OneOf("--role", "Where the device goes next", roles);
        setRole.Required = true;
        var setUrl = CliOptions.Text("--url", "The next server's base URL (http or https)", "URL", required: true);
        var nextLevel = CliOptions.Int("--next-level", "For an allocation hop, the level the next server answers for (default --level + 1)", 1, 4, "M");
        var set = Leaf("set", "Set one allocation entry: (level, key) -> role, URL, next level", async (parse, ct) =>
        {
            var level = parse.GetValue(setLevel)!.Value;
            var key = Rules.Name(parse.GetValue(setKey)!, "--key");
            var role = parse.GetValue(setRole)!;
            var url = Rules.Url(parse.GetValue(setUrl)!, "--url");
            var next = role == HopRoles.Allocation ? parse.GetValue(nextLevel) ?? level + 1 : 0;
            if (role == HopRoles.Allocation && next > 4)
            {
                throw new UsageException("--next-level must be a whole number from 1 to 4 (--level 4 has no level after it)");
            }

            await Admin(parse).SetAllocationEntryAsync(new AllocationEntry(level, key, role, url, next), ct);
            var o = Out(parse);
            if (o.Json)
            {
                o.WriteJson(new AllocationEntry(level, key, role, url, next));
                return;
            }

            o.Line($"level {level} key {key} -> {role} {url}{(role == HopRoles.Allocation ? " (level " + Number(next) + ")" : string.Empty)}");
        }, setLevel, setKey, setRole, setUrl, nextLevel);

        var deleteLevel = CliOptions.Int("--level", "The entry's level", 1, 4);
        deleteLevel.Required = true;
        var deleteKey = CliOptions.Text("--key", "The entry's allocation key", "K", required: true);
        var delete = Leaf("delete", "Delete one allocation entry", async (parse, ct) =>
        {
            var level = parse.GetValue(deleteLevel)!.Value;
            var key = Rules.Name(parse.GetValue(deleteKey)!, "--key");
            await Admin(parse).DeleteAllocationEntryAsync(level, key, ct);
            var o = Out(parse);
            if (o.Json)
            {
                o.WriteJson(new { deleted = true, level, key });
                return;
            }

            o.Line($"deleted level {level} entry {key}");
        }, deleteLevel, deleteKey);

        var serviceUrl = CliOptions.Text("--url", "The first server a device asks (http or https)", "URL", required: true);
        var serviceRole = CliOptions.OneOf("--role", "What that server is (default allocation)", roles);
        var serviceLevel = CliOptions.Int("--level", "The level it answers for (default 1 for allocation, 0 for authentication)", 0, 4);
        var serviceEntry = Leaf("service-entry", "Set the service entry: where every device starts", async (parse, ct) =>
        {
            var url = Rules.Url(parse.GetValue(serviceUrl)!, "--url");
            var role = parse.GetValue(serviceRole) ?? HopRoles.Allocation;
            var level = parse.GetValue(serviceLevel) ?? (role == HopRoles.Allocation ? 1 : 0);
            if ((role == HopRoles.Allocation) != (level > 0))
            {
                throw new UsageException(role == HopRoles.Allocation ? "--level must be 1 to 4 for an allocation server" : "--level must be 0 for an authentication server");
            }

            await Admin(parse).SetServiceEntryAsync(new AllocationHop { Role = role, Url = url, Level = level }, ct);
            var o = Out(parse);
            if (o.Json)
            {
                o.WriteJson(new { role, url, level });
                return;
            }

            o.Line($"service entry -> {role} {url}{(role == HopRoles.Allocation ? " (level " + Number(level) + ")" : string.Empty)}");
        }, serviceUrl, serviceRole, serviceLevel);

        var list = Leaf("list", "The service entry and the allocation table", async (parse, ct) =>
        {
            var table = await Admin(parse).GetAllocationTableAsync(ct);
            var o = Out(parse);
            if (o.Json)
            {
                o.WriteJson(new
                {
                    serviceEntry = table.ServiceEntry is { } e ? new { e.Role, e.Url, e.Level } : null,
                    table.Entries,
                });
                return;
            }

            o.Line(table.ServiceEntry is { } entry
                ? $"service entry: {entry.Role} {entry.Url} (level {entry.Level})"
                : "service entry: (not set)");
            o.Table(
                ["LEVEL", "KEY", "ROLE", "URL", "NEXT"],
                table.Entries.Select(e => new[] { Number(e.Level), e.Key, e.Role, e.Url, e.Role == HopRoles.Allocation ? Number(e.NextLevel) : "-" }));
        });

        return Parent("alloc", "The allocation chain: the service entry and the allocation table",
            Parent("entry", "Set or delete an allocation entry", set, delete), serviceEntry, list);
    }

    // ---- devices, permits, attempts, sessions

    private Command Devices() => Leaf("devices", "Devices, addresses, last seen, online", async (parse, ct) =>
    {
        var devices = await Admin(parse).ListDevicesAsync(ct);
        Out(parse).Table(
            devices.Select(d => new
            {
                d.DeviceId,
                d.TerminalId,
                d.Groups,
                declared = d.LocalIp is null ? null : new { ip = d.LocalIp, port = d.LocalPort },
                observed = d.ObservedIp is null ? null : new { ip = d.ObservedIp, port = d.ObservedPort },
                lastSeen = d.LastSeen == 0 ? (DateTime?)null : CliTime.Json(d.LastSeen),
                expiresAt = d.ExpiresAt == 0 ? (DateTime?)null : CliTime.Json(d.ExpiresAt),
                state = d.Disabled ? "disabled" : d.Online ? "online" : "offline",
                d.Name,
                udp = d.UdpObservedIp is null ? null : new { ip = d.UdpObservedIp, port = d.UdpObservedPort },
                channel = d.TriggerChannel,
                d.Paths,
                lastAnswer = d.LastAnswer is null ? null : new { status = d.LastAnswer, reason = d.LastAnswerReason, at = CliTime.Json(d.LastAnswerAt) },
            }).ToArray(),
            ["DEVICE", "TERMINAL", "GROUPS", "DECLARED", "OBSERVED", "LAST SEEN", "STATE", "NAME", "UDP", "CHANNEL", "PATHS", "LAST ANSWER"],
            devices.Select(d => new[]
            {
                d.DeviceId,
                d.TerminalId ?? "-",
                d.Groups.Length == 0 ? "-" : string.Join(",", d.Groups),
                d.LocalIp is null ? "-" : Endpoint(d.LocalIp, d.LocalPort),
                d.ObservedIp is null ? "-" : Endpoint(d.ObservedIp, d.ObservedPort),
                d.LastSeen == 0 ? "never" : CliTime.Human(d.LastSeen),
                d.Disabled ? "disabled" : d.Online ? "online" : "offline",
                d.Name ?? "-",
                d.UdpObservedIp is null ? "-" : Endpoint(d.UdpObservedIp, d.UdpObservedPort),
                d.TriggerChannel ?? "-",
                d.Paths is null ? "-" : d.Paths.Length == 0 ? "none" : string.Join(",", d.Paths),
                // The status only: the reason is the device's own text, given whole (escaped) by --json.
                d.LastAnswer ?? "-",
            }));
    });

    private Command Permits()
    {
        var terminal = Arg("TerminalId", "The terminal whose permit table to show");
        return Leaf("permits", "A terminal's permit table and connection policy", async (parse, ct) =>
        {
            var terminalId = Rules.Name(parse.GetValue(terminal)!, "TerminalId");
            var table = await Admin(parse).GetPermitsAsync(terminalId, ct);
            var o = Out(parse);
            if (o.Json)
            {
                o.WriteJson(new { terminalId, table.UniformDenial, entries = table.Entries.Select(e => new { e.Kind, e.Value }).ToArray() });
                return;
            }

            o.Line($"terminal {terminalId}: {(table.UniformDenial ? "uniform denial (strangers are told it does not exist)" : "strangers are told permission_denied")}");
            o.Table(["KIND", "VALUE"], table.Entries.Select(e => new[] { e.Kind, e.Value }));
        }, terminal);
    }

    private static Option<int?> Limit(string what) => CliOptions.Int("--limit", $"How many of the most recent {what} (default 50)", 1, 1000);

    private Command Attempts()
    {
        var limit = Limit("connection queries");
        return Leaf("attempts", "Recent connection queries: stage reached, code, path, session", async (parse, ct) =>
        {
            var attempts = await Admin(parse).ListConnectionAttemptsAsync(parse.GetValue(limit) ?? 50, ct);
            Out(parse).Table(
                attempts.Select(a => new { a.Id, at = CliTime.Json(a.At), a.Caller, a.Callee, a.Stage, a.Code, a.Path, a.NoPath, a.SessionId }).ToArray(),
                ["TIME", "CALLER", "CALLEE", "STAGE", "CODE", "PATH", "SESSION"],
                attempts.Select(a => new[]
                {
                    CliTime.Human(a.At),
                    a.Caller,
                    a.Callee ?? "-",
                    a.Stage,
                    a.Code ?? "-",
                    // A relayed session also says why the punch did not carry it (failed, not paired, skipped for a port-dependent mapping).
                    a.Path is null ? (a.NoPath is null ? "-" : "none (" + a.NoPath + ")") : a.NoPath is null ? a.Path : a.Path + " (" + a.NoPath + ")",
                    a.SessionId ?? "-",
                }));
        }, limit);
    }

    private Command Sessions()
    {
        var limit = Limit("sessions");
        return Leaf("sessions", "Recent sessions: state, limits, who ended it, bytes from the end notices", async (parse, ct) =>
        {
            var sessions = await Admin(parse).ListSessionsAsync(parse.GetValue(limit) ?? 50, ct);
            Out(parse).Table(
                sessions.Select(s => new
                {
                    s.SessionId,
                    s.Caller,
                    s.Callee,
                    s.State,
                    startedAt = CliTime.Json(s.StartedAt),
                    endsAt = CliTime.Json(s.EndsAt),
                    s.ByteLimit,
                    s.EndedBy,
                    endedAt = s.EndedAt == 0 ? (DateTime?)null : CliTime.Json(s.EndedAt),
                    callerNotice = NoticeJson(s.CallerNotice),
                    calleeNotice = NoticeJson(s.CalleeNotice),
                }).ToArray(),
                ["SESSION", "CALLER", "CALLEE", "STATE", "STARTED", "ENDS", "BYTE LIMIT", "ENDED BY", "CALLER NOTICE", "CALLEE NOTICE"],
                sessions.Select(s => new[]
                {
                    s.SessionId,
                    s.Caller,
                    s.Callee,
                    s.State,
                    CliTime.Human(s.StartedAt),
                    CliTime.Human(s.EndsAt),
                    s.ByteLimit == 0 ? "none" : s.ByteLimit.ToString(CultureInfo.InvariantCulture),
                    s.EndedBy ?? "-",
                    Notice(s.CallerNotice),
                    Notice(s.CalleeNotice),
                }));
        }, limit);
    }

    private static object? NoticeJson(SessionNoticeSummary? notice) => notice is null
        ? null
        : new { notice.Reason, notice.Detail, notice.BytesSent, notice.BytesReceived, at = CliTime.Json(notice.At) };

    /// <summary>"reason sent/received" of one side's end notice, or "-" before it arrived.</summary>
    private static string Notice(SessionNoticeSummary? notice) =>
        notice is null ? "-" : $"{notice.Reason}{(notice.Detail is null ? string.Empty : "(" + notice.Detail + ")")} {notice.BytesSent}/{notice.BytesReceived}";

    private Command Terminate()
    {
        var session = Arg("SessionId", "The session to end");
        return Leaf("terminate", "End an active session; both devices are told through the trigger channel", async (parse, ct) =>
        {
            var ended = await Admin(parse).TerminateSessionAsync(Rules.Name(parse.GetValue(session)!, "SessionId"), ct);
            var o = Out(parse);
            if (o.Json)
            {
                o.WriteJson(new { ended.SessionId, ended.Caller, ended.Callee, ended.State, ended.EndedBy });
                return;
            }

            o.Line($"terminated session {ended.SessionId} ({ended.Caller} -> {ended.Callee}); both devices are told to close it");
        }, session);
    }

    private Command SessionPolicy()
    {
        var terminal = Arg("TerminalId", "The terminal the ceiling is for");
        var maxSeconds = CliOptions.Number("--max-seconds", "The longest a session may last in all, in seconds (0: the server's)", 0, int.MaxValue);
        maxSeconds.Required = true;
        var maxBytes = CliOptions.Number("--max-bytes", "The most bytes a session may carry (0 or omitted: the server's cap)", 0, long.MaxValue);
        return Leaf("session-policy", "A device's ceiling on a session's total lifetime and bytes", async (parse, ct) =>
        {
            var terminalId = Rules.Name(parse.GetValue(terminal)!, "TerminalId");
            var seconds = parse.GetValue(maxSeconds)!.Value;
            var bytes = parse.GetValue(maxBytes) ?? 0;
            await Admin(parse).SetSessionPolicyAsync(terminalId, seconds, bytes, ct);
            var o = Out(parse);
            if (o.Json)
            {
                o.WriteJson(new { terminalId, maxSeconds = seconds, maxBytes = bytes });
                return;
            }

            o.Line($"terminal {terminalId}: sessions at most {(seconds == 0 ? "the server's" : seconds.ToString(CultureInfo.InvariantCulture) + " s")}, {(bytes == 0 ? "the server's byte cap" : bytes.ToString(CultureInfo.InvariantCulture) + " bytes")}");
        }, terminal, maxSeconds, maxBytes);
    }

    // ---- names, issuer-key

    private Command Names()
    {
        Command Bind(string name, string description, bool rebind)
        {
            var deviceName = Arg("Name", "The device name, e.g. TERM1 or door@example.com");
            var deviceId = Arg("DeviceId", "The Device ID that owns it");
            var issuer = CliOptions.Text("--issuer", "The instance that certified the device (default this one)", "I");
            return Leaf(name, description, async (parse, ct) =>
            {
                var bound = await Admin(parse).BindNameAsync(
                    Rules.DeviceName(parse.GetValue(deviceName)!, "Name"),
                    Rules.DeviceId(parse.GetValue(deviceId)!, "DeviceId"),
                    parse.GetValue(issuer) is { } i ? Rules.Name(i, "--issuer") : null,
                    rebind,
                    ct);
                var o = Out(parse);
                if (o.Json)
                {
                    o.WriteJson(NameJson(bound));
                    return;
                }

                o.Line($"name {bound.Name} belongs to device {bound.DeviceId} ({bound.Issuer}){(bound.TerminalId is null ? string.Empty : ", terminal " + bound.TerminalId)}");
            }, deviceName, deviceId, issuer);
        }

        var reserveName = Arg("Name", "The device name to hold back");
        var reserve = Leaf("reserve", "No device may claim the name until it is bound", async (parse, ct) =>
        {
            var reserved = await Admin(parse).ReserveNameAsync(Rules.DeviceName(parse.GetValue(reserveName)!, "Name"), ct);
            var o = Out(parse);
            if (o.Json)
            {
                o.WriteJson(NameJson(reserved));
                return;
            }

            o.Line($"name {reserved.Name} is reserved: no device may claim it");
        }, reserveName);

        var releaseName = Arg("Name", "The device name to free");
        var release = Leaf("release", "Free the name; permit entries naming it match nobody", async (parse, ct) =>
        {
            var name = Rules.DeviceName(parse.GetValue(releaseName)!, "Name");
            await Admin(parse).ReleaseNameAsync(name, ct);
            var o = Out(parse);
            if (o.Json)
            {
                o.WriteJson(new { name, released = true });
                return;
            }

            o.Line($"name {name} released: permit entries naming it match nobody until it is bound again");
        }, releaseName);

        var names = Leaf("names", "Device names: owner, state, bound by the operator or claimed", async (parse, ct) =>
        {
            var all = await Admin(parse).ListNamesAsync(ct);
            Out(parse).Table(
                all.Select(NameJson).ToArray(),
                ["NAME", "STATE", "DEVICE", "ISSUER", "TERMINAL", "BOUND BY", "SINCE"],
                all.Select(n => new[] { n.Name, n.State, n.DeviceId ?? "-", n.Issuer ?? "-", n.TerminalId ?? "-", n.BoundBy, CliTime.Human(n.BoundAt) }));
        },
        Bind("bind", "The name belongs to that device (another device's name: refused)", rebind: false),
        Bind("rebind", "Move the name to that device, replacing the device's other name", rebind: true),
        reserve,
        release);
        return names;
    }

    private static object NameJson(DeviceNameSummary n) =>
        new { n.Name, n.State, n.DeviceId, n.Issuer, n.TerminalId, n.BoundBy, boundAt = CliTime.Json(n.BoundAt) };

    private Command IssuerKey() => Leaf("issuer-key", "This server's issuer name and public key, as the settings another instance pins to trust its certificates", async (parse, ct) =>
    {
        var key = await Admin(parse).GetIssuerKeyAsync(ct);
        var o = Out(parse);
        if (o.Json)
        {
            o.WriteJson(new { key.Issuer, key.Algorithm, key.PublicKey });
            return;
        }

        o.Line($"issuer {key.Issuer} ({key.Algorithm}); on a registry that trusts it, set:");
        o.Line($"PeerGate:TrustedIssuers:N:Name = {key.Issuer}");
        o.Line($"PeerGate:TrustedIssuers:N:PublicKeys:M = {key.PublicKey}");
    });

    // ---- provision

    private Command Provision()
    {
        var deviceId = Arg("DeviceId", "The Device ID burned into the device (12 to 64 hex digits)");
        var folder = CliOptions.Text("--out", "The provisioning folder to write (new or empty; --force replaces one)", "DIR", required: true);
        var serviceUrl = CliOptions.Text("--service-url", "The service entry URL the device starts its allocation walk at", "URL", required: true);
        var allocationKeys = CliOptions.Text("--allocation-keys", "The device's allocation keys, level 1 first", "K", required: true);
        var group = CliOptions.Text("--group", "Provision a member of this group, its key derived from the group key", "G");
        var groupKeyFile = CliOptions.Text("--group-key-file", "The group key (32 bytes) the member's key derives from", "PATH");
        var derivation = CliOptions.OneOf("--derivation", "Checked against the group's key derivation", "v1", "v2");
        var name = CliOptions.Text("--name", "Bind this device name at enrollment (individual devices)", "NAME");
        var caFile = CliOptions.Text("--ca-file", "The private CA certificate the device pins (PEM)", "PEM");
        var udpServer = CliOptions.Text("--udp-server", "The server's UDP registration endpoint, IPv4:PORT", "IP:PORT");
        var allowPlainHttp = new Option<bool>("--allow-plain-http") { Description = "Let the device speak plain HTTP (a local demo only)" };
        var force = new Option<bool>("--force") { Description = "Replace an existing provisioning folder" };
        return Leaf("provision", "Enroll a device (individually or as a group member) and write the folder peergate-flash config --from puts on the board", async (parse, ct) =>
        {
            var options = new ProvisionOptions
            {
                DeviceId = parse.GetValue(deviceId)!,
                Folder = parse.GetValue(folder)!,
                ServiceUrl = parse.GetValue(serviceUrl)!,
                AllocationKeys = parse.GetValue(allocationKeys)!,
                GroupId = parse.GetValue(group),
                GroupKeyFile = parse.GetValue(groupKeyFile),
                Derivation = parse.GetValue(derivation),
                Name = parse.GetValue(name),
                CaFile = parse.GetValue(caFile),
                UdpServer = parse.GetValue(udpServer),
                AllowPlainHttp = parse.GetValue(allowPlainHttp),
                Force = parse.GetValue(force),
            };
            await ProvisionCommand.RunAsync(options, Admin(parse), output, time, ct);
        }, deviceId, folder, serviceUrl, allocationKeys, group, groupKeyFile, derivation, name, caFile, udpServer, allowPlainHttp, force);
    }

    private static string Endpoint(string ip, int port) =>
        (ip.Contains(':', StringComparison.Ordinal) ? "[" + ip + "]" : ip) + ":" + Number(port);

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
