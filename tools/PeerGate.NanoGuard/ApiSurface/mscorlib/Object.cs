// Mirrors nanoframework/CoreLibrary nanoFramework.CoreLibrary/System/{Object,ValueType,Enum,Void,IDisposable,
// ICloneable,IComparable,IFormatProvider,EventArgs,EventHandler,MarshalByRefObject,Action,AsyncCallback,IAsyncResult}.cs
// (CoreLibrary 1.17.11, reflection flavour). Public surface only; bodies are placeholders.

namespace System
{
    public class Object
    {
        public Object() { }

        public virtual string ToString() { throw null; }

        public virtual bool Equals(object obj) { throw null; }

        public static bool Equals(object objA, object objB) { throw null; }

        public static bool ReferenceEquals(object objA, object objB) { throw null; }

        public virtual int GetHashCode() { throw null; }

        public Type GetType() { throw null; }

        protected object MemberwiseClone() { throw null; }
    }

    public abstract class ValueType
    {
        public override bool Equals(object obj) { throw null; }
    }

    // ToString() really exists, but gives the number, not the name: the guard flags every use (NG1016).
    public abstract class Enum : ValueType
    {
        public bool HasFlag(Enum flag) { throw null; }

        public override string ToString() { throw null; }
    }

    public struct Void
    {
    }

    public interface IDisposable
    {
        void Dispose();
    }

    public interface ICloneable
    {
        object Clone();
    }

    public interface IComparable
    {
        int CompareTo(object obj);
    }

    public interface IFormatProvider
    {
        object GetFormat(Type formatType);
    }

    // Empty on 1.x: the CoreLibrary declares no member on it.
    public interface IAsyncResult
    {
    }

    public delegate void AsyncCallback(IAsyncResult ar);

    // Action.cs also declares Action<T>, Action<T1,T2>, Func<...>: left out on purpose, they fail at run time on 1.x (Home#724).
    public delegate void Action();

    public class EventArgs
    {
        public static readonly EventArgs Empty = null;

        public EventArgs() { }
    }

    public delegate void EventHandler(object sender, EventArgs e);

    public abstract class MarshalByRefObject
    {
    }

    public abstract class Delegate
    {
        public static Delegate Combine(Delegate a, Delegate b) { throw null; }

        public static Delegate Remove(Delegate source, Delegate value) { throw null; }

        public override bool Equals(object obj) { throw null; }

        public static bool operator ==(Delegate d1, Delegate d2) { throw null; }

        public static bool operator !=(Delegate d1, Delegate d2) { throw null; }
    }

    public abstract class MulticastDelegate : Delegate
    {
        public static bool operator ==(MulticastDelegate d1, MulticastDelegate d2) { throw null; }

        public static bool operator !=(MulticastDelegate d1, MulticastDelegate d2) { throw null; }

        public override bool Equals(object obj) { throw null; }
    }

    public struct RuntimeTypeHandle
    {
    }

    public struct RuntimeFieldHandle
    {
    }

    public struct RuntimeMethodHandle
    {
    }

    public struct IntPtr
    {
    }

    public struct UIntPtr
    {
    }
}
