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
    // - busy_timeout=5000: a writer waits up to 5 s for the write lock instead of failing at once;
    //   bounded, so an overloaded server answers late rather than never.
    // - foreign_keys=ON: SQLite leaves them off by default; we rely on them for group membership.
    // - BEGIN IMMEDIATE for writes: takes the write lock up front, so two writers cannot both read
    //   and then deadlock upgrading; a busy database shows up at BEGIN, inside busy_timeout.
    private const string ConnectionSettings =
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;";

    private readonly string _connectionString;

    public Database(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 10,
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
        using (var connection = Open())
        {
            connection.Execute("PRAGMA journal_mode = WAL;");
            Migrations.Apply(connection);
        }

        tightened.AddRange(RestrictFiles());
        return tightened;
    }

    /// <summary>The database file and every file SQLite keeps beside it.</summary>
    public IEnumerable<string> Files => [Path, Path + "-wal", Path + "-shm", Path + "-journal"];

    private List<string> RestrictFiles() => Files.Where(OwnerOnly.Restrict).ToList();

    /// <summary>Runs <paramref name="work"/> in one IMMEDIATE transaction and commits it durably.</summary>
    public T Write<T>(Func<SqliteConnection, SqliteTransaction, T> work)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var result = work(connection, transaction);
        transaction.Commit();
        return result;
    }

    /// <summary>Runs <paramref name="work"/> on a connection of its own; reads see the last commit.</summary>
    public T Read<T>(Func<SqliteConnection, T> work)
    {
        using var connection = Open();
        return work(connection);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        connection.Execute(ConnectionSettings);
        return connection;
    }
}
