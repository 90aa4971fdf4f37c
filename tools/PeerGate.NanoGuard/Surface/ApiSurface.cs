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

    private static readonly ConcurrentDictionary<string, Lazy<SurfaceBuild>> Cache = new(StringComparer.Ordinal);

    /// <summary>References for the embedded surface plus the folders found under each of <paramref name="extraSurfaceDirs"/>.</summary>
    /// <exception cref="InvalidOperationException">A surface declaration does not compile; the message lists the errors.</exception>
    public static IReadOnlyList<MetadataReference> References(IEnumerable<string>? extraSurfaceDirs = null) =>
        Compiled(extraSurfaceDirs).References;

    /// <summary>The compiled surface: its compilations (to inspect the declarations) and the references built from them.</summary>
    public static SurfaceBuild Compiled(IEnumerable<string>? extraSurfaceDirs = null)
    {
        string[] extras = (extraSurfaceDirs ?? []).Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToArray();
        string key = string.Join('|', extras);
        return Cache.GetOrAdd(key, _ => new Lazy<SurfaceBuild>(() => Build(Load(extras)))).Value;
    }

    /// <summary>The surface folder a declaration file belongs to, from its path (ApiSurface/&lt;folder&gt;/... or &lt;dir&gt;/&lt;folder&gt;/...).</summary>
    public static string? FolderOf(SyntaxTree tree, SurfaceBuild build) =>
        build.Files.FirstOrDefault(f => string.Equals(f.Path, tree.FilePath, StringComparison.Ordinal))?.Folder;

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

    /// <summary>Compiles surface files laid out as ApiSurface/ is (mscorlib alone, then every other folder together).</summary>
    public static SurfaceBuild Build(IReadOnlyList<SurfaceFile> files)
    {
        SurfaceFile[] core = files.Where(f => f.Folder == CoreLibraryFolder).ToArray();
        SurfaceFile[] rest = files.Where(f => f.Folder != CoreLibraryFolder).ToArray();
        if (core.Length == 0)
        {
            throw new InvalidOperationException("the API surface has no mscorlib folder");
        }

        CSharpCompilation coreLibrary = Compile(CoreLibraryFolder, core, []);
        if (rest.Length == 0)
        {
            return new SurfaceBuild(files, [coreLibrary], [coreLibrary.ToMetadataReference()]);
        }

        MetadataReference coreReference = coreLibrary.ToMetadataReference();
        CSharpCompilation packages = Compile("nanoFramework.Packages", rest, [coreReference]);
        return new SurfaceBuild(files, [coreLibrary, packages], [coreReference, packages.ToMetadataReference()]);
    }

    private static CSharpCompilation Compile(string assemblyName, SurfaceFile[] files, MetadataReference[] references)
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

        return compilation;
    }
}

/// <summary>The surface compiled: mscorlib's compilation first, then the packages' one (when there are other folders).</summary>
public sealed record SurfaceBuild(IReadOnlyList<SurfaceFile> Files, IReadOnlyList<CSharpCompilation> Compilations, IReadOnlyList<MetadataReference> References);

/// <summary>One declaration file of the API surface.</summary>
/// <param name="Folder">The nanoFramework assembly it belongs to, e.g. "mscorlib".</param>
public sealed record SurfaceFile(string Folder, string Path, string Text);
