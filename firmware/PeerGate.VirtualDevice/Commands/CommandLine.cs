using System.CommandLine;

namespace PeerGate.VirtualDevice.Commands;

/// <summary>
/// What a command was given, read from System.CommandLine's parse result: the options that were
/// typed (by name, flags with no value) and the positional words. The commands keep their own checks
/// on top of the parser's, so every message names the option as typed ("--udp must be IP:PORT").
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

    /// <summary>The options of <paramref name="command"/> (its own and inherited) given in <paramref name="parse"/>.</summary>
    public static CommandLine From(ParseResult parse, IEnumerable<Option> options, IReadOnlyList<string> positionals)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var given = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var option in options)
        {
            var result = parse.GetResult(option);
            if (result is null || result.Implicit)
            {
                continue;
            }

            if (option is Option<bool> flag)
            {
                if (parse.GetValue(flag))
                {
                    given[option.Name] = null;
                }

                continue;
            }

            given[option.Name] = result.GetValueOrDefault<string?>();
        }

        return new CommandLine(given, [.. positionals]);
    }

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Optional(string name) => _options.TryGetValue(name, out var value) ? value : null;

    public string Required(string name) => Optional(name) ?? throw new UsageException($"{name} is required");
}
