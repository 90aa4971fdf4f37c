using Microsoft.Data.Sqlite;

namespace PeerGate.Server.Storage;

/// <summary>
/// The one way into SQLite. Every connection gets the same settings, every write runs in an
/// IMMEDIATE transaction, and the schema is brought up to date before the first request.
/// </summary>
public sealed class Database
{
    // Why each setting:
    // - journal_mode=WAL (persistent, set once): readers never block the writer and the writer never
    //   blocks readers, which suits many devices reading the registry while a few register.
    // - synchronous=FULL (per connection): with WAL, NORMAL can lose the last commits on power loss
    //   (the WAL is synced only at checkpoints). FULL syncs the WAL on every commit, so an answer of
    //   "registered" means the row survives kill -9 and power loss. It costs one fsync per write,
    //   which a small VM handles at hundreds of writes per second; measured by the benchmark.
    // - busy_timeout (PeerGate:BusyTimeoutMilliseconds, default 5000): a writer waits that long for the
    //   write lock instead of failing at once; bounded, so an overloaded server answers late rather
    //   than never, and then 503 storage_busy. Microsoft.Data.Sqlite retries a busy statement on its
    //   own until the command timeout, so that is set to the same bound (in whole seconds).
    // - foreign_keys=ON: SQLite leaves them off by default; we rely on them for group membership.
    // - BEGIN IMMEDIATE for writes: takes the write lock up front, so two writers cannot both read
    //   and then deadlock upgrading; a busy database shows up at BEGIN, inside busy_timeout.
    // - secure_delete=ON: a deleted row's bytes are overwritten with zeros in the page, so a session
    //   offer's key and password leave the file with the row instead of lingering in free space.
    // - cache_size=-512 (512 KiB, per connection): every pooled connection keeps its own page cache, and
    //   with SQLite's 2 MB default a busy pool holds tens of MB of a file that grows with the fleet;
    //   WAL readers discard the cache whenever another connection commits, which here is all the time,
    //   so a larger cache buys little. The OS page cache still holds the whole file.
    private readonly string _connectionString;
    private readonly string _connectionSettings;
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, object> _configured = new();
    private static readonly object Configured = new();

    // The last write's storage fault (null: it succeeded), and a count of its changes for readiness.
    private StorageFault? _writeFault;
    private long _faultChanges;

    public Database(string path, TimeSpan busyTimeout)
    {
        Path = System.IO.Path.GetFullPath(path);
        var busyMilliseconds = (int)Math.Clamp(busyTimeout.TotalMilliseconds, 0, int.MaxValue);
        _connectionSettings = $"PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; PRAGMA busy_timeout = {busyMilliseconds}; PRAGMA cache_size = -512;";
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(busyMilliseconds / 1000.0)),
        }.ToString();
    }

    public string Path { get; }

    /// <summary>
    /// Creates the file if needed and applies every migration not yet applied. Returns the files of
    /// the database that were readable by others and now are not.
    /// </summary>
    public IReadOnlyList<string> Initialize()
    {
        // SQLite gives -wal, -shm and -journal the database file's mode, so a database created
        // private keeps every file of it private; one made by an older version is tightened here.
        OwnerOnly.CreateFile(Path);
        var tightened = RestrictFiles();
        using (var connection = new SqliteConnection(_connectionString))
        {
            Open(connection);
            connection.Execute("PRAGMA journal_mode = WAL;");
            Migrations.Apply(connection);
        }

        tightened.AddRange(RestrictFiles());
        return tightened;
    }

    /// <summary>The database file and every file SQLite keeps beside it.</summary>
    public IEnumerable<string> Files => [Path, Path + "-wal", Path + "-shm", Path + "-journal"];

    private List<string> RestrictFiles() => Files.Where(OwnerOnly.Restrict).ToList();

    /// <summary>The storage fault the last write met, or null when it succeeded.</summary>
    public StorageFault? WriteFault => Volatile.Read(ref _writeFault);

    /// <summary>Rises whenever <see cref="WriteFault"/> changes, so readiness knows its answer is stale.</summary>
    public long FaultChanges => Interlocked.Read(ref _faultChanges);

    /// <summary>Runs <paramref name="work"/> in one IMMEDIATE transaction and commits it durably.</summary>
    /// <remarks>A storage fault (<see cref="StorageFault.Of"/>) is rethrown as it is; the problem middleware answers it.</remarks>
    public T Write<T>(Func<SqliteConnection, SqliteTransaction, T> work)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            Open(connection);
            T result;
            using (var transaction = connection.BeginTransaction(deferred: false))
            {
                result = work(connection, transaction);
                transaction.Commit();
            }

            RecordWrite(null);
            return result;
        }
        catch (Exception exception) when (StorageFault.Of(exception, Path) is { } fault)
        {
            Faulted(connection, fault, isWrite: true);
            throw;
        }
        finally
        {
            connection.Dispose();
        }
    }

    /// <summary>Runs <paramref name="work"/> on a connection of its own; reads see the last commit.</summary>
    public T Read<T>(Func<SqliteConnection, T> work)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            Open(connection);
            var result = work(connection);

            // SQLite opens a file it may not write read-only, and such a connection would stay so in
            // the pool after the file is writable again: keep it out.
            if (SQLitePCL.raw.sqlite3_db_readonly(connection.Handle, "main") == 1)
            {
                SqliteConnection.ClearPool(connection);
            }

            return result;
        }
        catch (Exception exception) when (StorageFault.Of(exception, Path) is { } fault)
        {
            Faulted(connection, fault, isWrite: false);
            throw;
        }
        finally
        {
            connection.Dispose();
        }
    }

    /// <summary>A real, durable write of one row: readiness proves the database takes writes with it.</summary>
    public void ProbeWrite(long now) =>
        Write((connection, transaction) => connection.Execute(
            transaction,
            "INSERT INTO write_probe (id, at) VALUES (1, $at) ON CONFLICT (id) DO UPDATE SET at = excluded.at;",
            ("$at", now)));

    private void Open(SqliteConnection connection)
    {
        connection.Open();

        // The settings stay with the SQLite connection, which the pool hands out again and again: set
        // them the first time a connection is seen, not on every read and write.
        if (!_configured.TryGetValue(connection.Handle!, out _))
        {
            connection.Execute(_connectionSettings);
            _configured.AddOrUpdate(connection.Handle!, Configured);
        }
    }

    private void Faulted(SqliteConnection connection, StorageFault fault, bool isWrite)
    {
        // Pooled connections may have met the same fault (an I/O error leaves SQLite's view of the
        // file in doubt): drop them, so the first request after the fault clears opens afresh.
        SqliteConnection.ClearPool(connection);
        if (isWrite)
        {
            RecordWrite(fault);
        }
    }

    private void RecordWrite(StorageFault? fault)
    {
        if (!ReferenceEquals(Volatile.Read(ref _writeFault), fault))
        {
            Volatile.Write(ref _writeFault, fault);
            Interlocked.Increment(ref _faultChanges);
        }
    }
}
