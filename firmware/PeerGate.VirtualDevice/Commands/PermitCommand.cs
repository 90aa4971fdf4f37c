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
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var line = CommandLine.Parse(args, [.. DeviceOptions.ValueOptions, "--uniform-denial", "--device-held"], [], allowPositionals: true);
        if (line.Positionals.Count == 0)
        {
            throw new UsageException("permit needs add, delete, create, show or policy");
        }

        var words = line.Positionals;
        if (words[0] != "policy" && (line.Has("--uniform-denial") || line.Has("--device-held")))
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
            error.WriteLine($"virtual-device: not registered: {agent.LastErrorCode}");
            return Cli.Failure;
        }

        try
        {
            return action(agent);
        }
        catch (ApiException e)
        {
            output.WriteLine($"failed: {e.Code}{(e.Detail is null ? "" : ": " + e.Detail)}");
            return Cli.Failure;
        }
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

    private static Func<DeviceAgent, int> ApplyAction(PermitRequest request, TextWriter output) => agent =>
    {
        var result = agent.Permits.Apply(request);
        output.WriteLine($"{result.Result}: {result.Entries?.Length ?? 0} entries");
        PrintEntries(result.Entries, output);
        return Cli.Ok;
    };

    private static Func<DeviceAgent, int> PolicyAction(CommandLine line, TextWriter output)
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
                output.WriteLine($"uniform denial {(on ? "on" : "off")}");
                return Cli.Ok;
            };
        }

        return agent =>
        {
            agent.Permits.SetDeviceHeld(on);
            output.WriteLine($"device-held permits {(on ? "on" : "off")}");
            return Cli.Ok;
        };
    }

    private static bool OnOff(string value, string option) => value switch
    {
        "on" => true,
        "off" => false,
        _ => throw new UsageException($"{option} must be on or off"),
    };

    private static int Show(DeviceAgent agent, TextWriter output)
    {
        var table = agent.Permits.Read();
        output.WriteLine($"uniform denial {(table.UniformDenial ? "on" : "off")}");
        output.WriteLine($"device-held permits {(table.DeviceHeld ? "on" : "off")}");
        output.WriteLine($"{table.Entries?.Length ?? 0} entries");
        PrintEntries(table.Entries, output);
        return Cli.Ok;
    }

    private static void PrintEntries(PermitEntry[]? entries, TextWriter output)
    {
        foreach (var entry in entries ?? [])
        {
            output.WriteLine("  " + PermitEntries.Format(entry));
        }
    }
}
