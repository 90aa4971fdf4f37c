// Mirrors nanoframework/System.Collections nanoFramework.System.Collections/Collections/{Hashtable,IDictionary,
// IDictionaryEnumerator,DictionaryEntry,Queue,Stack}.cs (NuGet nanoFramework.System.Collections 1.5.75).
// The Generic/ folder of that repository (List<T>, Dictionary<,>) exists only on the 2.0-preview line.

namespace System.Collections
{
    public class DictionaryEntry
    {
        public object Key;
        public object Value;

        public DictionaryEntry(object key, object value) { }
    }

    public interface IDictionaryEnumerator : IEnumerator
    {
        object Key { get; }

        object Value { get; }

        DictionaryEntry Entry { get; }
    }

    public interface IDictionary : ICollection
    {
        object this[object key] { get; set; }

        ICollection Keys { get; }

        ICollection Values { get; }

        bool Contains(object key);

        void Add(object key, object value);

        void Clear();

        bool IsReadOnly { get; }

        bool IsFixedSize { get; }

        void Remove(object key);
    }

    public class Hashtable : ICloneable, IDictionary
    {
        public Hashtable() { }

        public Hashtable(int capacity) { }

        public Hashtable(int capacity, float maxLoadFactor) { }

        public object this[object key]
        {
            get { throw null; }
            set { }
        }

        public int Count => throw null;

        public bool IsFixedSize => throw null;

        public bool IsReadOnly => throw null;

        public bool IsSynchronized => throw null;

        public object SyncRoot => throw null;

        public ICollection Keys => throw null;

        public ICollection Values => throw null;

        public void Add(object key, object value) { }

        public void Clear() { }

        public object Clone() { throw null; }

        public bool Contains(object key) { throw null; }

        public void CopyTo(Array array, int index) { }

        public void Remove(object key) { }

        public IEnumerator GetEnumerator() { throw null; }
    }

    public class Queue : ICollection, ICloneable
    {
        public Queue() { }

        public virtual int Count => throw null;

        public virtual bool IsSynchronized => throw null;

        public virtual object SyncRoot => throw null;

        public virtual object Clone() { throw null; }

        public virtual void Clear() { }

        public virtual void CopyTo(Array array, int index) { }

        public virtual void Enqueue(object obj) { }

        public virtual IEnumerator GetEnumerator() { throw null; }

        public virtual object Dequeue() { throw null; }

        public virtual object Peek() { throw null; }

        public virtual bool Contains(object obj) { throw null; }

        public virtual object[] ToArray() { throw null; }
    }

    public class Stack : ICollection, ICloneable
    {
        public Stack() { }

        public virtual int Count => throw null;

        public virtual bool IsSynchronized => throw null;

        public virtual object SyncRoot => throw null;

        public virtual void Clear() { }

        public virtual object Clone() { throw null; }

        public virtual bool Contains(object obj) { throw null; }

        public virtual void CopyTo(Array array, int index) { }

        public virtual IEnumerator GetEnumerator() { throw null; }

        public virtual object Peek() { throw null; }

        public virtual object Pop() { throw null; }

        public virtual void Push(object obj) { }

        public virtual object[] ToArray() { throw null; }
    }
}
