using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using PeerGate.NanoGuard.Checking;
using PeerGate.NanoGuard.Rules;
using PeerGate.NanoGuard.Surface;
using PeerGate.NanoGuard.Toolchain;

namespace PeerGate.NanoGuard;

/// <summary>
/// Checks that C# sources stay inside what stable nanoFramework 1.x runs: they are compiled as C# 9 against the
/// board's API surface declarations (every compiler error is a finding) and, when the real toolchain is there,
/// again against the real reference assemblies the ESP32 project references; then they are walked for constructs
/// that compile but fail on the device.
/// </summary>
public static class NanoGuard
{
    /// <summary>An assembly the .nfproj references has no reference assembly in the toolchain.</summary>
    public const string MissingReferenceAssembly = "NG2001";

    /// <summary>Checks files on disk; findings carry the paths as given.</summary>
    /// <param name="extraSurfaceDirs">Folders laid out like ApiSurface/ whose assembly folders are added to the embedded surface.</param>
    /// <param name="options">What else to compile against; by default the toolchain and project found from the current directory.</param>
    public static GuardReport Check(IEnumerable<string> sourceFiles, IEnumerable<string>? extraSurfaceDirs = null, GuardOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sourceFiles);
        return Check(sourceFiles.Select(path => (path, File.ReadAllText(path))), extraSurfaceDirs, options);
    }

    /// <summary>Checks in-memory sources, e.g. samples in tests.</summary>
    public static GuardReport Check(IEnumerable<(string path, string text)> sources, IEnumerable<string>? extraSurfaceDirs = null, GuardOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        options ??= DefaultOptions.Value;
        SurfaceBuild surface = ApiSurface.Compiled(extraSurfaceDirs);

        SyntaxTree[] trees = sources
            .Select(source => CSharpSyntaxTree.ParseText(source.text, GuardCompilation.ParseOptions, source.path))
            .ToArray();
        CSharpCompilation compilation = CSharpCompilation.Create("PeerGate.NanoGuard.Target", trees, surface.References, GuardCompilation.Options);

        var findings = new List<GuardFinding>();
        var checkedAgainst = new List<string> { "the declarations in ApiSurface/" };
        var explain = new AbsentMemberMessages(surface, options.Project, options.Toolchain);
        AddErrors(compilation, explain, findings);

        if (options.Toolchain is { } toolchain && options.Project is { } project)
        {
            var references = new List<MetadataReference>();
            foreach (NfReference reference in project.References)
            {
                string? path = toolchain.ReferencePath(reference.AssemblyName);
                if (path is null)
                {
                    findings.Add(new GuardFinding(MissingReferenceAssembly, $"{reference.AssemblyName}, referenced by {NfProject.RelativePath}, has no reference assembly in {toolchain.RefDir}", "(compilation)", 0));
                    continue;
                }

                references.Add(MetadataReference.CreateFromFile(path));
            }

            CSharpCompilation real = CSharpCompilation.Create("PeerGate.NanoGuard.Target", trees, references, GuardCompilation.Options);
            AddErrors(real, explain, findings);
            checkedAgainst.Add($"the real reference assemblies {NfProject.RelativePath} references ({references.Count} from {toolchain.RefDir})");
        }

        foreach (SyntaxTree tree in trees)
        {
            new SubsetWalker(compilation.GetSemanticModel(tree), tree.FilePath, findings).Visit(tree.GetRoot());
        }

        string? skipped = options.Toolchain is null || options.Project is null
            ? $"no nanoFramework toolchain ({options.NoToolchainReason ?? "none given"})"
            : null;
        return new GuardReport(findings, trees.Length, checkedAgainst, skipped);
    }

    private static readonly Lazy<GuardOptions> DefaultOptions = new(() => GuardOptions.Locate());

    private static void AddErrors(CSharpCompilation compilation, AbsentMemberMessages explain, List<GuardFinding> findings)
    {
        foreach (Diagnostic error in compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error))
        {
            findings.Add(ToFinding(error, explain.For(error, compilation)));
        }
    }

    private static GuardFinding ToFinding(Diagnostic error, string? message)
    {
        FileLinePositionSpan span = error.Location.GetLineSpan();
        string path = error.Location.IsInSource ? span.Path : "(compilation)";
        int line = error.Location.IsInSource ? span.StartLinePosition.Line + 1 : 0;
        return new GuardFinding(error.Id, message ?? error.GetMessage(System.Globalization.CultureInfo.InvariantCulture), path, line);
    }
}
