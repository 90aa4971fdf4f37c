namespace PeerGate.VirtualDevice.Commands;

/// <summary>Wrong command-line use; the CLI prints the message and the usage, and exits 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// "--name value" and "--flag" options after a command word. Each command declares which options
/// take a value and which are flags, so a typo is an error rather than silently ignored.
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string?> _options;

    private CommandLine(Dictionary<string, string?> options, string[] positionals)
    {
        _options = options;
        Positionals = positionals;
    }

    /// <summary>The words that are not options, in order (only when the command takes them).</summary>
    public IReadOnlyList<string> Positionals { get; }

    public static CommandLine Parse(IReadOnlyList<string> args, string[] valueOptions, string[] flagOptions) =>
        Parse(args, valueOptions, flagOptions, allowPositionals: false);

    public static CommandLine Parse(IReadOnlyList<string> args, string[] valueOptions, string[] flagOptions, bool allowPositionals)
    {
        var options = new Dictionary<string, string?>(StringComparer.Ordinal);
        var positionals = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                if (!allowPositionals)
                {
                    throw new UsageException($"unexpected argument '{name}'");
                }

                positionals.Add(name);
                continue;
            }

            if (options.ContainsKey(name))
            {
                throw new UsageException($"{name} given twice");
            }

            if (flagOptions.Contains(name))
            {
                options[name] = null;
            }
            else if (valueOptions.Contains(name))
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new UsageException($"{name} needs a value");
                }

                options[name] = args[++i];
            }
            else
            {
                throw new UsageException($"unknown option {name}");
            }
        }

        return new CommandLine(options, [.. positionals]);
    }

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Optional(string name) => _options.TryGetValue(name, out var value) ? value : null;

    public string Required(string name) => Optional(name) ?? throw new UsageException($"{name} is required");
}
