using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace PeerGate.CliSupport;

/// <summary>
/// Options both tools declare the same way, with errors that name the option as typed and the rule
/// ("--limit must be a whole number from 1 to 1000"), never a .NET type or a wire field.
/// </summary>
public static class CliOptions
{
    /// <summary>--json on a command and all its subcommands: one JSON document on stdout, camelCase, ISO 8601 times.</summary>
    public static Option<bool> Json() => new("--json")
    {
        Description = "Print the result as JSON (camelCase names, ISO 8601 UTC times) for scripts",
        Recursive = true,
    };

    public static Option<string?> Text(string name, string description, string? helpName = null, bool required = false) => new(name)
    {
        Description = description,
        HelpName = helpName,
        Required = required,
    };

    public static Option<long?> Number(string name, string description, long min, long max, string? helpName = "N") => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result => ParseNumber(result, name, min, max),
    };

    public static Option<int?> Int(string name, string description, int min, int max, string? helpName = "N") => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result => (int?)ParseNumber(result, name, min, max),
    };

    /// <summary>
    /// One of <paramref name="values"/>, completed from them; anything else is "--role must be a or b"
    /// (System.CommandLine's own AcceptOnlyFromAmong message spans lines).
    /// </summary>
    public static Option<string?> OneOf(string name, string description, params string[] values)
    {
        var option = new Option<string?>(name) { Description = description, HelpName = string.Join('|', values) };
        option.CompletionSources.Add(values);
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string?>();
            if (value is not null && !values.Contains(value, StringComparer.Ordinal))
            {
                result.AddError($"{name} must be {Alternatives(values)}");
            }
        });
        return option;
    }

    /// <summary>"a", "a or b", "a, b or c".</summary>
    public static string Alternatives(IReadOnlyList<string> values) =>
        values.Count == 1 ? values[0] : string.Join(", ", values.Take(values.Count - 1)) + " or " + values[^1];

    /// <summary>
    /// Hex of exactly <paramref name="bytes"/> bytes, upper-cased: anything else is
    /// "--key must be 64 hex digits (32 bytes)". A string, not byte[]: an array option not given reads as empty, not null.
    /// </summary>
    public static Option<string?> Hex(string name, string description, int bytes)
    {
        var option = new Option<string?>(name) { Description = description, HelpName = "HEX" };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } value && TryHex(value, bytes) is null)
            {
                result.AddError(HexRule(name, bytes));
            }
        });
        return option;
    }

    /// <summary>The rule of <see cref="Hex"/> for a value read some other way.</summary>
    public static byte[] RequireHex(string value, string name, int bytes) =>
        TryHex(value, bytes) ?? throw new UsageException(HexRule(name, bytes));

    public static string HexRule(string name, int bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{name} must be {bytes * 2} hex digits ({bytes} bytes)");

    private static long? ParseNumber(ArgumentResult result, string name, long min, long max)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be a whole number from {min} to {max}"));
        return null;
    }

    private static byte[]? TryHex(string value, int bytes) =>
        value.Length == bytes * 2 && value.All(char.IsAsciiHexDigit) ? Convert.FromHexString(value) : null;
}
