using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace PeerGate.Server.Storage;

/// <summary>
/// What differs between the database engines behind <see cref="Database"/>: opening a connection with
/// its settings, starting the write transaction, the schema version's bookkeeping, the DDL of a
/// migration step and what a failure means. Everything else (the one writer with group commit, the
/// readers, the stores' SQL) is the same on both; see docs/storage.md.
/// </summary>
public abstract class StorageEngine : IDisposable
{
    public const string Sqlite = "sqlite";

    public const string Postgres = "postgres";

    /// <summary><see cref="Sqlite"/> or <see cref="Postgres"/>, as PeerGate:Storage:Engine names it.</summary>
    public abstract string Name { get; }

    /// <summary>Where the data is, for logs and messages: a file, or host and database (never a password).</summary>
    public abstract string Location { get; }

    /// <summary>The database file, or null when the engine keeps no file of ours (PostgreSQL).</summary>
    public virtual string? FilePath => null;

    /// <summary>The files of the database, for owner-only modes; none on PostgreSQL.</summary>
    public virtual IEnumerable<string> Files => [];

    /// <summary>The engine <paramref name="options"/> choose: PeerGate:Storage:Engine, SQLite by default.</summary>
    public static StorageEngine FromOptions(ServerOptions options) => options.StorageEngine switch
    {
        Postgres => new PostgresEngine(options.StorageConnectionString!, options.BusyTimeout),
        _ => new SqliteEngine(PeerGateServer.DatabasePathOf(options), options.BusyTimeout),
    };

    /// <summary>Before the schema is migrated: creates what must exist first; returns files whose modes were tightened.</summary>
    public abstract IReadOnlyList<string> Prepare();

    /// <summary>An open connection with this engine's session settings.</summary>
    public abstract DbConnection Open();

    /// <summary>As <see cref="Open"/>, for a connection <see cref="Database"/> keeps open and reuses.</summary>
    public virtual DbConnection OpenKept() => Open();

    /// <summary>
    /// Whether <see cref="Database"/> keeps idle read connections open itself (SQLite: with their
    /// prepared statements), or returns each to the provider's pool (PostgreSQL: Npgsql pools them and
    /// keeps their prepared statements).
    /// </summary>
    public virtual bool KeepsIdleReaders => true;

    /// <summary>Closes a connection from <see cref="Open"/> or <see cref="OpenKept"/>.</summary>
    public virtual void Close(DbConnection connection) => connection.Dispose();

    /// <summary>Starts a write transaction that holds the database's one write lock from its first statement.</summary>
    public abstract DbTransaction BeginWrite(DbConnection connection);

    /// <summary>True when the connection's transaction has ended under it (rolled back by the engine).</summary>
    public abstract bool TransactionLost(DbConnection connection);

    /// <summary>False when a connection must not be kept for the next read.</summary>
    public abstract bool Reusable(DbConnection connection);

    /// <summary>The number of migration steps applied, inside the migration's write transaction.</summary>
    public abstract int SchemaVersion(DbConnection connection, DbTransaction transaction);

    public abstract void SetSchemaVersion(DbConnection connection, DbTransaction transaction, int version);

    /// <summary>Run before the steps, in their transaction: functions the steps or the stores call.</summary>
    public abstract void BeforeMigrations(DbConnection connection, DbTransaction transaction);

    /// <summary>A migration step's DDL as this engine runs it.</summary>
    public abstract string Ddl(MigrationStep step);

    /// <summary>Closes what the engine holds beyond its connections (PostgreSQL's pool).</summary>
    public virtual void Dispose()
    {
    }

    /// <summary>
    /// A uniqueness (or other constraint) violation: SQLite's SQLITE_CONSTRAINT (19), PostgreSQL's
    /// unique_violation (SQLSTATE 23505).
    /// </summary>
    public static bool IsUniqueViolation(Exception exception) => exception switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode == 19,
        PostgresException postgres => postgres.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };
}
