using System.CommandLine;
using PeerGate.Device;
using PeerGate.Device.Api;
using PeerGate.Device.Permits;
using PeerGate.Protocol;

namespace PeerGate.VirtualDevice.Commands;

/// <summary>
/// <c>virtual-device permit</c>: the device's own permit table (F14) and policy (F16).
/// <c>permit create group:lab add terminal:T-2</c> sends both operations in one request.
/// </summary>
public static class PermitCommand
{
    /// <summary>
    /// <c>permit show|policy|add|delete|create</c>. Each operation word after the first starts another
    /// operation of the same request, so the entries argument takes the rest of the line.
    /// </summary>
    public static Command Create(DeviceOptionSet device, Func<ParseResult, CliOutput> output, TextWriter error)
    {
        var permit = new Command("permit", "The device's own permit table (F14) and connection policy (F16)");
        var stray = new Argument<string[]>("words") { Arity = ArgumentArity.ZeroOrMore, Hidden = true };
        permit.Add(stray);
        permit.SetAction(new Func<ParseResult, int>(parse =>
        {
            var words = parse.GetValue(stray) ?? [];
            throw new UsageException(words.Length == 0
                ? "permit needs add, delete, create, show or policy"
                : $"'{words[0]}': start with add, delete or create");
        }));

        var uniform = Cli.Value("--uniform-denial", "Strangers are told the device does not exist (on) or permission_denied (off)", "on|off");
        var held = Cli.Value("--device-held", "The device decides each caller itself (on) or the server's table does (off)", "on|off");
        var showWords = new Argument<string[]>("words") { Arity = ArgumentArity.ZeroOrMore, Hidden = true };
        permit.Add(Cli.Leaf("show", "The permit table and policy as the server holds them", parse =>
            Run(CommandLine.From(parse, device.All, ["show", .. parse.GetValue(showWords) ?? []]), output(parse), error),
            [.. device.All, showWords]));
        var policyWords = new Argument<string[]>("words") { Arity = ArgumentArity.ZeroOrMore, Hidden = true };
        Option[] policyOptions = [.. device.All, uniform, held];
        permit.Add(Cli.Leaf("policy", "Set one policy: --uniform-denial on|off or --device-held on|off", parse =>
            Run(CommandLine.From(parse, policyOptions, ["policy", .. parse.GetValue(policyWords) ?? []]), output(parse), error),
            [.. policyOptions, policyWords]));
        foreach (var (op, description) in new[]
        {
            (PermitOps.Add, "Add entries; later add, delete or create words start further operations of the same request"),
            (PermitOps.Delete, "Delete entries"),
            (PermitOps.Create, "Replace the table with these entries (none: empty it)"),
        })
        {
            var entries = new Argument<string[]>("ENTRY") { Description = "terminal:ID, group:GROUP or name:NAME", Arity = ArgumentArity.ZeroOrMore };
            permit.Add(Cli.Leaf(op, description, parse =>
                Run(CommandLine.From(parse, device.All, [op, .. parse.GetValue(entries) ?? []]), output(parse), error),
                [.. device.All, entries]));
        }

        return permit;
    }

    private static int Run(CommandLine line, CliOutput output, TextWriter error)
    {
        var words = line.Positionals;
        if (words[0] != "policy" && words.Any(w => w is "--uniform-denial" or "--device-held"))
        {
            throw new UsageException("--uniform-denial or --device-held belongs to permit policy");
        }

        Func<DeviceAgent, int> action = words[0] switch
        {
            "show" when words.Count == 1 => agent => Show(agent, output),
            "policy" when words.Count == 1 => PolicyAction(line, output),
            "show" or "policy" => throw new UsageException($"permit {words[0]} takes no entries"),
            _ => ApplyAction(ParseOperations(words), output),
        };

        var options = DeviceOptions.From(line);
        var agent = options.CreateAgent(error);
        if (!agent.AuthenticateOnce())
        {
            CliHost.WriteError(error, $"not registered: {agent.LastErrorCode}");
            return Cli.ExitFor(agent.LastErrorCode);
        }

        try
        {
            return action(agent);
        }
        catch (ApiException e)
        {
            return Failed(e, output, error);
        }
    }

    /// <summary>A refusal: the old "failed: code" line on stdout (scripts read it), the error line on stderr, and its exit code.</summary>
    internal static int Failed(ApiException e, CliOutput output, TextWriter error)
    {
        var why = $"{e.Code}{(e.Detail is null ? "" : ": " + e.Detail)}";
        output.Line($"failed: {why}");
        CliHost.WriteError(error, why);
        return Cli.ExitFor(e.Code);
    }

    /// <summary>"add a b delete c": each operation word starts an operation, the entries after it belong to it.</summary>
    public static PermitRequest ParseOperations(IReadOnlyList<string> words)
    {
        var operations = new List<PermitOperation>();
        string? op = null;
        var entries = new List<PermitEntry>();
        foreach (var word in words)
        {
            if (word is PermitOps.Add or PermitOps.Delete or PermitOps.Create)
            {
                if (op is not null)
                {
                    operations.Add(PermitClient.Operation(op, [.. entries]));
                }

                op = word;
                entries.Clear();
                continue;
            }

            if (op is null)
            {
                throw new UsageException($"'{word}': start with add, delete or create");
            }

            try
            {
                entries.Add(PermitEntries.Parse(word));
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
        }

        operations.Add(PermitClient.Operation(op!, [.. entries]));
        foreach (var operation in operations)
        {
            if (operation.Entries.Length == 0 && operation.Op != PermitOps.Create)
            {
                throw new UsageException($"permit {operation.Op} needs at least one entry (create with none empties the table)");
            }
        }

        return new PermitRequest { Operations = [.. operations] };
    }

    private static Func<DeviceAgent, int> ApplyAction(PermitRequest request, CliOutput output) => agent =>
    {
        var result = agent.Permits.Apply(request);
        if (output.Json)
        {
            output.WriteJson(new { result = result.Result, entries = EntriesJson(result.Entries) });
            return Cli.Ok;
        }

        output.Line($"{result.Result}: {result.Entries?.Length ?? 0} entries");
        PrintEntries(result.Entries, output);
        return Cli.Ok;
    };

    private static Func<DeviceAgent, int> PolicyAction(CommandLine line, CliOutput output)
    {
        var uniform = line.Optional("--uniform-denial");
        var held = line.Optional("--device-held");
        if ((uniform is null) == (held is null))
        {
            throw new UsageException("permit policy takes one of --uniform-denial on|off and --device-held on|off");
        }

        var on = OnOff(uniform ?? held!, uniform is null ? "--device-held" : "--uniform-denial");
        if (uniform is not null)
        {
            return agent =>
            {
                agent.Permits.SetUniformDenial(on);
                if (output.Json)
                {
                    output.WriteJson(new { uniformDenial = on });
                    return Cli.Ok;
                }

                output.Line($"uniform denial {(on ? "on" : "off")}");
                return Cli.Ok;
            };
        }

        return agent =>
        {
            agent.Permits.SetDeviceHeld(on);
            if (output.Json)
            {
                output.WriteJson(new { deviceHeld = on });
                return Cli.Ok;
            }

            output.Line($"device-held permits {(on ? "on" : "off")}");
            return Cli.Ok;
        };
    }

    private static bool OnOff(string value, string option) => value switch
    {
        "on" => true,
        "off" => false,
        _ => throw new UsageException($"{option} must be on or off"),
    };

    private static int Show(DeviceAgent agent, CliOutput output)
    {
        var table = agent.Permits.Read();
        if (output.Json)
        {
            output.WriteJson(new { table.UniformDenial, table.DeviceHeld, entries = EntriesJson(table.Entries) });
            return Cli.Ok;
        }

        output.Line($"uniform denial {(table.UniformDenial ? "on" : "off")}");
        output.Line($"device-held permits {(table.DeviceHeld ? "on" : "off")}");
        output.Line($"{table.Entries?.Length ?? 0} entries");
        PrintEntries(table.Entries, output);
        return Cli.Ok;
    }

    private static void PrintEntries(PermitEntry[]? entries, CliOutput output)
    {
        foreach (var entry in entries ?? [])
        {
            output.Line("  " + PermitEntries.Format(entry));
        }
    }

    private static object[] EntriesJson(PermitEntry[]? entries) =>
        (entries ?? []).Select(e => (object)new { kind = e.Kind, value = e.Value }).ToArray();
}
