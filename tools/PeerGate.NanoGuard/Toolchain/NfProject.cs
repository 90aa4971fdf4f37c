using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace PeerGate.NanoGuard.Toolchain;

/// <summary>One assembly the ESP32 application references, with the NuGet package and version it comes from.</summary>
/// <param name="AssemblyName">e.g. nanoFramework.System.Collections</param>
/// <param name="PackageId">e.g. nanoFramework.System.Collections (System.Net.Http comes from nanoFramework.System.Net.Http.Client)</param>
/// <param name="Version">the package version from nf.props, e.g. 1.5.75</param>
public sealed record NfReference(string AssemblyName, string PackageId, string Version)
{
    /// <summary>How a finding names where a member would have had to come from: "nanoFramework.System.Collections 1.5.75".</summary>
    public string Describe() => $"{AssemblyName} {Version}";
}

/// <summary>
/// The references of firmware/PeerGate.Device.Esp32/PeerGate.Device.Esp32.nfproj, the only project that builds the
/// subset code for the board: what code compiled as that project may use, and nothing else.
/// </summary>
public sealed partial class NfProject
{
    public const string RelativePath = "firmware/PeerGate.Device.Esp32/PeerGate.Device.Esp32.nfproj";

    private NfProject(string path, IReadOnlyList<NfReference> references)
    {
        Path = path;
        References = references;
    }

    public string Path { get; }

    public IReadOnlyList<NfReference> References { get; }

    public NfReference? Find(string assemblyName) =>
        References.FirstOrDefault(r => string.Equals(r.AssemblyName, assemblyName, StringComparison.Ordinal));

    /// <summary>Reads the .nfproj under <paramref name="repoRoot"/>, or null when the repository has none.</summary>
    public static NfProject? Load(string? repoRoot)
    {
        if (repoRoot is null)
        {
            return null;
        }

        string path = System.IO.Path.Combine(repoRoot, RelativePath);
        return File.Exists(path) ? Read(path) : null;
    }

    /// <summary>Reads the references of a .nfproj; package versions come from the nf.props it imports.</summary>
    public static NfProject Read(string nfprojPath)
    {
        XDocument project = XDocument.Load(nfprojPath);
        XNamespace ns = project.Root!.Name.Namespace;
        string projectDir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(nfprojPath))!;

        var properties = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (XElement import in project.Root.Elements(ns + "Import"))
        {
            string imported = System.IO.Path.Combine(projectDir, ((string?)import.Attribute("Project") ?? "").Replace('\\', '/'));
            if (!imported.Contains("$(", StringComparison.Ordinal) && File.Exists(imported))
            {
                XDocument props = XDocument.Load(imported);
                foreach (XElement property in props.Root!.Descendants().Where(e => e.Parent?.Name.LocalName == "PropertyGroup"))
                {
                    properties[property.Name.LocalName] = property.Value.Trim();
                }
            }
        }

        var references = new List<NfReference>();
        foreach (XElement reference in project.Root.Descendants(ns + "Reference"))
        {
            string name = (string?)reference.Attribute("Include") ?? "";
            string hint = reference.Element(ns + "HintPath")?.Value ?? "";

            // $(NfPackagesDir)<package id>.$(<version property>)\lib\<assembly>.dll
            Match match = HintPathPattern().Match(hint);
            string packageId = match.Success ? match.Groups["id"].Value : name;
            string version = match.Success && properties.TryGetValue(match.Groups["version"].Value, out string? v) ? v : "?";
            references.Add(new NfReference(name, packageId, version));
        }

        return new NfProject(nfprojPath, references);
    }

    [GeneratedRegex(@"\)(?<id>[A-Za-z0-9_.]+)\.\$\((?<version>[A-Za-z0-9_]+)\)")]
    private static partial Regex HintPathPattern();
}
