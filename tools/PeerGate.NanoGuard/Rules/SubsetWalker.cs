using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PeerGate.NanoGuard.Checking;

namespace PeerGate.NanoGuard.Rules;

/// <summary>
/// Flags constructs that either compile against the board's API and then fail on the device (own
/// generics, generic delegates, default interface members, enum names, calls that a Release build
/// drops because they are [Conditional]) or that we want named plainly
/// rather than as a compiler error about a missing type (async, tuples, records, ...).
/// </summary>
public sealed class SubsetWalker : CSharpSyntaxWalker
{
    private static readonly HashSet<string> EnumReflectionMethods = new(StringComparer.Ordinal)
    {
        "Parse", "TryParse", "GetName", "GetNames", "GetValues", "IsDefined",
    };

    /// <summary>The one method allowed to make a string[] with empty slots: it assigns null to every slot.</summary>
    private const string StringArrayFactory = "PeerGate.Protocol.StringArrays.Create";

    private readonly SemanticModel _model;
    private readonly string _path;
    private readonly List<GuardFinding> _findings;

    public SubsetWalker(SemanticModel model, string path, List<GuardFinding> findings)
    {
        _model = model;
        _path = path;
        _findings = findings;
    }

    public override void VisitClassDeclaration(ClassDeclarationSyntax node)
    {
        CheckTypeParameters(node.TypeParameterList, "class", node.Identifier.Text);
        base.VisitClassDeclaration(node);
    }

    public override void VisitStructDeclaration(StructDeclarationSyntax node)
    {
        CheckTypeParameters(node.TypeParameterList, "struct", node.Identifier.Text);
        base.VisitStructDeclaration(node);
    }

    public override void VisitInterfaceDeclaration(InterfaceDeclarationSyntax node)
    {
        CheckTypeParameters(node.TypeParameterList, "interface", node.Identifier.Text);
        foreach (MemberDeclarationSyntax member in node.Members)
        {
            if (HasBody(member))
            {
                Report(member, RuleIds.DefaultInterfaceMember, $"interface member with a body in {node.Identifier.Text}: default interface members are not supported on nanoFramework 1.x");
            }
        }

        base.VisitInterfaceDeclaration(node);
    }

    public override void VisitRecordDeclaration(RecordDeclarationSyntax node)
    {
        Report(node, RuleIds.Record, $"record {node.Identifier.Text}: records need IEquatable<T> and are not supported on nanoFramework 1.x; use a class");
        base.VisitRecordDeclaration(node);
    }

    public override void VisitDelegateDeclaration(DelegateDeclarationSyntax node)
    {
        CheckTypeParameters(node.TypeParameterList, "delegate", node.Identifier.Text);
        base.VisitDelegateDeclaration(node);
    }

    public override void VisitMethodDeclaration(MethodDeclarationSyntax node)
    {
        CheckTypeParameters(node.TypeParameterList, "method", node.Identifier.Text);
        CheckAsync(node.Modifiers, node);
        base.VisitMethodDeclaration(node);
    }

    public override void VisitLocalFunctionStatement(LocalFunctionStatementSyntax node)
    {
        CheckTypeParameters(node.TypeParameterList, "local function", node.Identifier.Text);
        CheckAsync(node.Modifiers, node);
        base.VisitLocalFunctionStatement(node);
    }

    public override void VisitParenthesizedLambdaExpression(ParenthesizedLambdaExpressionSyntax node)
    {
        CheckAsync(node.Modifiers, node);
        base.VisitParenthesizedLambdaExpression(node);
    }

    public override void VisitSimpleLambdaExpression(SimpleLambdaExpressionSyntax node)
    {
        CheckAsync(node.Modifiers, node);
        base.VisitSimpleLambdaExpression(node);
    }

    public override void VisitAnonymousMethodExpression(AnonymousMethodExpressionSyntax node)
    {
        CheckAsync(node.Modifiers, node);
        base.VisitAnonymousMethodExpression(node);
    }

    public override void VisitAwaitExpression(AwaitExpressionSyntax node)
    {
        Report(node, RuleIds.Async, "await: there is no Task or async support on nanoFramework 1.x; use Thread, Timer and wait handles");
        base.VisitAwaitExpression(node);
    }

    public override void VisitGenericName(GenericNameSyntax node)
    {
        Report(node, RuleIds.GenericUse, $"generic {node.Identifier.Text}<...>: nanoFramework 1.x has no generics (not even Action<T>/Func<>); use ArrayList, Hashtable or a non-generic delegate");
        base.VisitGenericName(node);
    }

    public override void VisitInvocationExpression(InvocationExpressionSyntax node)
    {
        CheckInferredGenericCall(node);
        CheckEnumCalls(node);
        CheckConditionalCall(node);
        CheckStringArrayClear(node);
        base.VisitInvocationExpression(node);
    }

    public override void VisitArrayCreationExpression(ArrayCreationExpressionSyntax node)
    {
        // On nanoCLR a slot of new string[n] never assigned is not null (== null is false) and comparing it with
        // any string ends the interpreter; a slot assigned null is a real null. An initializer assigns every slot.
        if (node.Initializer is null
            && _model.GetTypeInfo(node).Type is IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_String }
            && !IsZeroLength(node.Type)
            && !IsInside(node, StringArrayFactory))
        {
            Report(node, RuleIds.StringArraySlots, $"{node}: on nanoCLR an unassigned slot of a new string[] is not null and comparing it ends the interpreter; use StringArrays.Create(n), which assigns null to every slot, or an initializer");
        }

        base.VisitArrayCreationExpression(node);
    }

    public override void VisitYieldStatement(YieldStatementSyntax node)
    {
        Report(node, RuleIds.Iterator, "yield: iterators are not supported on nanoFramework 1.x; fill an ArrayList or write an IEnumerator class");
        base.VisitYieldStatement(node);
    }

    public override void VisitFieldDeclaration(FieldDeclarationSyntax node)
    {
        if (node.Modifiers.Any(SyntaxKind.VolatileKeyword))
        {
            Report(node, RuleIds.Volatile, "volatile field: not supported on nanoFramework 1.x; use lock or Interlocked");
        }

        base.VisitFieldDeclaration(node);
    }

    public override void VisitArrayRankSpecifier(ArrayRankSpecifierSyntax node)
    {
        if (node.Rank > 1)
        {
            Report(node, RuleIds.MultidimensionalArray, "multidimensional array: the nanoFramework metadata processor rejects it; use a jagged array or one array with an offset");
        }

        base.VisitArrayRankSpecifier(node);
    }

    public override void VisitPredefinedType(PredefinedTypeSyntax node)
    {
        if (node.Keyword.IsKind(SyntaxKind.DecimalKeyword))
        {
            Report(node, RuleIds.Decimal, "decimal: not in nanoFramework 1.x mscorlib; use long (fixed point) or double");
        }

        base.VisitPredefinedType(node);
    }

    public override void VisitLiteralExpression(LiteralExpressionSyntax node)
    {
        if (node.Token.Value is decimal)
        {
            Report(node, RuleIds.Decimal, "decimal literal: not in nanoFramework 1.x mscorlib; use long (fixed point) or double");
        }

        base.VisitLiteralExpression(node);
    }

    public override void VisitIdentifierName(IdentifierNameSyntax node)
    {
        if (node.Identifier.Text == "dynamic" && _model.GetSymbolInfo(node).Symbol is IDynamicTypeSymbol)
        {
            Report(node, RuleIds.Dynamic, "dynamic: there is no runtime binder on nanoFramework 1.x");
        }

        base.VisitIdentifierName(node);
    }

    public override void VisitTupleType(TupleTypeSyntax node)
    {
        Report(node, RuleIds.Tuple, "tuple type: ValueTuple is not in nanoFramework 1.x; use a small class or out parameters");
        base.VisitTupleType(node);
    }

    public override void VisitTupleExpression(TupleExpressionSyntax node)
    {
        Report(node, RuleIds.Tuple, "tuple: ValueTuple is not in nanoFramework 1.x; use a small class or out parameters");
        base.VisitTupleExpression(node);
    }

    public override void VisitStackAllocArrayCreationExpression(StackAllocArrayCreationExpressionSyntax node)
    {
        Report(node, RuleIds.Stackalloc, "stackalloc: no Span<T> on nanoFramework 1.x; use a preallocated byte[] with an offset");
        base.VisitStackAllocArrayCreationExpression(node);
    }

    public override void VisitImplicitStackAllocArrayCreationExpression(ImplicitStackAllocArrayCreationExpressionSyntax node)
    {
        Report(node, RuleIds.Stackalloc, "stackalloc: no Span<T> on nanoFramework 1.x; use a preallocated byte[] with an offset");
        base.VisitImplicitStackAllocArrayCreationExpression(node);
    }

    public override void VisitRangeExpression(RangeExpressionSyntax node)
    {
        Report(node, RuleIds.RangeOrIndex, "range a..b: System.Range is not in nanoFramework 1.x; use Substring or Array.Copy");
        base.VisitRangeExpression(node);
    }

    public override void VisitPrefixUnaryExpression(PrefixUnaryExpressionSyntax node)
    {
        if (node.IsKind(SyntaxKind.IndexExpression))
        {
            Report(node, RuleIds.RangeOrIndex, "index ^n: System.Index is not in nanoFramework 1.x; use Length - n");
        }

        base.VisitPrefixUnaryExpression(node);
    }

    public override void VisitNullableType(NullableTypeSyntax node)
    {
        // string? is only an annotation and compiles to nothing; int? needs Nullable<T>.
        ITypeSymbol? element = _model.GetTypeInfo(node.ElementType).Type;
        bool unresolvedValueKeyword = element is null or { TypeKind: TypeKind.Error }
            && node.ElementType is PredefinedTypeSyntax keyword
            && !keyword.Keyword.IsKind(SyntaxKind.StringKeyword)
            && !keyword.Keyword.IsKind(SyntaxKind.ObjectKeyword);
        if (element is { IsValueType: true } || unresolvedValueKeyword)
        {
            Report(node, RuleIds.NullableValueType, $"nullable value type {node}: Nullable<T> is not in nanoFramework 1.x; use a sentinel value or a bool flag");
        }

        base.VisitNullableType(node);
    }

    public override void VisitQueryExpression(QueryExpressionSyntax node)
    {
        Report(node, RuleIds.LinqQuery, "LINQ query: there is no System.Linq on nanoFramework 1.x; write the loop");
        base.VisitQueryExpression(node);
    }

    public override void VisitBinaryExpression(BinaryExpressionSyntax node)
    {
        // "state " + state calls ToString() on the enum too.
        if (node.IsKind(SyntaxKind.AddExpression) && IsString(node))
        {
            CheckEnumAsText(node.Left);
            CheckEnumAsText(node.Right);
        }

        base.VisitBinaryExpression(node);
    }

    public override void VisitInterpolation(InterpolationSyntax node)
    {
        CheckEnumAsText(node.Expression);
        base.VisitInterpolation(node);
    }

    private void CheckTypeParameters(TypeParameterListSyntax? typeParameters, string kind, string name)
    {
        if (typeParameters is not null)
        {
            Report(typeParameters, RuleIds.GenericDeclaration, $"generic {kind} {name}{typeParameters}: compiles, but nanoFramework 1.x cannot run generic code");
        }
    }

    private void CheckAsync(SyntaxTokenList modifiers, SyntaxNode node)
    {
        if (modifiers.Any(SyntaxKind.AsyncKeyword))
        {
            Report(node, RuleIds.Async, "async: there is no Task or async support on nanoFramework 1.x; use Thread, Timer and wait handles");
        }
    }

    private void CheckInferredGenericCall(InvocationExpressionSyntax node)
    {
        // Foo(x) calling Foo<T>(T x) has no GenericNameSyntax to catch.
        if (_model.GetSymbolInfo(node).Symbol is IMethodSymbol { IsGenericMethod: true } method && !HasGenericName(node.Expression))
        {
            Report(node, RuleIds.GenericUse, $"call to generic method {method.Name}: nanoFramework 1.x cannot run generic code");
        }
    }

    private void CheckEnumCalls(InvocationExpressionSyntax node)
    {
        if (node.Expression is not MemberAccessExpressionSyntax access)
        {
            return;
        }

        string name = access.Name.Identifier.Text;
        if (name == "ToString" && _model.GetTypeInfo(access.Expression).Type is { TypeKind: TypeKind.Enum } enumType)
        {
            Report(node, RuleIds.EnumToString, $"{enumType.Name}.ToString(): on nanoFramework 1.x an enum prints as its number; map it to text with a switch");
            return;
        }

        string receiver = access.Expression.ToString();
        if (EnumReflectionMethods.Contains(name) && (receiver == "Enum" || receiver == "System.Enum"))
        {
            Report(node, RuleIds.EnumReflection, $"Enum.{name}: nanoFramework 1.x has no enum reflection; parse with a switch");
        }
    }

    private void CheckConditionalCall(InvocationExpressionSyntax node)
    {
        // The compiler drops a call to a [Conditional("X")] method unless X is defined, and the board
        // is built in Release: Debug.WriteLine prints nothing there, and Debug.Assert checks nothing.
        if (_model.GetSymbolInfo(node).Symbol is not IMethodSymbol method)
        {
            return;
        }

        string? condition = ConditionOf(method);
        if (condition is not null)
        {
            string owner = method.ContainingType is null ? string.Empty : method.ContainingType.Name + ".";
            Report(node, RuleIds.ConditionalCall, $"{owner}{method.Name} is [Conditional(\"{condition}\")]: the call vanishes in Release builds; log with Console.WriteLine");
        }
    }

    private void CheckStringArrayClear(InvocationExpressionSyntax node)
    {
        // Array.Clear leaves string slots as a new string[] has them: not null, and fatal to compare.
        if (_model.GetSymbolInfo(node).Symbol is IMethodSymbol { Name: "Clear", ContainingType.SpecialType: SpecialType.System_Array }
            && node.ArgumentList.Arguments.Count > 0
            && _model.GetTypeInfo(node.ArgumentList.Arguments[0].Expression).Type is IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_String })
        {
            Report(node, RuleIds.StringArraySlots, "Array.Clear on a string[]: on nanoCLR the cleared slots are not null and comparing one ends the interpreter; assign null to each slot");
        }
    }

    private bool IsZeroLength(ArrayTypeSyntax type) =>
        type.RankSpecifiers.Count == 1
        && type.RankSpecifiers[0].Sizes.Count == 1
        && _model.GetConstantValue(type.RankSpecifiers[0].Sizes[0]) is { HasValue: true, Value: 0 };

    private bool IsInside(SyntaxNode node, string method)
    {
        BaseMethodDeclarationSyntax? declaration = node.FirstAncestorOrSelf<BaseMethodDeclarationSyntax>();
        return declaration is not null
            && _model.GetDeclaredSymbol(declaration) is IMethodSymbol symbol
            && symbol.ContainingType.ToDisplayString() + "." + symbol.Name == method;
    }

    private static string? ConditionOf(IMethodSymbol method)
    {
        // [Conditional] on a virtual method also governs its overrides.
        for (IMethodSymbol? current = method; current is not null; current = current.OverriddenMethod)
        {
            foreach (AttributeData attribute in current.GetAttributes())
            {
                if (attribute.AttributeClass is { Name: "ConditionalAttribute" } type
                    && type.ContainingNamespace?.ToDisplayString() == "System.Diagnostics")
                {
                    return attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string name ? name : "?";
                }
            }
        }

        return null;
    }

    private void CheckEnumAsText(ExpressionSyntax expression)
    {
        if (_model.GetTypeInfo(expression).Type is { TypeKind: TypeKind.Enum } enumType)
        {
            Report(expression, RuleIds.EnumToString, $"{enumType.Name} used as text: on nanoFramework 1.x an enum prints as its number; map it to text with a switch");
        }
    }

    private bool IsString(ExpressionSyntax expression) =>
        _model.GetTypeInfo(expression).Type?.SpecialType == SpecialType.System_String;

    private static bool HasGenericName(ExpressionSyntax expression) => expression switch
    {
        GenericNameSyntax => true,
        MemberAccessExpressionSyntax { Name: GenericNameSyntax } => true,
        MemberBindingExpressionSyntax { Name: GenericNameSyntax } => true,
        _ => false,
    };

    private static bool HasBody(MemberDeclarationSyntax member) => member switch
    {
        BaseMethodDeclarationSyntax method => method.Body is not null || method.ExpressionBody is not null,
        BasePropertyDeclarationSyntax property => property is PropertyDeclarationSyntax { ExpressionBody: not null }
            || property is IndexerDeclarationSyntax { ExpressionBody: not null }
            || (property.AccessorList?.Accessors.Any(a => a.Body is not null || a.ExpressionBody is not null) ?? false),
        _ => false,
    };

    private void Report(SyntaxNode node, string ruleId, string message)
    {
        int line = node.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
        _findings.Add(new GuardFinding(ruleId, message, _path, line));
    }
}
