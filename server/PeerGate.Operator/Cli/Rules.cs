using PeerGate.Protocol;

namespace PeerGate.Operator.Cli;

/// <summary>
/// The server's rules for what the operator types, checked before a request goes out: the error then
/// names the option or argument as typed ("--key", "DeviceId"), never the request's wire field.
/// </summary>
internal static class Rules
{
    public const int MaxNameLength = 64;

    /// <summary>A Device ID, upper-cased as the server stores it.</summary>
    public static string DeviceId(string value, string what)
    {
        var upper = value.ToUpperInvariant();
        return DeviceIds.IsValid(upper)
            ? upper
            : throw new UsageException($"{what} '{value}' must be {DeviceIds.MinLength} to {DeviceIds.MaxLength} hex digits (an even count)");
    }

    /// <summary>Group IDs, allocation keys, Terminal IDs, serials, session IDs: the server's name syntax.</summary>
    public static string Name(string value, string what) =>
        value is { Length: > 0 and <= MaxNameLength } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-')
            ? value
            : throw new UsageException($"{what} '{Printable(value)}' must be 1 to {MaxNameLength} letters, digits and . _ : -");

    /// <summary>A device name (F22), by the syntax devices and server share.</summary>
    public static string DeviceName(string value, string what) =>
        DeviceNames.IsValid(value) ? value : throw new UsageException($"{what} '{Printable(value)}' {DeviceNames.Rule}");

    public static string Url(string value, string what) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && value.Length <= 512
            ? value
            : throw new UsageException($"{what} must be an absolute http or https URL");

    /// <summary>The value as it may be echoed: control and invisible characters as \uXXXX, so an error line cannot be forged.</summary>
    private static string Printable(string value) =>
        string.Concat(value.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:X4}"));
}
