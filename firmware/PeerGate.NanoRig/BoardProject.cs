using System.Xml.Linq;
using PeerGate.NanoGuard.Toolchain;

namespace PeerGate.NanoRig;

/// <summary>
/// What firmware/PeerGate.Device.Esp32/PeerGate.Device.Esp32.nfproj builds, read from the project itself: its
/// source files (the Compile items with their excludes), its references, and the language version and
/// defines of the nf.props it imports. The rig builds from this, so it cannot drift from the board build.
/// </summary>
public sealed class BoardProject
{
    private BoardProject(string repoRoot, IReadOnlyList<string> sources, IReadOnlyList<string> references, string langVersion, IReadOnlyList<string> defines)
    {
        RepoRoot = repoRoot;
        Sources = sources;
        References = references;
        LangVersion = langVersion;
        Defines = defines;
    }

    public string RepoRoot { get; }

    /// <summary>Every file the .nfproj compiles, full paths, sorted.</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>The referenced assemblies except mscorlib, in the .nfproj's order (dependencies first).</summary>
    public IReadOnlyList<string> References { get; }

    public string LangVersion { get; }

    /// <summary>The constants nf.props defines for every configuration (Debug adds DEBUG).</summary>
    public IReadOnlyList<string> Defines { get; }

    /// <summary>The board's sources under one folder of the repository, e.g. "shared-protocol/PeerGate.Protocol".</summary>
    public IReadOnlyList<string> SourcesUnder(string relativeFolder)
    {
        string folder = Path.GetFullPath(Path.Combine(RepoRoot, relativeFolder)) + Path.DirectorySeparatorChar;
        return Sources.Where(s => s.StartsWith(folder, StringComparison.Ordinal)).ToArray();
    }

    public static BoardProject Load(string repoRoot)
    {
        string path = Path.Combine(repoRoot, NfProject.RelativePath);
        string projectDir = Path.GetDirectoryName(path)!;
        XDocument project = XDocument.Load(path);
        XNamespace ns = project.Root!.Name.Namespace;

        var sources = new SortedSet<string>(StringComparer.Ordinal);
        foreach (XElement compile in project.Root.Descendants(ns + "Compile"))
        {
            string[] excludes = Split((string?)compile.Attribute("Exclude")).Select(e => FolderOf(projectDir, e)).ToArray();
            foreach (string file in Expand(projectDir, (string?)compile.Attribute("Include") ?? ""))
            {
                if (!excludes.Any(e => file.StartsWith(e, StringComparison.Ordinal)))
                {
                    sources.Add(file);
                }
            }
        }

        string[] references = NfProject.Read(path).References
            .Select(r => r.AssemblyName)
            .Where(r => r != "mscorlib")
            .ToArray();

        string langVersion = "";
        var defines = new List<string>();
        foreach (XElement import in project.Root.Elements(ns + "Import"))
        {
            string imported = Path.GetFullPath(Path.Combine(projectDir, ((string?)import.Attribute("Project") ?? "").Replace('\\', '/')));
            if (imported.Contains("$(", StringComparison.Ordinal) || !File.Exists(imported))
            {
                continue;
            }

            foreach (XElement property in XDocument.Load(imported).Root!.Descendants().Where(e => e.Parent?.Name.LocalName == "PropertyGroup"))
            {
                if (property.Name.LocalName == "LangVersion")
                {
                    langVersion = property.Value.Trim();
                }
                else if (property.Name.LocalName == "DefineConstants")
                {
                    defines.AddRange(Split(property.Value).Where(d => !d.StartsWith("$(", StringComparison.Ordinal)));
                }
            }
        }

        if (sources.Count == 0 || langVersion.Length == 0)
        {
            throw new InvalidOperationException($"{path}: no sources or no LangVersion found (read {sources.Count} sources, LangVersion '{langVersion}')");
        }

        return new BoardProject(repoRoot, [.. sources], references, langVersion, defines);
    }

    private static IEnumerable<string> Split(string? list) =>
        (list ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>"dir\**\*.cs": every .cs file under dir. The .nfproj uses no other pattern; another one is refused.</summary>
    private static IEnumerable<string> Expand(string projectDir, string include)
    {
        string pattern = include.Replace('\\', '/');
        const string Recursive = "**/*.cs";
        if (!pattern.EndsWith(Recursive, StringComparison.Ordinal))
        {
            throw new NotSupportedException($"Compile Include=\"{include}\": the rig reads only dir\\**\\*.cs patterns");
        }

        string folder = Path.GetFullPath(Path.Combine(projectDir, pattern[..^Recursive.Length]));
        return Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories).Select(Path.GetFullPath);
    }

    /// <summary>"dir\**": the folder prefix it excludes.</summary>
    private static string FolderOf(string projectDir, string exclude)
    {
        string pattern = exclude.Replace('\\', '/');
        if (!pattern.EndsWith("/**", StringComparison.Ordinal))
        {
            throw new NotSupportedException($"Compile Exclude=\"{exclude}\": the rig reads only dir\\** patterns");
        }

        return Path.GetFullPath(Path.Combine(projectDir, pattern[..^3])) + Path.DirectorySeparatorChar;
    }
}
