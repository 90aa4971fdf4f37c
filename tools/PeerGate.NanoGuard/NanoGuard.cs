using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using PeerGate.NanoGuard.Checking;
using PeerGate.NanoGuard.Rules;
using PeerGate.NanoGuard.Surface;

namespace PeerGate.NanoGuard;

/// <summary>
/// Checks that C# sources stay inside what stable nanoFramework 1.x runs: they are compiled as C# 9
/// against the board's API surface only (every compiler error is a finding), then walked for
/// constructs that compile but fail on the device.
/// </summary>
public static class NanoGuard
{
    /// <summary>Checks files on disk; findings carry the paths as given.</summary>
    /// <param name="extraSurfaceDirs">Folders laid out like ApiSurface/ whose assembly folders are added to the embedded surface.</param>
    public static GuardReport Check(IEnumerable<string> sourceFiles, IEnumerable<string>? extraSurfaceDirs = null)
    {
        ArgumentNullException.ThrowIfNull(sourceFiles);
        return Check(sourceFiles.Select(path => (path, File.ReadAllText(path))), extraSurfaceDirs);
    }

    /// <summary>Checks in-memory sources, e.g. samples in tests.</summary>
    public static GuardReport Check(IEnumerable<(string path, string text)> sources, IEnumerable<string>? extraSurfaceDirs = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        IReadOnlyList<MetadataReference> references = ApiSurface.References(extraSurfaceDirs);

        SyntaxTree[] trees = sources
            .Select(source => CSharpSyntaxTree.ParseText(source.text, GuardCompilation.ParseOptions, source.path))
            .ToArray();
        CSharpCompilation compilation = CSharpCompilation.Create("PeerGate.NanoGuard.Target", trees, references, GuardCompilation.Options);

        var findings = new List<GuardFinding>();
        foreach (Diagnostic error in compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error))
        {
            findings.Add(ToFinding(error));
        }

        foreach (SyntaxTree tree in trees)
        {
            new SubsetWalker(compilation.GetSemanticModel(tree), tree.FilePath, findings).Visit(tree.GetRoot());
        }

        return new GuardReport(findings, trees.Length);
    }

    private static GuardFinding ToFinding(Diagnostic error)
    {
        FileLinePositionSpan span = error.Location.GetLineSpan();
        string path = error.Location.IsInSource ? span.Path : "(compilation)";
        int line = error.Location.IsInSource ? span.StartLinePosition.Line + 1 : 0;
        return new GuardFinding(error.Id, error.GetMessage(System.Globalization.CultureInfo.InvariantCulture), path, line);
    }
}
