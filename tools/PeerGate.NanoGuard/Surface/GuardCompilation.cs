using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace PeerGate.NanoGuard.Surface;

/// <summary>The compiler settings of a legacy .nfproj: C# 9, nullable off, no framework references.</summary>
public static class GuardCompilation
{
    public const string NanoFrameworkSymbol = "NANOFRAMEWORK_1_0";

    public static CSharpParseOptions ParseOptions { get; } =
        new(LanguageVersion.CSharp9, DocumentationMode.None, SourceCodeKind.Regular, [NanoFrameworkSymbol]);

    public static CSharpCompilationOptions Options { get; } =
        new(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Disable, concurrentBuild: true);
}
