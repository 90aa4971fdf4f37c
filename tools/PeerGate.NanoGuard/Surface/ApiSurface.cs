using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace PeerGate.NanoGuard.Surface;

/// <summary>
/// The board's API as metadata references, compiled from the declarations under ApiSurface/:
/// one folder per nanoFramework assembly. mscorlib is compiled first with no references (it is the
/// core library); every other folder is compiled together into one assembly that references it, so a
/// folder may use types from any other folder without declaring anything.
/// </summary>
public static class ApiSurface
{
    public const string CoreLibraryFolder = "mscorlib";

    private const string ResourcePrefix = "ApiSurface/";

    private static readonly ConcurrentDictionary<string, Lazy<IReadOnlyList<MetadataReference>>> Cache = new(StringComparer.Ordinal);

    /// <summary>References for the embedded surface plus the folders found under each of <paramref name="extraSurfaceDirs"/>.</summary>
    /// <exception cref="InvalidOperationException">A surface declaration does not compile; the message lists the errors.</exception>
    public static IReadOnlyList<MetadataReference> References(IEnumerable<string>? extraSurfaceDirs = null)
    {
        string[] extras = (extraSurfaceDirs ?? []).Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToArray();
        string key = string.Join('|', extras);
        return Cache.GetOrAdd(key, _ => new Lazy<IReadOnlyList<MetadataReference>>(() => Build(extras))).Value;
    }

    /// <summary>The assembly folders and their files, embedded ones first, as (folder, file name, text).</summary>
    public static IReadOnlyList<SurfaceFile> Load(IEnumerable<string> extraSurfaceDirs)
    {
        var files = new List<SurfaceFile>();
        Assembly assembly = typeof(ApiSurface).Assembly;
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.Replace('\\', '/').StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            string[] parts = name.Replace('\\', '/')[ResourcePrefix.Length..].Split('/', 2);
            using Stream stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            files.Add(new SurfaceFile(parts[0], "ApiSurface/" + parts[0] + "/" + parts[1], reader.ReadToEnd()));
        }

        foreach (string root in extraSurfaceDirs)
        {
            foreach (string folder in Directory.EnumerateDirectories(root))
            {
                foreach (string file in Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories))
                {
                    files.Add(new SurfaceFile(Path.GetFileName(folder), file, File.ReadAllText(file)));
                }
            }
        }

        return files;
    }

    private static IReadOnlyList<MetadataReference> Build(string[] extraSurfaceDirs)
    {
        IReadOnlyList<SurfaceFile> files = Load(extraSurfaceDirs);
        SurfaceFile[] core = files.Where(f => f.Folder == CoreLibraryFolder).ToArray();
        SurfaceFile[] rest = files.Where(f => f.Folder != CoreLibraryFolder).ToArray();
        if (core.Length == 0)
        {
            throw new InvalidOperationException("the API surface has no mscorlib folder");
        }

        MetadataReference coreLibrary = Compile(CoreLibraryFolder, core, []);
        if (rest.Length == 0)
        {
            return [coreLibrary];
        }

        MetadataReference packages = Compile("nanoFramework.Packages", rest, [coreLibrary]);
        return [coreLibrary, packages];
    }

    private static MetadataReference Compile(string assemblyName, SurfaceFile[] files, MetadataReference[] references)
    {
        CSharpParseOptions parseOptions = GuardCompilation.ParseOptions;
        SyntaxTree[] trees = files.Select(f => CSharpSyntaxTree.ParseText(f.Text, parseOptions, f.Path)).ToArray();
        CSharpCompilation compilation = CSharpCompilation.Create(assemblyName, trees, references, GuardCompilation.Options);

        Diagnostic[] errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        if (errors.Length > 0)
        {
            throw new InvalidOperationException(
                $"the API surface for {assemblyName} does not compile:{Environment.NewLine}" + string.Join(Environment.NewLine, errors.Select(e => e.ToString())));
        }

        return compilation.ToMetadataReference();
    }
}

/// <summary>One declaration file of the API surface.</summary>
/// <param name="Folder">The nanoFramework assembly it belongs to, e.g. "mscorlib".</param>
public sealed record SurfaceFile(string Folder, string Path, string Text);
