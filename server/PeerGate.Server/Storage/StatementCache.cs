using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace PeerGate.Server.Storage;

/// <summary>
/// The prepared statements of one long-lived connection, by SQL text: a store's SQL is parsed once
/// per connection instead of at every use (preparing was most of the CPU spent in SQLite). Only
/// SQLite connections <see cref="Database"/> keeps open get one (PostgreSQL's are prepared by Npgsql's
/// automatic preparation instead) (<see cref="Attach"/>);
/// <see cref="DbExtensions.Command"/> takes its commands from here when there is one.
/// </summary>
/// <remarks>
/// A cache belongs to its connection, which one thread uses at a time, so it takes no lock. At most
/// <c>capacity</c> statements are kept, the least recently used leaving first. A command handed out
/// is back in the cache when its user disposes it, with its parameters and transaction cleared and
/// any reader left open closed (so it holds no read snapshot); the same SQL asked for again while its
/// command is still out gets a command of its own.
/// </remarks>
public sealed class StatementCache : IDisposable
{
    private static readonly ConditionalWeakTable<DbConnection, StatementCache> Caches = new();

    private readonly SqliteConnection _connection;
    private readonly int _capacity;
    private readonly Dictionary<string, LinkedListNode<CachedCommand>> _bySql = new(StringComparer.Ordinal);

    // Most recently used first.
    private readonly LinkedList<CachedCommand> _recent = new();

    private StatementCache(SqliteConnection connection, int capacity)
    {
        _connection = connection;
        _capacity = capacity;
    }

    /// <summary>Statements kept now.</summary>
    public int Count => _bySql.Count;

    /// <summary>Gives <paramref name="connection"/> a cache of at most <paramref name="capacity"/> statements.</summary>
    public static StatementCache Attach(SqliteConnection connection, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var cache = new StatementCache(connection, capacity);
        Caches.AddOrUpdate(connection, cache);
        return cache;
    }

    /// <summary>The cache of <paramref name="connection"/>, or null when it has none.</summary>
    public static StatementCache? Of(DbConnection connection) => Caches.TryGetValue(connection, out var cache) ? cache : null;

    /// <summary>A command for <paramref name="sql"/>, prepared already when it ran before; dispose it to give it back.</summary>
    public DbCommand Rent(string sql)
    {
        if (_bySql.TryGetValue(sql, out var node))
        {
            if (node.Value.InUse)
            {
                return Uncached(sql);
            }

            _recent.Remove(node);
            _recent.AddFirst(node);
            node.Value.InUse = true;
            return node.Value;
        }

        if (_bySql.Count >= _capacity && !EvictOne())
        {
            return Uncached(sql);
        }

        var command = new CachedCommand { Connection = _connection, CommandText = sql, InUse = true };
        _bySql.Add(sql, _recent.AddFirst(command));
        return command;
    }

    /// <summary>Finalizes every statement kept; the connection's commands are uncached from now on.</summary>
    public void Dispose()
    {
        Caches.Remove(_connection);
        foreach (var command in _recent)
        {
            command.Release();
        }

        _recent.Clear();
        _bySql.Clear();
    }

    private SqliteCommand Uncached(string sql)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private bool EvictOne()
    {
        for (var node = _recent.Last; node is not null; node = node.Previous)
        {
            if (!node.Value.InUse)
            {
                _recent.Remove(node);
                _bySql.Remove(node.Value.CommandText);
                node.Value.Release();
                return true;
            }
        }

        return false;
    }

    /// <summary>A command whose dispose returns it to its cache; <see cref="Release"/> disposes it for real.</summary>
    private sealed class CachedCommand : SqliteCommand
    {
        private bool _released;

        public bool InUse { get; set; }

        public void Release()
        {
            _released = true;
            Dispose();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_released)
            {
                // A reader left open would keep its statement stepping, and with it a read snapshot in the WAL.
                DataReader?.Dispose();
                Parameters.Clear();
                Transaction = null;
                InUse = false;
                return;
            }

            base.Dispose(disposing);
        }
    }
}
