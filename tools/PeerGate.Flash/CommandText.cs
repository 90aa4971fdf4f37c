namespace PeerGate.Flash;

/// <summary>A command line as it would be typed, for the "+ ..." lines (copy-paste safe on the platform's shell).</summary>
public static class CommandText
{
    public static string Format(string tool, IReadOnlyList<string> arguments) =>
        "+ " + string.Join(' ', new[] { tool }.Concat(arguments).Select(Quote));

    public static string Quote(string word)
    {
        var plain = OperatingSystem.IsWindows() ? "_@%+=:,./-\\" : "_@%+=:,./-";
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || plain.Contains(c)))
        {
            return word;
        }

        return OperatingSystem.IsWindows()
            ? "\"" + word.Replace("\"", "\\\"", StringComparison.Ordinal) + "\""
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
