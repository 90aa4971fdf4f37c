using System.Collections;
using System.Collections.Concurrent;

namespace PeerGate.Server;

/// <summary>
/// A <see cref="ConcurrentDictionary{TKey,TValue}"/> whose <see cref="Count"/> is one volatile read.
/// The dictionary's own Count takes every one of its locks, and their number grows with the table (up
/// to 1,024), so a bound checked with it on every datagram or request costs more the more devices the
/// server holds. The tables that are checked against a bound on a hot path keep their count here,
/// beside the dictionary, changed only by the adds and removes that took effect.
/// </summary>
public sealed class CountedDictionary<TKey, TValue> : IEnumerable<KeyValuePair<TKey, TValue>>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TValue> _inner;
    private int _count;

    public CountedDictionary(IEqualityComparer<TKey>? comparer = null) => _inner = new ConcurrentDictionary<TKey, TValue>(comparer);

    /// <summary>The entries now; exact when no add or remove is under way.</summary>
    public int Count => Volatile.Read(ref _count);

    public TValue this[TKey key]
    {
        get => _inner[key];
        set
        {
            while (true)
            {
                if (_inner.TryGetValue(key, out var old))
                {
                    if (_inner.TryUpdate(key, value, old))
                    {
                        return;
                    }
                }
                else if (TryAdd(key, value))
                {
                    return;
                }
            }
        }
    }

    public bool TryGetValue(TKey key, out TValue value) => _inner.TryGetValue(key, out value!);

    /// <summary>Reads by an alternate key (a span of chars for a string key) without making a key; the comparer must know that kind.</summary>
    public bool TryGetValue<TAlternateKey>(TAlternateKey key, out TValue value)
        where TAlternateKey : notnull, allows ref struct => _inner.GetAlternateLookup<TAlternateKey>().TryGetValue(key, out value!);

    public bool ContainsKey(TKey key) => _inner.ContainsKey(key);

    public bool TryAdd(TKey key, TValue value)
    {
        if (!_inner.TryAdd(key, value))
        {
            return false;
        }

        Interlocked.Increment(ref _count);
        return true;
    }

    /// <summary>The value held for <paramref name="key"/>, else <paramref name="value"/>, added.</summary>
    public TValue GetOrAdd(TKey key, TValue value)
    {
        while (true)
        {
            if (_inner.TryGetValue(key, out var existing))
            {
                return existing;
            }

            if (TryAdd(key, value))
            {
                return value;
            }
        }
    }

    /// <summary>The value held for <paramref name="key"/>, else one made by <paramref name="create"/> and added (it may be made and dropped when another adds first).</summary>
    public TValue GetOrAdd<TState>(TKey key, Func<TKey, TState, TValue> create, TState state)
    {
        while (true)
        {
            if (_inner.TryGetValue(key, out var existing))
            {
                return existing;
            }

            var made = create(key, state);
            if (TryAdd(key, made))
            {
                return made;
            }
        }
    }

    public bool TryRemove(TKey key, out TValue value)
    {
        if (!_inner.TryRemove(key, out value!))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        return true;
    }

    /// <summary>Removes the entry only while it still holds <paramref name="entry"/>'s value.</summary>
    public bool TryRemove(KeyValuePair<TKey, TValue> entry)
    {
        if (!_inner.TryRemove(entry))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        return true;
    }

    /// <summary>Removes every entry one by one, so the count stays that of the entries left by concurrent adds.</summary>
    public void Clear()
    {
        foreach (var (key, _) in _inner)
        {
            TryRemove(key, out _);
        }
    }

    /// <summary>The values, walked without a lock (unlike the dictionary's own Values, which copies them under all of its locks).</summary>
    public IEnumerable<TValue> Values
    {
        get
        {
            foreach (var (_, value) in _inner)
            {
                yield return value;
            }
        }
    }

    /// <summary>Walks the entries without a lock, as the dictionary's enumerator does: an entry added or removed meanwhile may or may not be seen.</summary>
    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator() => _inner.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
