// Mirrors nanoframework/CoreLibrary nanoFramework.CoreLibrary/System/{Attribute,AttributeTargets,AttributeUsageAttribute,
// FlagsAttribute,ObsoleteAttribute,SerializableAttribute,NonSerializedAttribute,ParamArrayAttribute,CLSCompliantAttribute}.cs,
// System/Diagnostics/ConditionalAttribute.cs, System/Reflection/DefaultMemberAttribute.cs and
// System/Runtime/CompilerServices/{ExtensionAttribute,IndexerNameAttribute,InternalsVisibleToAttribute,
// IsExternalInit,RuntimeHelpers}.cs (CoreLibrary 1.17.11).
// These are what the compiler needs for params, extension methods, indexers, init accessors and array initializers.

namespace System
{
    public abstract class Attribute
    {
        protected Attribute() { }
    }

    [Flags]
    public enum AttributeTargets
    {
        Assembly = 0x0001,
        Module = 0x0002,
        Class = 0x0004,
        Struct = 0x0008,
        Enum = 0x0010,
        Constructor = 0x0020,
        Method = 0x0040,
        Property = 0x0080,
        Field = 0x0100,
        Event = 0x0200,
        Interface = 0x0400,
        Parameter = 0x0800,
        Delegate = 0x1000,
        ReturnValue = 0x2000,
        All = Assembly | Module | Class | Struct | Enum | Constructor | Method | Property | Field | Event | Interface | Parameter | Delegate | ReturnValue,
    }

    [AttributeUsage(AttributeTargets.Class, Inherited = true)]
    public sealed class AttributeUsageAttribute : Attribute
    {
        public AttributeUsageAttribute(AttributeTargets validOn) { }

        public AttributeTargets ValidOn => throw null;

        public bool AllowMultiple
        {
            get { throw null; }
            set { }
        }

        public bool Inherited
        {
            get { throw null; }
            set { }
        }
    }

    [AttributeUsage(AttributeTargets.Enum, Inherited = false)]
    public class FlagsAttribute : Attribute
    {
    }

    public sealed class ObsoleteAttribute : Attribute
    {
        public ObsoleteAttribute() { }

        public ObsoleteAttribute(string message) { }

        public ObsoleteAttribute(string message, bool error) { }

        public string Message => throw null;

        public bool IsError => throw null;
    }

    public sealed class SerializableAttribute : Attribute
    {
    }

    [AttributeUsage(AttributeTargets.Field, Inherited = false)]
    public sealed class NonSerializedAttribute : Attribute
    {
    }

    [AttributeUsage(AttributeTargets.Parameter, Inherited = true, AllowMultiple = false)]
    public sealed class ParamArrayAttribute : Attribute
    {
    }

    public sealed class CLSCompliantAttribute : Attribute
    {
        public CLSCompliantAttribute(bool isCompliant) { }

        public bool IsCompliant => throw null;
    }
}

namespace System.Diagnostics
{
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true)]
    public sealed class ConditionalAttribute : Attribute
    {
        public ConditionalAttribute(string conditionString) { }

        public string ConditionString => throw null;
    }
}

namespace System.Reflection
{
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Interface)]
    public sealed class DefaultMemberAttribute : Attribute
    {
        public DefaultMemberAttribute(string memberName) { }

        public string MemberName => throw null;
    }
}

namespace System.Runtime.CompilerServices
{
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Method | AttributeTargets.Assembly)]
    public sealed class ExtensionAttribute : Attribute
    {
    }

    [AttributeUsage(AttributeTargets.Property, Inherited = true)]
    public sealed class IndexerNameAttribute : Attribute
    {
        public IndexerNameAttribute(string indexerName) { }
    }

    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true, Inherited = false)]
    public sealed class InternalsVisibleToAttribute : Attribute
    {
        public InternalsVisibleToAttribute(string assemblyName) { }

        public string AssemblyName => throw null;
    }

    public static class IsExternalInit
    {
    }

    public static class RuntimeHelpers
    {
        public static void InitializeArray(Array array, RuntimeFieldHandle fldHandle) { }

        public static object GetObjectValue(object obj) { throw null; }

        public static void RunClassConstructor(RuntimeTypeHandle type) { }

        public static int OffsetToStringData => throw null;
    }
}
