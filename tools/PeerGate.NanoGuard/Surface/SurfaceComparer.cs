using Microsoft.CodeAnalysis;
using PeerGate.NanoGuard.Toolchain;

namespace PeerGate.NanoGuard.Surface;

/// <summary>One place where a declaration of ApiSurface/ differs from the real library.</summary>
/// <param name="Path">The declaration file, e.g. ApiSurface/mscorlib/String.cs</param>
/// <param name="Line">1-based; 0 when the finding is about a whole folder</param>
public sealed record SurfaceMismatch(string Path, int Line, string Message)
{
    public override string ToString() => $"{Path}({Line}): {Message}";
}

/// <summary>
/// Compares every type and member declared in the API surface with the real reference assembly of the folder it
/// sits in: namespace, kind, base type, interfaces, static-ness, member signatures (return and parameter types,
/// ref-ness, `params`, defaults), accessor presence and visibility, virtual-ness, field and enum constant values.
/// A declaration may leave members out; it may not declare one the real library lacks or has differently.
/// Interfaces must declare every member of the real one (our code implementing them must compile against it).
/// Each folder must be a real assembly the ESP32 project references.
/// </summary>
public static class SurfaceComparer
{
    public static IReadOnlyList<SurfaceMismatch> Compare(SurfaceBuild surface, RealLibrary real, NfProject? project)
    {
        var mismatches = new List<SurfaceMismatch>();
        var folders = surface.Files.Select(f => f.Folder).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (string folder in folders)
        {
            string firstFile = surface.Files.First(f => f.Folder == folder).Path;
            if (!real.HasAssembly(folder))
            {
                mismatches.Add(new SurfaceMismatch(firstFile, 0,
                    $"folder {folder} is no nanoFramework assembly; the toolchain has {string.Join(", ", real.AssemblyNames.Order(StringComparer.Ordinal))}"));
            }
            else if (project is not null && project.Find(folder) is null)
            {
                mismatches.Add(new SurfaceMismatch(firstFile, 0,
                    $"{folder} is not referenced by {NfProject.RelativePath}: code compiled as that project cannot use it, so the surface must not offer it"));
            }
        }

        foreach (CSharpCompilationLike compilation in surface.Compilations.Select(c => new CSharpCompilationLike(c)))
        {
            foreach (INamedTypeSymbol type in compilation.DeclaredTypes())
            {
                CompareType(type, surface, real, mismatches);
            }
        }

        return mismatches
            .Distinct()
            .OrderBy(m => m.Path, StringComparer.Ordinal)
            .ThenBy(m => m.Line)
            .ToArray();
    }

    private static void CompareType(INamedTypeSymbol stub, SurfaceBuild surface, RealLibrary real, List<SurfaceMismatch> mismatches)
    {
        string name = MetadataName(stub);
        foreach (SyntaxReference declaration in stub.DeclaringSyntaxReferences)
        {
            string? folder = ApiSurface.FolderOf(declaration.SyntaxTree, surface);
            if (folder is null || !real.HasAssembly(folder))
            {
                continue;
            }

            var at = new Place(declaration.SyntaxTree.FilePath, declaration.SyntaxTree.GetLineSpan(declaration.Span).StartLinePosition.Line + 1);
            RealType? actual = real.Find(folder, name);
            if (actual is null || actual.Visibility == Visibility.None)
            {
                string[] elsewhere = [.. real.WhereIs(name)];
                string hint = elsewhere.Length > 0
                    ? $"it is in {string.Join(", ", elsewhere)}"
                    : SameNameElsewhere(real, stub.MetadataName) is { } other ? $"the real type is {other}" : "no referenced library has it";
                at.Add(mismatches, $"type {name} is not in {folder}; {hint}");
                continue;
            }

            CompareTypeShape(stub, actual, real, at, mismatches);
            foreach (ISymbol member in stub.GetMembers())
            {
                if (member.Locations.FirstOrDefault(l => l.IsInSource) is { } location
                    && !ReferenceEquals(location.SourceTree, declaration.SyntaxTree) && !member.IsImplicitlyDeclared)
                {
                    continue; // declared in another part of a partial type: checked with that part
                }

                if (member.IsImplicitlyDeclared && !ReferenceEquals(declaration, stub.DeclaringSyntaxReferences[0]))
                {
                    continue;
                }

                CompareMember(member, actual, at, mismatches);
            }

            if (actual.Kind == RealTypeKind.Interface || (actual.IsAbstract && IsDerivable(stub)))
            {
                RequireAbstractMembers(stub, actual, at, mismatches);
            }
        }
    }

    /// <summary>Our code can derive from it: a class neither sealed nor static with a public or protected constructor.</summary>
    private static bool IsDerivable(INamedTypeSymbol stub) =>
        stub.TypeKind == TypeKind.Class && !stub.IsSealed && !stub.IsStatic
        && stub.InstanceConstructors.Any(c => IsVisible(c.DeclaredAccessibility));

    private static string? SameNameElsewhere(RealLibrary real, string simpleName) =>
        real.AssemblyNames
            .Order(StringComparer.Ordinal)
            .Select(a => (a, type: real.FindBySimpleName(a, simpleName)))
            .Where(x => x.type is not null)
            .Select(x => $"{x.type} in {x.a}")
            .FirstOrDefault();

    private static void CompareTypeShape(INamedTypeSymbol stub, RealType actual, RealLibrary real, Place at, List<SurfaceMismatch> mismatches)
    {
        RealTypeKind kind = stub.TypeKind switch
        {
            TypeKind.Interface => RealTypeKind.Interface,
            TypeKind.Enum => RealTypeKind.Enum,
            TypeKind.Struct => RealTypeKind.Struct,
            TypeKind.Delegate => RealTypeKind.Delegate,
            _ => RealTypeKind.Class,
        };
        if (kind != actual.Kind && actual.FullName is not ("System.Enum" or "System.ValueType" or "System.Delegate" or "System.MulticastDelegate"))
        {
            at.Add(mismatches, $"{actual.FullName} is declared as {Lower(kind)}; the real one is {Lower(actual.Kind)}");
            return;
        }

        if (kind == RealTypeKind.Class)
        {
            if (stub.IsStatic != actual.IsStatic)
            {
                at.Add(mismatches, $"{actual.FullName} is declared {(stub.IsStatic ? "static" : "not static")}; the real one is {(actual.IsStatic ? "static" : "not static")}");
            }
            else if (!actual.IsStatic && actual.IsSealed && !stub.IsSealed)
            {
                at.Add(mismatches, $"{actual.FullName} is declared unsealed; the real one is sealed");
            }
            else if (!actual.IsStatic && actual.IsAbstract && !stub.IsAbstract)
            {
                at.Add(mismatches, $"{actual.FullName} is declared not abstract; the real one is abstract");
            }
        }

        if (kind is RealTypeKind.Class or RealTypeKind.Struct or RealTypeKind.Enum)
        {
            string? stubBase = stub.BaseType is null ? null : TypeName(stub.BaseType);
            if (stubBase != actual.BaseType)
            {
                at.Add(mismatches, $"{actual.FullName} derives from {stubBase ?? "nothing"}; the real one from {actual.BaseType ?? "nothing"}");
            }
        }

        if (kind == RealTypeKind.Enum)
        {
            string stubUnderlying = TypeName(stub.EnumUnderlyingType!);
            string? realUnderlying = actual.Fields.FirstOrDefault(f => f.Name == "value__")?.Type;
            if (realUnderlying is not null && stubUnderlying != realUnderlying)
            {
                at.Add(mismatches, $"{actual.FullName} is declared over {stubUnderlying}; the real one over {realUnderlying}");
            }
        }

        IReadOnlySet<string> realInterfaces = real.AllInterfaces(actual);
        foreach (INamedTypeSymbol implemented in stub.AllInterfaces)
        {
            string interfaceName = TypeName(implemented);
            if (!realInterfaces.Contains(interfaceName))
            {
                at.Add(mismatches, $"{actual.FullName} is declared to implement {interfaceName}; the real one implements {Listed(realInterfaces)}");
            }
        }
    }

    private static void CompareMember(ISymbol member, RealType actual, Place typePlace, List<SurfaceMismatch> mismatches)
    {
        if (!IsVisible(member.DeclaredAccessibility))
        {
            return;
        }

        Place at = member.IsImplicitlyDeclared || !member.Locations[0].IsInSource
            ? typePlace
            : new Place(member.Locations[0].SourceTree!.FilePath, member.Locations[0].GetLineSpan().StartLinePosition.Line + 1);

        switch (member)
        {
            case IMethodSymbol method when method.MethodKind is MethodKind.Ordinary or MethodKind.Constructor or MethodKind.UserDefinedOperator
                or MethodKind.Conversion or MethodKind.DelegateInvoke or MethodKind.Destructor:
                if (method.MethodKind == MethodKind.Constructor && method.IsImplicitlyDeclared && actual.Kind is RealTypeKind.Struct or RealTypeKind.Enum)
                {
                    return; // every struct has a parameterless constructor; metadata holds none
                }

                CompareMethod(method, actual, at, mismatches, method.IsImplicitlyDeclared ? "implicit constructor " : "");
                break;
            case IPropertySymbol property:
                CompareProperty(property, actual, at, mismatches);
                break;
            case IFieldSymbol field:
                CompareField(field, actual, at, mismatches);
                break;
            case IEventSymbol ev:
                RealEvent? realEvent = actual.Events.FirstOrDefault(e => e.Name == ev.MetadataName);
                if (realEvent is null)
                {
                    at.Add(mismatches, $"{Short(actual)}.{ev.Name} does not exist in the real {actual.Assembly} (no such event)");
                    return;
                }

                if (TypeName(ev.Type) != realEvent.Type || ev.IsStatic != realEvent.IsStatic)
                {
                    at.Add(mismatches, $"event {Short(actual)}.{ev.Name} is declared {Static(ev.IsStatic)}{TypeName(ev.Type)}; the real one is {Static(realEvent.IsStatic)}{realEvent.Type}");
                }

                foreach (IMethodSymbol? accessor in new[] { ev.AddMethod, ev.RemoveMethod })
                {
                    if (accessor is not null)
                    {
                        CompareMethod(accessor, actual, at, mismatches, "");
                    }
                }

                break;
        }
    }

    private static void CompareMethod(IMethodSymbol method, RealType actual, Place at, List<SurfaceMismatch> mismatches, string what)
    {
        string name = method.MetadataName;
        string[] parameters = [.. method.Parameters.Select(ParameterTypeName)];
        string signature = $"{name}({string.Join(", ", parameters)})";
        RealMethod? match = actual.Methods.FirstOrDefault(m =>
            m.Name == name && m.GenericArity == method.Arity && m.ParameterTypes.SequenceEqual(parameters, StringComparer.Ordinal));
        if (match is null)
        {
            RealMethod[] sameName = [.. actual.Methods.Where(m => m.Name == name)];
            string has = sameName.Length == 0
                ? $"it has no member {name}"
                : "it has " + string.Join("; ", sameName.Select(m => m.ToString()));
            at.Add(mismatches, $"{what}{Short(actual)}.{signature} does not exist in the real {actual.Assembly}: {has}");
            return;
        }

        string returnType = TypeName(method.ReturnType) + (method.RefKind != RefKind.None ? "&" : "");
        if (returnType != match.ReturnType)
        {
            at.Add(mismatches, $"{Short(actual)}.{signature} returns {returnType}; the real one returns {match.ReturnType}");
        }

        if (method.IsStatic != match.IsStatic)
        {
            at.Add(mismatches, $"{Short(actual)}.{signature} is declared {(method.IsStatic ? "static" : "instance")}; the real one is {(match.IsStatic ? "static" : "instance")}");
        }

        Visibility visibility = VisibilityOf(method.DeclaredAccessibility);
        if (visibility != match.Visibility)
        {
            at.Add(mismatches, $"{Short(actual)}.{signature} is declared {Lower(visibility)}; the real one is {Lower(match.Visibility)}");
        }

        bool overridable = method.IsVirtual || method.IsOverride || method.IsAbstract;
        if (overridable && method.ContainingType.TypeKind != TypeKind.Interface && (!match.IsVirtual || match.IsFinal))
        {
            at.Add(mismatches, $"{Short(actual)}.{signature} is declared overridable; the real one is not");
        }

        if (method.IsAbstract && !match.IsAbstract && method.ContainingType.TypeKind != TypeKind.Interface)
        {
            at.Add(mismatches, $"{Short(actual)}.{signature} is declared abstract; the real one is not");
        }

        for (int i = 0; i < method.Parameters.Length; i++)
        {
            IParameterSymbol parameter = method.Parameters[i];
            RealParameter realParameter = match.Parameters[i];
            if (parameter.IsParams && !realParameter.IsParams)
            {
                at.Add(mismatches, $"{Short(actual)}.{signature}: parameter {parameter.Name} is declared params; the real one is not (a call without it does not compile)");
            }

            if (parameter.HasExplicitDefaultValue)
            {
                string stubDefault = RealLibrary.ValueText(parameter.ExplicitDefaultValue);
                if (!realParameter.IsOptional)
                {
                    at.Add(mismatches, $"{Short(actual)}.{signature}: parameter {parameter.Name} is declared optional; the real one must be passed");
                }
                else if (realParameter.DefaultValue is not null && realParameter.DefaultValue != stubDefault)
                {
                    at.Add(mismatches, $"{Short(actual)}.{signature}: parameter {parameter.Name} defaults to {stubDefault}; the real one to {realParameter.DefaultValue}");
                }
            }
        }
    }

    private static void CompareProperty(IPropertySymbol property, RealType actual, Place at, List<SurfaceMismatch> mismatches)
    {
        string[] parameters = [.. property.Parameters.Select(ParameterTypeName)];
        RealProperty? match = actual.Properties.FirstOrDefault(p =>
            p.Name == property.MetadataName && p.ParameterTypes.SequenceEqual(parameters, StringComparer.Ordinal));
        string shown = property.IsIndexer ? "this[" + string.Join(", ", parameters) + "]" : property.Name;
        if (match is null)
        {
            RealMethod[] sameName = [.. actual.Methods.Where(m => m.Name == property.Name)];
            string has = sameName.Length > 0 ? $": it has the method {sameName[0]}" : " (no such property)";
            at.Add(mismatches, $"{Short(actual)}.{shown} does not exist in the real {actual.Assembly}{has}");
            return;
        }

        string type = TypeName(property.Type);
        if (type != match.Type)
        {
            at.Add(mismatches, $"{Short(actual)}.{shown} is declared {type}; the real one is {match.Type}");
        }

        foreach (IMethodSymbol? accessor in new[] { property.GetMethod, property.SetMethod })
        {
            if (accessor is not null && IsVisible(accessor.DeclaredAccessibility))
            {
                int before = mismatches.Count;
                CompareMethod(accessor, actual, at, mismatches, accessor.MethodKind == MethodKind.PropertyGet ? "getter " : "setter ");
                if (mismatches.Count > before && !actual.Methods.Any(m => m.Name == accessor.MetadataName))
                {
                    mismatches[^1] = new SurfaceMismatch(at.Path, at.Line,
                        $"{Short(actual)}.{shown} is declared with a {(accessor.MethodKind == MethodKind.PropertyGet ? "getter" : "setter")}; the real one has none");
                }
            }
        }
    }

    private static void CompareField(IFieldSymbol field, RealType actual, Place at, List<SurfaceMismatch> mismatches)
    {
        RealField? match = actual.Fields.FirstOrDefault(f => f.Name == field.MetadataName);
        if (match is null)
        {
            RealProperty? property = actual.Properties.FirstOrDefault(p => p.Name == field.Name);
            at.Add(mismatches, property is null
                ? $"{Short(actual)}.{field.Name} does not exist in the real {actual.Assembly}"
                : $"{Short(actual)}.{field.Name} is declared as a field; the real one is a property");
            return;
        }

        if (actual.Kind == RealTypeKind.Enum)
        {
            string stubValue = RealLibrary.ValueText(field.ConstantValue);
            if (stubValue != match.Value)
            {
                at.Add(mismatches, $"{Short(actual)}.{field.Name} = {stubValue}; the real value is {match.Value}");
            }

            return;
        }

        string type = TypeName(field.Type);
        string declared = $"{(field.IsConst ? "const " : field.IsStatic ? "static " : "")}{(field.IsReadOnly ? "readonly " : "")}{type}";
        string real = $"{(match.IsLiteral ? "const " : match.IsStatic ? "static " : "")}{(match.IsInitOnly ? "readonly " : "")}{match.Type}";
        if (declared != real || VisibilityOf(field.DeclaredAccessibility) != match.Visibility)
        {
            at.Add(mismatches, $"{Short(actual)}.{field.Name} is declared {Lower(VisibilityOf(field.DeclaredAccessibility))} {declared}; the real one is {Lower(match.Visibility)} {real}");
        }
        else if (field.IsConst && RealLibrary.ValueText(field.ConstantValue) != match.Value)
        {
            at.Add(mismatches, $"{Short(actual)}.{field.Name} = {RealLibrary.ValueText(field.ConstantValue)}; the real value is {match.Value}");
        }
    }

    /// <summary>Code implementing an interface (or deriving from an abstract class) must implement what the real one requires.</summary>
    private static void RequireAbstractMembers(INamedTypeSymbol stub, RealType actual, Place at, List<SurfaceMismatch> mismatches)
    {
        var declared = new HashSet<string>(StringComparer.Ordinal);
        foreach (ISymbol member in stub.GetMembers())
        {
            IEnumerable<IMethodSymbol> methods = member switch
            {
                IMethodSymbol m => [m],
                IPropertySymbol p => new[] { p.GetMethod, p.SetMethod }.OfType<IMethodSymbol>(),
                IEventSymbol e => new[] { e.AddMethod, e.RemoveMethod }.OfType<IMethodSymbol>(),
                _ => [],
            };
            foreach (IMethodSymbol method in methods)
            {
                declared.Add($"{method.MetadataName}({string.Join(", ", method.Parameters.Select(ParameterTypeName))})");
            }
        }

        foreach (RealMethod method in actual.Methods.Where(m => m.IsAbstract))
        {
            if (!declared.Contains(method.Signature))
            {
                at.Add(mismatches, $"{Short(actual)} lacks the abstract {method}: the real {actual.Assembly} requires implementations to have it");
            }
        }
    }

    /// <summary>A type as metadata writes it: System.Int32, System.Byte[], Outer/Inner, Ns.Name`1&lt;System.Int32&gt;, !0, !!0.</summary>
    public static string TypeName(ITypeSymbol type) => type switch
    {
        IArrayTypeSymbol array => TypeName(array.ElementType) + "[" + new string(',', array.Rank - 1) + "]",
        IPointerTypeSymbol pointer => TypeName(pointer.PointedAtType) + "*",
        ITypeParameterSymbol parameter => (parameter.TypeParameterKind == TypeParameterKind.Method ? "!!" : "!") + parameter.Ordinal,
        INamedTypeSymbol { IsGenericType: true } named when !SymbolEqualityComparer.Default.Equals(named, named.OriginalDefinition) =>
            MetadataName(named.OriginalDefinition) + "<" + string.Join(",", named.TypeArguments.Select(TypeName)) + ">",
        INamedTypeSymbol named => MetadataName(named),
        _ => type.ToDisplayString(),
    };

    private static string MetadataName(INamedTypeSymbol type)
    {
        if (type.ContainingType is not null)
        {
            return MetadataName(type.ContainingType) + "/" + type.MetadataName;
        }

        string ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() + "." : "";
        return ns + type.MetadataName;
    }

    private static string ParameterTypeName(IParameterSymbol parameter) =>
        TypeName(parameter.Type) + (parameter.RefKind != RefKind.None ? "&" : "");

    private static bool IsVisible(Accessibility accessibility) =>
        accessibility is Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal;

    private static Visibility VisibilityOf(Accessibility accessibility) => accessibility switch
    {
        Accessibility.Public => Visibility.Public,
        Accessibility.Protected or Accessibility.ProtectedOrInternal => Visibility.Protected,
        _ => Visibility.None,
    };

    private static string Short(RealType type) => type.FullName[(type.FullName.LastIndexOf('.') + 1)..];

    private static string Static(bool isStatic) => isStatic ? "static " : "";

    private static string Lower(object value) => value.ToString()!.ToLowerInvariant();

    private static string Listed(IReadOnlySet<string> names) => names.Count == 0 ? "none" : string.Join(", ", names.Order(StringComparer.Ordinal));

    private readonly record struct Place(string Path, int Line)
    {
        public void Add(List<SurfaceMismatch> mismatches, string message) => mismatches.Add(new SurfaceMismatch(Path, Line, message));
    }

    /// <summary>The public and protected types a surface compilation declares in source, nested ones included.</summary>
    private readonly struct CSharpCompilationLike(Compilation compilation)
    {
        public IEnumerable<INamedTypeSymbol> DeclaredTypes()
        {
            var pending = new Stack<INamespaceOrTypeSymbol>();
            pending.Push(compilation.Assembly.GlobalNamespace);
            while (pending.Count > 0)
            {
                foreach (ISymbol member in pending.Pop().GetMembers())
                {
                    if (member is INamespaceSymbol ns)
                    {
                        pending.Push(ns);
                    }
                    else if (member is INamedTypeSymbol type && IsVisible(type.DeclaredAccessibility) && type.Locations.Any(l => l.IsInSource))
                    {
                        yield return type;
                        pending.Push(type);
                    }
                }
            }
        }
    }
}
