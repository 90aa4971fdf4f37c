// Mirrors nanoframework/CoreLibrary nanoFramework.CoreLibrary/System/Type.cs and System/Reflection/MemberInfo.cs
// and System/Reflection/MethodBase.cs, MethodInfo.cs (CoreLibrary 1.17.11, reflection flavour). typeof() needs
// Type.GetTypeFromHandle.

namespace System.Reflection
{
    // Abstract members are left out, so our code cannot derive from MemberInfo or Type.
    public abstract class MemberInfo
    {
        internal MemberInfo() { }

        public abstract string Name { get; }

        public abstract Type DeclaringType { get; }
    }

    // System/Reflection/MethodBase.cs and MethodInfo.cs: what the board's JSON writer uses to read getters.
    public abstract class MethodBase : MemberInfo
    {
        internal MethodBase() { }

        public bool IsStatic => throw null;

        public object Invoke(object obj, object[] parameters) { throw null; }
    }

    public abstract class MethodInfo : MethodBase
    {
        internal MethodInfo() { }
    }
}

namespace System
{
    public abstract class Type : Reflection.MemberInfo
    {
        internal Type() { }

        public abstract string FullName { get; }

        public abstract Type BaseType { get; }

        public abstract string AssemblyQualifiedName { get; }

        public bool IsArray => throw null;

        public bool IsClass => throw null;

        public bool IsEnum => throw null;

        public bool IsInterface => throw null;

        public bool IsValueType => throw null;

        public abstract Type GetElementType();

        public Reflection.MethodInfo[] GetMethods() { throw null; }

        public static Type GetType(string name) { throw null; }

        public static Type GetTypeFromHandle(RuntimeTypeHandle handle) { throw null; }
    }
}
