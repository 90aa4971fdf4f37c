using System.CommandLine;
using System.CommandLine.Invocation;
using System.Globalization;
using System.Reflection;

namespace PeerGate.CliSupport;

/// <summary>
/// Runs a System.CommandLine tree the way both tools behave: a parse error is one line on stderr
/// ("error: ...") and exit 2, never the whole usage; --help and --version exit 0; an exception from a
/// command becomes its exit code (<see cref="ExitCodes"/>) and one line.
/// </summary>
public static class CliHost
{
    /// <summary>
    /// Names the tool after <paramref name="tool"/>'s assembly (help and error lines say "peergate-op",
    /// not the process, which in a test or a rig is "testhost") and puts --version on every command
    /// ("tool any command --version" answers as "tool --version" does), printing that assembly's
    /// informational version: System.CommandLine's own reads the entry assembly.
    /// </summary>
    public static void Identify(RootCommand root, Assembly tool)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(tool);
        root.HelpName = tool.GetName().Name;
        var version = tool.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? tool.GetName().Version?.ToString() ?? "unknown";
        foreach (var option in root.Options.OfType<VersionOption>())
        {
            option.Recursive = true;
            option.Action = new PrintVersion(version);
        }
    }

    private sealed class PrintVersion(string version) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(version);
            return ExitCodes.Ok;
        }
    }

    /// <summary>Runs <paramref name="root"/> over <paramref name="args"/>; <paramref name="classify"/> maps a tool's own exceptions to an exit code and a message.</summary>
    public static async Task<int> RunAsync(RootCommand root, IReadOnlyList<string> args, TextWriter output, TextWriter error, Func<Exception, (int Code, string Message)?>? classify = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        var result = root.Parse(args);
        if (result.Action is ParseErrorAction)
        {
            return ParseError(result, error);
        }

        try
        {
            return await result.InvokeAsync(Configuration(output, error), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return Report(e, error, classify);
        }
    }

    /// <summary>The same for a tool whose commands run synchronously.</summary>
    public static int Run(RootCommand root, IReadOnlyList<string> args, TextWriter output, TextWriter error, Func<Exception, (int Code, string Message)?>? classify = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        var result = root.Parse(args);
        if (result.Action is ParseErrorAction)
        {
            return ParseError(result, error);
        }

        try
        {
            return result.Invoke(Configuration(output, error));
        }
        catch (Exception e)
        {
            return Report(e, error, classify);
        }
    }

    /// <summary>Every command of the tree, depth first, the root first: what the tests walk so a new command is covered.</summary>
    public static IEnumerable<(string[] Path, Command Command)> Walk(Command root)
    {
        ArgumentNullException.ThrowIfNull(root);
        return Walk(root, []);
    }

    private static IEnumerable<(string[] Path, Command Command)> Walk(Command command, string[] path)
    {
        yield return (path, command);
        foreach (var sub in command.Subcommands)
        {
            foreach (var item in Walk(sub, [.. path, sub.Name]))
            {
                yield return item;
            }
        }
    }

    /// <summary>A command holding <paramref name="symbols"/>: its options, arguments and subcommands.</summary>
    public static Command Command(string name, string description, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option option: command.Add(option); break;
                case Argument argument: command.Add(argument); break;
                case Command sub: command.Add(sub); break;
                default: throw new ArgumentException($"{symbol.Name} is neither an option, an argument nor a command", nameof(symbols));
            }
        }

        return command;
    }

    /// <summary>A command that only groups others: given alone it is bad usage, said in one line.</summary>
    public static void NeedsSubcommand(Command command, string message)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.SetAction(new Func<ParseResult, int>(_ => throw new UsageException(message)));
    }

    /// <summary>"error: <paramref name="message"/>": the one line every failure prints.</summary>
    public static void WriteError(TextWriter error, string message)
    {
        ArgumentNullException.ThrowIfNull(error);
        error.WriteLine("error: " + message);
    }

    private static InvocationConfiguration Configuration(TextWriter output, TextWriter error) => new()
    {
        Output = output,
        Error = error,
        EnableDefaultExceptionHandler = false,
    };

    private static int ParseError(ParseResult result, TextWriter error)
    {
        // Every distinct error on one line, then where the usage is: never the whole usage.
        var messages = result.Errors.Select(e => string.Join(' ', e.Message.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries)).TrimEnd('.')).Distinct().ToArray();
        var shown = string.Join("; ", messages.Take(3)) + (messages.Length > 3 ? string.Create(CultureInfo.InvariantCulture, $" (and {messages.Length - 3} more)") : string.Empty);
        WriteError(error, $"{shown}; see '{CommandPath(result.CommandResult)} --help'");
        return ExitCodes.Usage;
    }

    private static string CommandPath(System.CommandLine.Parsing.CommandResult command)
    {
        var names = new List<string>();
        for (var current = command; current is not null; current = current.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, current.Command is RootCommand root ? root.HelpName ?? RootCommand.ExecutableName : current.Command.Name);
        }

        return string.Join(' ', names);
    }

    private static int Report(Exception e, TextWriter error, Func<Exception, (int Code, string Message)?>? classify)
    {
        if (classify?.Invoke(e) is { } mapped)
        {
            WriteError(error, mapped.Message);
            return mapped.Code;
        }

        switch (e)
        {
            case UsageException usage:
                WriteError(error, usage.Message);
                return ExitCodes.Usage;
            case RefusedException refused:
                WriteError(error, refused.Code is null ? refused.Message : $"{refused.Code}: {refused.Message}");
                return ExitCodes.Failure;
            case UnreachableException unreachable:
                WriteError(error, unreachable.Message);
                return ExitCodes.Unreachable;
            case HttpRequestException or TaskCanceledException or TimeoutException:
                WriteError(error, "cannot reach the server: " + e.Message);
                return ExitCodes.Unreachable;
            default:
                throw e is AggregateException { InnerException: { } inner } ? inner : e;
        }
    }
}
