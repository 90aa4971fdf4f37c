namespace PeerGate.Operator.Cli;

/// <summary>
/// Kept for commands not yet declared in <see cref="OperatorCommands"/>: the command line split into words (the command path) and --options. Options may repeat
/// (--group a --group b); every option takes a value. Unknown options are reported, not ignored.
/// </summary>
public sealed class Arguments
{
    private readonly List<string> _words = [];
    private readonly List<(string Name, string Value)> _options = [];
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private Arguments()
    {
    }

    public static Arguments Parse(string[] args)
    {
        var parsed = new Arguments();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2)
            {
                var equals = arg.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0)
                {
                    parsed._options.Add((arg[2..equals], arg[(equals + 1)..]));
                }
                else if (i + 1 < args.Length)
                {
                    parsed._options.Add((arg[2..], args[++i]));
                }
                else
                {
                    throw new UsageException($"{arg} needs a value");
                }
            }
            else
            {
                parsed._words.Add(arg);
            }
        }

        return parsed;
    }

    public IReadOnlyList<string> Words => _words;

    public string? Optional(string name)
    {
        _read.Add(name);
        var values = _options.Where(o => o.Name == name).Select(o => o.Value).ToArray();
        return values.Length switch
        {
            0 => null,
            1 => values[0],
            _ => throw new UsageException($"--{name} given more than once"),
        };
    }

    public string Required(string name) => Optional(name) ?? throw new UsageException($"--{name} is required");

    public string[] All(string name)
    {
        _read.Add(name);
        return _options.Where(o => o.Name == name).Select(o => o.Value).ToArray();
    }

    public int RequiredInt(string name) => ParseInt(name, Required(name));

    public int? OptionalInt(string name) => Optional(name) is { } value ? ParseInt(name, value) : null;

    /// <summary>The word at <paramref name="index"/> of the command, e.g. the device ID.</summary>
    public string Word(int index, string what) =>
        index < _words.Count ? _words[index] : throw new UsageException($"missing {what}");

    /// <summary>Call once a command has read what it needs: leftovers are mistakes worth reporting.</summary>
    public void EnsureAllUsed(int wordCount)
    {
        if (_words.Count > wordCount)
        {
            throw new UsageException($"unexpected argument '{_words[wordCount]}'");
        }

        var unknown = _options.Select(o => o.Name).FirstOrDefault(name => !_read.Contains(name));
        if (unknown is not null)
        {
            throw new UsageException($"unknown option --{unknown}");
        }
    }

    private static int ParseInt(string name, string value) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new UsageException($"--{name} must be a number");
}
