using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PeerGate.NanoGuard.Surface;
using PeerGate.NanoGuard.Toolchain;

namespace PeerGate.NanoGuard.Checking;

/// <summary>
/// Says in plain words that a call names a member the board's library lacks:
/// "Hashtable.ContainsKey does not exist in nanoFramework 1.x (nanoFramework.System.Collections 1.5.75)".
/// </summary>
internal sealed class AbsentMemberMessages(SurfaceBuild surface, NfProject? project, NanoToolchain? toolchain)
{
    private static readonly Dictionary<string, RealLibrary> Libraries = new(StringComparer.Ordinal);

    /// <summary>The message for a missing-member error (CS0117, CS1061), or null to keep the compiler's.</summary>
    public string? For(Diagnostic error, Compilation compilation)
    {
        if (!error.Location.IsInSource)
        {
            return null;
        }

        if (error.Id is "CS0103" or "CS0246" or "CS0234")
        {
            return ForUnreferencedType(error);
        }

        if (error.Id is not ("CS0117" or "CS1061"))
        {
            return null;
        }

        SyntaxNode root = error.Location.SourceTree!.GetRoot();
        SyntaxNode? node = root.FindNode(error.Location.SourceSpan, getInnermostNodeForTie: true);
        ExpressionSyntax? receiver = null;
        string? member = null;
        for (SyntaxNode? current = node; current is not null && receiver is null; current = current.Parent)
        {
            switch (current)
            {
                case MemberAccessExpressionSyntax access:
                    receiver = access.Expression;
                    member = access.Name.Identifier.ValueText;
                    break;
                case MemberBindingExpressionSyntax binding when current.Parent is ConditionalAccessExpressionSyntax conditional:
                    receiver = conditional.Expression;
                    member = binding.Name.Identifier.ValueText;
                    break;
            }
        }

        if (receiver is null || member is null)
        {
            return null;
        }

        SemanticModel model = compilation.GetSemanticModel(error.Location.SourceTree);
        ITypeSymbol? type = model.GetSymbolInfo(receiver).Symbol as ITypeSymbol ?? model.GetTypeInfo(receiver).Type;
        if (type is null || type.TypeKind == TypeKind.Error)
        {
            return null;
        }

        string? assembly = AssemblyOf(type);
        if (assembly is null)
        {
            return null; // a type of the checked sources themselves: the compiler's words fit
        }

        string where = project?.Find(assembly)?.Describe() ?? assembly;
        return $"{type.Name}.{member} does not exist in nanoFramework 1.x ({where})";
    }

    /// <summary>
    /// A name the sources cannot find that is a type of a real nanoFramework library the ESP32 project does not
    /// reference (System.Math): "Math is in System.Math, which ... does not reference".
    /// </summary>
    private string? ForUnreferencedType(Diagnostic error)
    {
        if (toolchain is null || project is null)
        {
            return null;
        }

        SyntaxNode? node = error.Location.SourceTree!.GetRoot().FindNode(error.Location.SourceSpan, getInnermostNodeForTie: true);
        SimpleNameSyntax? name = node as SimpleNameSyntax ?? node.DescendantNodesAndSelf().OfType<SimpleNameSyntax>().FirstOrDefault();
        if (name is null)
        {
            return null;
        }

        RealLibrary library;
        lock (Libraries)
        {
            if (!Libraries.TryGetValue(toolchain.RefDir, out library!))
            {
                library = RealLibrary.Load(toolchain);
                Libraries[toolchain.RefDir] = library;
            }
        }

        string simple = name.Identifier.ValueText;
        foreach (string assembly in library.AssemblyNames.Where(a => project.Find(a) is null).Order(StringComparer.Ordinal))
        {
            if (library.FindBySimpleName(assembly, simple) is { } type)
            {
                return $"{simple} is not available on the board: {type} is in the {assembly} library, which {NfProject.RelativePath} does not reference";
            }
        }

        return null;
    }

    /// <summary>The nanoFramework assembly a type comes from: its surface folder, or the real assembly's name.</summary>
    private string? AssemblyOf(ITypeSymbol type)
    {
        if (type is IArrayTypeSymbol)
        {
            return "mscorlib";
        }

        foreach (SyntaxReference declaration in type.OriginalDefinition.DeclaringSyntaxReferences)
        {
            if (ApiSurface.FolderOf(declaration.SyntaxTree, surface) is { } folder)
            {
                return folder;
            }
        }

        return type.DeclaringSyntaxReferences.Length == 0 ? type.ContainingAssembly?.Name : null;
    }
}
