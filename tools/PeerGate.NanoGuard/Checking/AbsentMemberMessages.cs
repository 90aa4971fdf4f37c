using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PeerGate.NanoGuard.Surface;
using PeerGate.NanoGuard.Toolchain;

namespace PeerGate.NanoGuard.Checking;

/// <summary>
/// Says in plain words that a call names a member the board's library lacks:
/// "Hashtable.ContainsKey does not exist in nanoFramework 1.x (nanoFramework.System.Collections 1.5.75)".
/// </summary>
internal sealed class AbsentMemberMessages(SurfaceBuild surface, NfProject? project)
{
    /// <summary>The message for a missing-member error (CS0117, CS1061), or null to keep the compiler's.</summary>
    public string? For(Diagnostic error, Compilation compilation)
    {
        if (error.Id is not ("CS0117" or "CS1061") || !error.Location.IsInSource)
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
