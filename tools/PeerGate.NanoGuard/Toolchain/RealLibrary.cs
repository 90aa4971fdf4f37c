using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace PeerGate.NanoGuard.Toolchain;

/// <summary>Who outside an assembly sees a member: nobody, derived types, everyone.</summary>
public enum Visibility
{
    None,
    Protected,
    Public,
}

public enum RealTypeKind
{
    Class,
    Struct,
    Interface,
    Enum,
    Delegate,
}

/// <summary>A public or protected method of a real assembly, types written as in metadata (System.Int32, System.Byte[], T&amp;).</summary>
public sealed record RealMethod(
    string Name,
    string ReturnType,
    ImmutableArray<string> ParameterTypes,
    ImmutableArray<RealParameter> Parameters,
    int GenericArity,
    bool IsStatic,
    bool IsVirtual,
    bool IsFinal,
    bool IsAbstract,
    Visibility Visibility)
{
    public string Signature => $"{Name}({string.Join(", ", ParameterTypes)})";

    public override string ToString() => $"{(IsStatic ? "static " : "")}{ReturnType} {Signature}";
}

/// <summary>A parameter: whether it is `params`, optional, and its default value as text (null when none is stored).</summary>
public sealed record RealParameter(string Name, bool IsParams, bool IsOptional, string? DefaultValue);

public sealed record RealField(string Name, string Type, bool IsStatic, bool IsLiteral, bool IsInitOnly, Visibility Visibility, string? Value);

public sealed record RealProperty(string Name, string Type, ImmutableArray<string> ParameterTypes, bool IsStatic);

public sealed record RealEvent(string Name, string Type, bool IsStatic);

/// <summary>A visible type of a real assembly.</summary>
public sealed class RealType
{
    public required string FullName { get; init; }

    public required string Assembly { get; init; }

    public required RealTypeKind Kind { get; init; }

    public required Visibility Visibility { get; init; }

    public required bool IsAbstract { get; init; }

    public required bool IsSealed { get; init; }

    public bool IsStatic => IsAbstract && IsSealed && Kind == RealTypeKind.Class;

    public string? BaseType { get; init; }

    public required ImmutableArray<string> Interfaces { get; init; }

    public required ImmutableArray<RealMethod> Methods { get; init; }

    public required ImmutableArray<RealField> Fields { get; init; }

    public required ImmutableArray<RealProperty> Properties { get; init; }

    public required ImmutableArray<RealEvent> Events { get; init; }
}

/// <summary>
/// The public surface of the real nanoFramework reference assemblies (the toolchain's ref/*.dll), read with
/// System.Reflection.Metadata: every type by its metadata name (nested types as Outer/Inner).
/// </summary>
public sealed class RealLibrary
{
    private readonly Dictionary<string, Dictionary<string, RealType>> _assemblies = new(StringComparer.Ordinal);

    private RealLibrary()
    {
    }

    public IReadOnlyCollection<string> AssemblyNames => _assemblies.Keys;

    /// <summary>Reads every ref/*.dll of the toolchain.</summary>
    public static RealLibrary Load(NanoToolchain toolchain)
    {
        var library = new RealLibrary();
        foreach (string path in Directory.EnumerateFiles(toolchain.RefDir, "*.dll").Order(StringComparer.Ordinal))
        {
            library.Read(path);
        }

        return library;
    }

    public bool HasAssembly(string assemblyName) => _assemblies.ContainsKey(assemblyName);

    public RealType? Find(string assemblyName, string fullName) =>
        _assemblies.TryGetValue(assemblyName, out Dictionary<string, RealType>? types) && types.TryGetValue(fullName, out RealType? type) ? type : null;

    /// <summary>The assemblies that hold a visible type of that name.</summary>
    public IEnumerable<string> WhereIs(string fullName) =>
        _assemblies.Where(a => a.Value.TryGetValue(fullName, out RealType? t) && t.Visibility != Visibility.None).Select(a => a.Key);

    /// <summary>A public top-level type of the assembly with that simple name, e.g. "Math" gives "System.Math".</summary>
    public string? FindBySimpleName(string assemblyName, string simpleName) =>
        _assemblies.TryGetValue(assemblyName, out Dictionary<string, RealType>? types)
            ? types.Values
                .Where(t => t.Visibility == Visibility.Public && !t.FullName.Contains('/') && t.FullName.EndsWith("." + simpleName, StringComparison.Ordinal))
                .Select(t => t.FullName)
                .Order(StringComparer.Ordinal)
                .FirstOrDefault()
            : null;

    /// <summary>The type in whichever assembly holds it (the first by name when several do).</summary>
    public RealType? FindAnywhere(string fullName) =>
        _assemblies.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Value.GetValueOrDefault(fullName)).FirstOrDefault(t => t is not null);

    /// <summary>Interfaces a type has, directly, through its base types and through interface inheritance.</summary>
    public IReadOnlySet<string> AllInterfaces(RealType type)
    {
        var all = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        for (RealType? current = type; current is not null; current = current.BaseType is null ? null : FindAnywhere(current.BaseType))
        {
            foreach (string i in current.Interfaces)
            {
                pending.Push(i);
            }
        }

        while (pending.Count > 0)
        {
            string name = pending.Pop();
            if (all.Add(name) && FindAnywhere(name) is { } inherited)
            {
                foreach (string i in inherited.Interfaces)
                {
                    pending.Push(i);
                }
            }
        }

        return all;
    }

    private void Read(string path)
    {
        using FileStream stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        MetadataReader reader = pe.GetMetadataReader();
        string assembly = reader.GetString(reader.GetAssemblyDefinition().Name);
        var provider = new TypeNameProvider(reader);
        var types = new Dictionary<string, RealType>(StringComparer.Ordinal);

        foreach (TypeDefinitionHandle handle in reader.TypeDefinitions)
        {
            TypeDefinition definition = reader.GetTypeDefinition(handle);
            Visibility visibility = VisibilityOf(definition, reader);
            string fullName = TypeNameProvider.NameOf(reader, handle);
            string? baseType = definition.BaseType.IsNil ? null : provider.NameOf(definition.BaseType);
            types[fullName] = new RealType
            {
                FullName = fullName,
                Assembly = assembly,
                Kind = KindOf(definition, baseType, fullName),
                Visibility = visibility,
                IsAbstract = (definition.Attributes & TypeAttributes.Abstract) != 0,
                IsSealed = (definition.Attributes & TypeAttributes.Sealed) != 0,
                BaseType = baseType,
                Interfaces = [.. definition.GetInterfaceImplementations().Select(i => provider.NameOf(reader.GetInterfaceImplementation(i).Interface))],
                Methods = [.. definition.GetMethods().Select(m => ReadMethod(reader, provider, reader.GetMethodDefinition(m))).Where(m => m.Visibility != Visibility.None)],
                Fields = [.. definition.GetFields().Select(f => ReadField(reader, provider, reader.GetFieldDefinition(f))).Where(f => f.Visibility != Visibility.None)],
                Properties = [.. definition.GetProperties().Select(p => ReadProperty(reader, provider, reader.GetPropertyDefinition(p)))],
                Events = [.. definition.GetEvents().Select(e => ReadEvent(reader, provider, reader.GetEventDefinition(e)))],
            };
        }

        _assemblies[assembly] = types;
    }

    private static RealTypeKind KindOf(TypeDefinition definition, string? baseType, string fullName)
    {
        if ((definition.Attributes & TypeAttributes.Interface) != 0)
        {
            return RealTypeKind.Interface;
        }

        return baseType switch
        {
            "System.Enum" => RealTypeKind.Enum,
            "System.ValueType" when fullName != "System.Enum" => RealTypeKind.Struct,
            "System.MulticastDelegate" => RealTypeKind.Delegate,
            _ => RealTypeKind.Class,
        };
    }

    private static Visibility VisibilityOf(TypeDefinition definition, MetadataReader reader)
    {
        Visibility own = (definition.Attributes & TypeAttributes.VisibilityMask) switch
        {
            TypeAttributes.Public or TypeAttributes.NestedPublic => Visibility.Public,
            TypeAttributes.NestedFamily or TypeAttributes.NestedFamORAssem => Visibility.Protected,
            _ => Visibility.None,
        };
        TypeDefinitionHandle outer = definition.GetDeclaringType();
        if (outer.IsNil || own == Visibility.None)
        {
            return own;
        }

        Visibility container = VisibilityOf(reader.GetTypeDefinition(outer), reader);
        return container < own ? container : own;
    }

    private static Visibility VisibilityOf(MethodAttributes attributes) => (attributes & MethodAttributes.MemberAccessMask) switch
    {
        MethodAttributes.Public => Visibility.Public,
        MethodAttributes.Family or MethodAttributes.FamORAssem => Visibility.Protected,
        _ => Visibility.None,
    };

    private static Visibility VisibilityOf(FieldAttributes attributes) => (attributes & FieldAttributes.FieldAccessMask) switch
    {
        FieldAttributes.Public => Visibility.Public,
        FieldAttributes.Family or FieldAttributes.FamORAssem => Visibility.Protected,
        _ => Visibility.None,
    };

    private static RealMethod ReadMethod(MetadataReader reader, TypeNameProvider provider, MethodDefinition method)
    {
        MethodSignature<string> signature = method.DecodeSignature(provider, null);
        var names = new string[signature.ParameterTypes.Length];
        var parameters = new RealParameter[signature.ParameterTypes.Length];
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = new RealParameter("", false, false, null);
        }

        foreach (ParameterHandle handle in method.GetParameters())
        {
            Parameter parameter = reader.GetParameter(handle);
            int index = parameter.SequenceNumber - 1;
            if (index < 0 || index >= parameters.Length)
            {
                continue; // the return value's row
            }

            bool isParams = parameter.GetCustomAttributes()
                .Any(a => provider.AttributeTypeName(reader.GetCustomAttribute(a)) == "System.ParamArrayAttribute");
            ConstantHandle constant = parameter.GetDefaultValue();
            parameters[index] = new RealParameter(
                reader.GetString(parameter.Name),
                isParams,
                (parameter.Attributes & ParameterAttributes.Optional) != 0,
                constant.IsNil ? null : ConstantText(reader, constant));
        }

        MethodAttributes attributes = method.Attributes;
        return new RealMethod(
            reader.GetString(method.Name),
            signature.ReturnType,
            signature.ParameterTypes,
            [.. parameters],
            signature.GenericParameterCount,
            (attributes & MethodAttributes.Static) != 0,
            (attributes & MethodAttributes.Virtual) != 0,
            (attributes & MethodAttributes.Final) != 0,
            (attributes & MethodAttributes.Abstract) != 0,
            VisibilityOf(attributes));
    }

    private static RealField ReadField(MetadataReader reader, TypeNameProvider provider, FieldDefinition field)
    {
        FieldAttributes attributes = field.Attributes;
        ConstantHandle constant = field.GetDefaultValue();
        return new RealField(
            reader.GetString(field.Name),
            field.DecodeSignature(provider, null),
            (attributes & FieldAttributes.Static) != 0,
            (attributes & FieldAttributes.Literal) != 0,
            (attributes & FieldAttributes.InitOnly) != 0,
            VisibilityOf(attributes),
            constant.IsNil ? null : ConstantText(reader, constant));
    }

    private static RealProperty ReadProperty(MetadataReader reader, TypeNameProvider provider, PropertyDefinition property)
    {
        MethodSignature<string> signature = property.DecodeSignature(provider, null);
        return new RealProperty(reader.GetString(property.Name), signature.ReturnType, signature.ParameterTypes, !signature.Header.IsInstance);
    }

    private static RealEvent ReadEvent(MetadataReader reader, TypeNameProvider provider, EventDefinition definition)
    {
        MethodDefinitionHandle adder = definition.GetAccessors().Adder;
        bool isStatic = !adder.IsNil && (reader.GetMethodDefinition(adder).Attributes & MethodAttributes.Static) != 0;
        return new RealEvent(reader.GetString(definition.Name), provider.NameOf(definition.Type), isStatic);
    }

    /// <summary>A stored constant as invariant text, e.g. "0", "True", "text", "null".</summary>
    public static string ConstantText(MetadataReader reader, ConstantHandle handle)
    {
        Constant constant = reader.GetConstant(handle);
        BlobReader blob = reader.GetBlobReader(constant.Value);
        object? value = constant.TypeCode switch
        {
            ConstantTypeCode.Boolean => blob.ReadBoolean(),
            ConstantTypeCode.Char => blob.ReadChar(),
            ConstantTypeCode.SByte => blob.ReadSByte(),
            ConstantTypeCode.Byte => blob.ReadByte(),
            ConstantTypeCode.Int16 => blob.ReadInt16(),
            ConstantTypeCode.UInt16 => blob.ReadUInt16(),
            ConstantTypeCode.Int32 => blob.ReadInt32(),
            ConstantTypeCode.UInt32 => blob.ReadUInt32(),
            ConstantTypeCode.Int64 => blob.ReadInt64(),
            ConstantTypeCode.UInt64 => blob.ReadUInt64(),
            ConstantTypeCode.Single => blob.ReadSingle(),
            ConstantTypeCode.Double => blob.ReadDouble(),
            ConstantTypeCode.String => blob.ReadUTF16(blob.Length),
            _ => null,
        };
        return ValueText(value);
    }

    /// <summary>How constants are compared: integers by value whatever their width, the rest invariant.</summary>
    public static string ValueText(object? value) => value switch
    {
        null => "null",
        bool b => b ? "True" : "False",
        char c => ((int)c).ToString(System.Globalization.CultureInfo.InvariantCulture),
        sbyte or byte or short or ushort or int or uint or long => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ulong u => u.ToString(System.Globalization.CultureInfo.InvariantCulture),
        float f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        string s => "\"" + s + "\"",
        _ => value.ToString() ?? "null",
    };

    /// <summary>Writes signature types as metadata names: System.Int32, System.Byte[], Outer/Inner, !0, !!0, T&amp;.</summary>
    private sealed class TypeNameProvider(MetadataReader reader) : ISignatureTypeProvider<string, object?>, ICustomAttributeTypeProvider<string>
    {
        public static string NameOf(MetadataReader reader, TypeDefinitionHandle handle)
        {
            TypeDefinition definition = reader.GetTypeDefinition(handle);
            string name = reader.GetString(definition.Name);
            TypeDefinitionHandle outer = definition.GetDeclaringType();
            if (!outer.IsNil)
            {
                return NameOf(reader, outer) + "/" + name;
            }

            string ns = reader.GetString(definition.Namespace);
            return ns.Length == 0 ? name : ns + "." + name;
        }

        public string NameOf(EntityHandle handle) => handle.Kind switch
        {
            HandleKind.TypeDefinition => NameOf(reader, (TypeDefinitionHandle)handle),
            HandleKind.TypeReference => GetTypeFromReference(reader, (TypeReferenceHandle)handle, 0),
            HandleKind.TypeSpecification => GetTypeFromSpecification(reader, null, (TypeSpecificationHandle)handle, 0),
            _ => "?",
        };

        public string AttributeTypeName(CustomAttribute attribute)
        {
            EntityHandle ctor = attribute.Constructor;
            EntityHandle owner = ctor.Kind switch
            {
                HandleKind.MethodDefinition => reader.GetMethodDefinition((MethodDefinitionHandle)ctor).GetDeclaringType(),
                HandleKind.MemberReference => reader.GetMemberReference((MemberReferenceHandle)ctor).Parent,
                _ => default,
            };
            return owner.IsNil ? "?" : NameOf(owner);
        }

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => "System." + typeCode switch
        {
            PrimitiveTypeCode.IntPtr => "IntPtr",
            PrimitiveTypeCode.UIntPtr => "UIntPtr",
            _ => typeCode.ToString(),
        };

        public string GetTypeFromDefinition(MetadataReader r, TypeDefinitionHandle handle, byte rawTypeKind) => NameOf(r, handle);

        public string GetTypeFromReference(MetadataReader r, TypeReferenceHandle handle, byte rawTypeKind)
        {
            TypeReference reference = r.GetTypeReference(handle);
            string name = r.GetString(reference.Name);
            if (reference.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                return GetTypeFromReference(r, (TypeReferenceHandle)reference.ResolutionScope, 0) + "/" + name;
            }

            string ns = r.GetString(reference.Namespace);
            return ns.Length == 0 ? name : ns + "." + name;
        }

        public string GetTypeFromSpecification(MetadataReader r, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            r.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public string GetSZArrayType(string elementType) => elementType + "[]";

        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[" + new string(',', shape.Rank - 1) + "]";

        public string GetByReferenceType(string elementType) => elementType + "&";

        public string GetPointerType(string elementType) => elementType + "*";

        public string GetPinnedType(string elementType) => elementType;

        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;

        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) =>
            genericType + "<" + string.Join(",", typeArguments) + ">";

        public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;

        public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;

        public string GetFunctionPointerType(MethodSignature<string> signature) => "method*";

        public string GetSystemType() => "System.Type";

        public bool IsSystemType(string type) => type == "System.Type";

        public string GetTypeFromSerializedName(string name) => name;

        public PrimitiveTypeCode GetUnderlyingEnumType(string type) => PrimitiveTypeCode.Int32;
    }
}
