namespace PeerGate.Server;

/// <summary>
/// The arguments of a maintenance command (<see cref="BackupCommand"/>, <see cref="CopyToPostgresCommand"/>):
/// <c>--to VALUE</c> (or <c>--to=VALUE</c>), the command's own switches, <c>-h</c>, and every
/// <c>--Section:Key value</c>, which goes on to the server's configuration unread.
/// </summary>
internal sealed class CommandArguments
{
    private CommandArguments(string? target, HashSet<string> switches, string[] configuration, bool help, int unexpected)
    {
        Target = target;
        Switches = switches;
        Configuration = configuration;
        Help = help;
        Unexpected = unexpected;
    }

    public string? Target { get; }

    /// <summary>The command's own switches that were given.</summary>
    public IReadOnlySet<string> Switches { get; }

    /// <summary>The configuration arguments, as the command line source of the configuration reads them.</summary>
    public string[] Configuration { get; }

    public bool Help { get; }

    /// <summary>The index of the first argument that is none of these, or -1.</summary>
    public int Unexpected { get; }

    public static CommandArguments Parse(string[] args, params string[] knownSwitches)
    {
        string? target = null;
        var switches = new HashSet<string>(StringComparer.Ordinal);
        var configuration = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "--to" && i + 1 < args.Length)
            {
                target = args[++i];
            }
            else if (arg.StartsWith("--to=", StringComparison.Ordinal))
            {
                target = arg["--to=".Length..];
            }
            else if (knownSwitches.Contains(arg, StringComparer.Ordinal))
            {
                switches.Add(arg);
            }
            else if (arg is "-h" or "--help")
            {
                return new CommandArguments(target, switches, [.. configuration], help: true, unexpected: -1);
            }
            else if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains(':', StringComparison.Ordinal))
            {
                configuration.Add(arg);
                if (!arg.Contains('=', StringComparison.Ordinal) && i + 1 < args.Length)
                {
                    configuration.Add(args[++i]);
                }
            }
            else
            {
                return new CommandArguments(target, switches, [.. configuration], help: false, unexpected: i);
            }
        }

        return new CommandArguments(target, switches, [.. configuration], help: false, unexpected: -1);
    }
}
