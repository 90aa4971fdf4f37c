namespace PeerGate.Fuzz.Engine;

/// <summary>One kept input: a crash that was fixed, replayed on every test run.</summary>
public sealed record Regression(string Target, string Name, byte[] Input);

/// <summary>
/// The kept inputs under regressions/&lt;target&gt;/ beside the binary (copied from
/// tools/PeerGate.Fuzz/regressions). Each file is the raw input bytes; a .txt beside it says what it was.
/// </summary>
public static class Regressions
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "regressions");

    public static IEnumerable<Regression> All() =>
        Directory.Exists(Folder)
            ? Directory.GetDirectories(Folder).OrderBy(d => d, StringComparer.Ordinal).SelectMany(d => For(Path.GetFileName(d)))
            : [];

    public static IEnumerable<Regression> For(string target)
    {
        var folder = Path.Combine(Folder, target);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        return Directory.GetFiles(folder)
            .Where(f => !f.EndsWith(".txt", StringComparison.Ordinal))
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => new Regression(target, Path.GetFileName(f), File.ReadAllBytes(f)))
            .ToList();
    }
}
