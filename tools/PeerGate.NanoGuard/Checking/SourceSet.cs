namespace PeerGate.NanoGuard.Checking;

/// <summary>Finds the C# files to check under a folder, leaving out build output and named folders.</summary>
public static class SourceSet
{
    private static readonly string[] AlwaysExcluded = ["bin", "obj"];

    /// <param name="dirOrFile">A .cs file (returned as is) or a folder searched recursively.</param>
    /// <param name="excludedFolders">Folder names skipped at any depth, e.g. "Host".</param>
    public static IReadOnlyList<string> Find(string dirOrFile, params string[] excludedFolders)
    {
        if (File.Exists(dirOrFile))
        {
            return [dirOrFile];
        }

        if (!Directory.Exists(dirOrFile))
        {
            throw new DirectoryNotFoundException($"no such file or folder: {dirOrFile}");
        }

        var skipped = new HashSet<string>(AlwaysExcluded.Concat(excludedFolders), StringComparer.OrdinalIgnoreCase);
        return Directory
            .EnumerateFiles(dirOrFile, "*.cs", SearchOption.AllDirectories)
            .Where(file => !IsUnderSkippedFolder(Path.GetRelativePath(dirOrFile, file), skipped))
            .OrderBy(file => file, StringComparer.Ordinal)
            .ToArray();
    }

    private static bool IsUnderSkippedFolder(string relativePath, HashSet<string> skipped)
    {
        string[] parts = relativePath.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return parts.Take(parts.Length - 1).Any(skipped.Contains);
    }
}
