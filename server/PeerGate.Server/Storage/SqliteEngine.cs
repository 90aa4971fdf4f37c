using System.Data.Common;
using Microsoft.Data.Sqlite;
using PeerGate.Protocol;

namespace PeerGate.Server.Storage;

/// <summary>SQLite, the default: one file (and its WAL) in the data directory.</summary>
public sealed class SqliteEngine : StorageEngine
{
    // Why each setting:
    // - journal_mode=WAL (persistent, set once): readers never block the writer and the writer never
    //   blocks readers, which suits many devices reading the registry while a few register.
    // - synchronous=FULL (per connection): with WAL, NORMAL can lose the last commits on power loss
    //   (the WAL is synced only at checkpoints). FULL syncs the WAL on every commit, so an answer of
    //   "registered" means the row survives kill -9 and power loss. Group commit (Database) makes that
    //   one fsync per batch of writes, not per write.
    // - busy_timeout (PeerGate:BusyTimeoutMilliseconds, default 5000): the writer waits that long for a
    //   write lock held by another process (a backup, an operator's sqlite3) instead of failing at
    //   once; bounded, so an overloaded server answers late rather than never, and then 503
    //   storage_busy. Microsoft.Data.Sqlite retries a busy statement on its own until the command
    //   timeout, so that is set to the same bound (in whole seconds).
    // - foreign_keys=ON: SQLite leaves them off by default; we rely on them for group membership.
    // - BEGIN IMMEDIATE for writes: takes the write lock up front; a database locked by another
    //   process shows up at BEGIN, inside busy_timeout.
    // - secure_delete=ON: a deleted row's bytes are overwritten with zeros in the page, so a session
    //   offer's key and password leave the file with the row instead of lingering in free space.
    // - cache_size=-512 (512 KiB, per connection): every connection keeps its own page cache; WAL
    //   readers discard it whenever another connection commits, which here is all the time, so a
    //   larger cache buys little. The OS page cache still holds the whole file.
    private const int StatementCacheSize = 256;

    private readonly string _connectionString;
    private readonly string _connectionSettings;

    public SqliteEngine(string path, TimeSpan busyTimeout)
    {
        Path = System.IO.Path.GetFullPath(path);
        var busyMilliseconds = (int)Math.Clamp(busyTimeout.TotalMilliseconds, 0, int.MaxValue);
        _connectionSettings = $"PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; PRAGMA busy_timeout = {busyMilliseconds}; PRAGMA cache_size = -512;";

        // Not pooled by Microsoft.Data.Sqlite: the writer's connection and the idle readers stay
        // open in Database, with their prepared statements, which a pooled close would finalize.
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(busyMilliseconds / 1000.0)),
        }.ToString();
    }

    public string Path { get; }

    public override string Name => Sqlite;

    public override string Location => Path;

    public override string? FilePath => Path;

    /// <summary>The database file and every file SQLite keeps beside it.</summary>
    public override IEnumerable<string> Files => [Path, Path + "-wal", Path + "-shm", Path + "-journal"];

    public override IReadOnlyList<string> Prepare()
    {
        // SQLite gives -wal, -shm and -journal the database file's mode, so a database created
        // private keeps every file of it private; one made by an older version is tightened here.
        OwnerOnly.CreateFile(Path);
        var tightened = Files.Where(OwnerOnly.Restrict).ToList();
        using (var connection = Open())
        {
            connection.Execute("PRAGMA journal_mode = WAL;");
        }

        tightened.AddRange(Files.Where(OwnerOnly.Restrict));
        return tightened;
    }

    public override DbConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            connection.Execute(_connectionSettings);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public override DbConnection OpenKept()
    {
        var connection = (SqliteConnection)Open();
        StatementCache.Attach(connection, StatementCacheSize);
        return connection;
    }

    public override void Close(DbConnection connection)
    {
        StatementCache.Of(connection)?.Dispose();
        connection.Dispose();
    }

    public override DbTransaction BeginWrite(DbConnection connection) =>
        ((SqliteConnection)connection).BeginTransaction(deferred: false);

    public override bool TransactionLost(DbConnection connection) =>
        SQLitePCL.raw.sqlite3_get_autocommit(((SqliteConnection)connection).Handle) != 0;

    // SQLite opens a file it may not write read-only, and such a connection would stay so after the
    // file is writable again: keep it out.
    public override bool Reusable(DbConnection connection) =>
        SQLitePCL.raw.sqlite3_db_readonly(((SqliteConnection)connection).Handle, "main") != 1;

    public override int SchemaVersion(DbConnection connection, DbTransaction transaction) =>
        Convert.ToInt32(connection.Scalar(transaction, "PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture);

    // PRAGMA takes no parameters; the value is our own count.
    public override void SetSchemaVersion(DbConnection connection, DbTransaction transaction, int version) =>
        connection.Execute(transaction, $"PRAGMA user_version = {version};");

    // Step 7 checks stored names with the same syntax as every request (DeviceNames.IsValid).
    public override void BeforeMigrations(DbConnection connection, DbTransaction transaction) =>
        ((SqliteConnection)connection).CreateFunction("peergate_device_name", (string? name) => DeviceNames.IsValid(name!), isDeterministic: true);

    public override string Ddl(MigrationStep step) => step.Sql;
}
