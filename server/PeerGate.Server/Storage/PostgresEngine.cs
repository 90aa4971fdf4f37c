using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace PeerGate.Server.Storage;

/// <summary>
/// PostgreSQL through Npgsql: the database a connection string names (PeerGate:Storage:ConnectionString).
/// The same schema and SQL as SQLite; the differences are here.
/// </summary>
public sealed partial class PostgresEngine : StorageEngine
{
    /// <summary>
    /// The advisory lock every write transaction takes first, so writes are serialised across every
    /// server instance on the database exactly as SQLite's one write lock (BEGIN IMMEDIATE) serialises
    /// them: the stores read, decide and write in one transaction and rely on no other write coming
    /// between (a counter read then raised, a cap counted then filled). Under READ COMMITTED each
    /// statement after the lock sees every commit made before it, so a batch behaves as if it ran
    /// alone. Readers take no lock.
    /// </summary>
    public const long WriteLockKey = 0x5065657247617465; // "PeerGate"

    private static readonly string TakeWriteLock = $"SELECT pg_advisory_xact_lock({WriteLockKey.ToString(CultureInfo.InvariantCulture)});";

    private readonly NpgsqlDataSource _dataSource;

    // Unpooled: a connection that listened must not go back to the pool, where (with no reset on
    // close) it would go on receiving every notification.
    private readonly NpgsqlDataSource _listenerSource;

    public PostgresEngine(string connectionString, TimeSpan busyTimeout)
    {
        var busyMilliseconds = (long)Math.Clamp(busyTimeout.TotalMilliseconds, 1, int.MaxValue);
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // The password is used to connect and then forgotten: no connection string read back
            // from a connection (a log line, an exception) carries it.
            PersistSecurityInfo = false,

            // Npgsql prepares a statement on a physical connection once it ran twice: the same saving
            // as SQLite's StatementCache, kept by Npgsql per pooled connection.
            MaxAutoPrepare = 256,
            AutoPrepareMinUsages = 2,

            // Sessions change no state of their own, so a connection back in the pool needs no
            // DISCARD ALL (one more round trip, and the end of its prepared statements).
            NoResetOnClose = true,

            // Durable before answering (synchronous_commit=on, whatever the server's default), and a
            // write lock held by another instance waited for as long as SQLite's busy_timeout.
            Options = $"-c synchronous_commit=on -c lock_timeout={busyMilliseconds.ToString(CultureInfo.InvariantCulture)}",
            CommandTimeout = (int)Math.Max(1, Math.Ceiling(busyMilliseconds / 1000.0)) + 30,
        };
        Location = $"postgres://{builder.Host}:{builder.Port.ToString(CultureInfo.InvariantCulture)}/{builder.Database}";
        _dataSource = NpgsqlDataSource.Create(builder);
        _listenerSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Pooling = false });
    }

    public override string Name => Postgres;

    public override string Location { get; }

    public override IReadOnlyList<string> Prepare() => [];

    public override bool KeepsIdleReaders => false;

    public override void Dispose()
    {
        _dataSource.Dispose();
        _listenerSource.Dispose();
    }

    public override DbConnection Open() => _dataSource.OpenConnection();

    /// <summary>A pooled connection, for what is not a store's read or write (the cluster bus sending).</summary>
    public ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken) => _dataSource.OpenConnectionAsync(cancellationToken);

    /// <summary>A connection of its own, not opened yet, for LISTEN (the cluster bus receiving).</summary>
    public NpgsqlConnection CreateListenerConnection() => _listenerSource.CreateConnection();

    public override DbTransaction BeginWrite(DbConnection connection)
    {
        var transaction = connection.BeginTransaction(IsolationLevel.ReadCommitted);
        try
        {
            connection.Execute(transaction, TakeWriteLock);
            return transaction;
        }
        catch
        {
            transaction.Dispose();
            throw;
        }
    }

    // A failed statement leaves the transaction open (aborted until a ROLLBACK TO), which the
    // writer's savepoints undo; only a broken connection loses it.
    public override bool TransactionLost(DbConnection connection) => connection.State != ConnectionState.Open;

    public override bool Reusable(DbConnection connection) => connection.State == ConnectionState.Open;

    // Created here, under the write lock, so instances starting together do not race to make it.
    public override int SchemaVersion(DbConnection connection, DbTransaction transaction)
    {
        connection.Execute(transaction, "CREATE TABLE IF NOT EXISTS peergate_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);");
        return Convert.ToInt32(connection.Scalar(transaction, "SELECT coalesce(max(version), 0) FROM peergate_schema;"), CultureInfo.InvariantCulture);
    }

    public override void SetSchemaVersion(DbConnection connection, DbTransaction transaction, int version) =>
        connection.Execute(
            transaction,
            "INSERT INTO peergate_schema (id, version) VALUES (1, @version) ON CONFLICT (id) DO UPDATE SET version = excluded.version;",
            ("@version", version));

    /// <summary>
    /// SQLite's JSON functions the stores use, for text holding a JSON array, under the same names
    /// (PostgreSQL's own take json, so these overloads on text do not clash with them).
    /// </summary>
    public override void BeforeMigrations(DbConnection connection, DbTransaction transaction) =>
        connection.Execute(
            transaction,
            """
            CREATE OR REPLACE FUNCTION json_each(items text) RETURNS TABLE (value text)
                LANGUAGE sql IMMUTABLE AS 'SELECT json_array_elements_text(items::json)';
            CREATE OR REPLACE FUNCTION json_array_length(items text) RETURNS integer
                LANGUAGE sql IMMUTABLE AS 'SELECT json_array_length(items::json)';
            -- Only the '$.Member' paths the stores use.
            CREATE OR REPLACE FUNCTION json_extract(document text, path text) RETURNS text
                LANGUAGE sql IMMUTABLE AS 'SELECT document::json ->> substr(path, 3)';
            CREATE OR REPLACE FUNCTION peergate_json_array(items text[]) RETURNS text
                LANGUAGE sql IMMUTABLE AS 'SELECT array_to_json(items)::text';
            CREATE OR REPLACE AGGREGATE json_group_array(text) (
                SFUNC = array_append, STYPE = text[], FINALFUNC = peergate_json_array, INITCOND = '{}');
            """);

    /// <summary>
    /// The step's PostgreSQL text when it has one (a SQLite-only construct), else its SQLite text with
    /// SQLite's types and rowid keys said the PostgreSQL way.
    /// </summary>
    public override string Ddl(MigrationStep step) => step.Postgres ?? Translate(step.Sql);

    /// <summary>
    /// SQLite's INTEGER is 64-bit and an INTEGER PRIMARY KEY is filled in when a row gives none: BIGINT,
    /// and an identity for the key. BLOB is BYTEA. TEXT compares byte by byte as SQLite's BINARY
    /// collation does (COLLATE "C"), whatever the database's locale, so orders and cursors agree.
    /// INSERT OR IGNORE is INSERT ... ON CONFLICT DO NOTHING.
    /// </summary>
    public static string Translate(string sql)
    {
        sql = RowidKey().Replace(sql, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
        sql = Integer().Replace(sql, "BIGINT");
        sql = Blob().Replace(sql, "BYTEA");
        sql = Text().Replace(sql, "TEXT COLLATE \"C\"");
        return InsertOrIgnore().Replace(sql, "INSERT $1 ON CONFLICT DO NOTHING;");
    }

    [GeneratedRegex(@"\bINTEGER PRIMARY KEY( AUTOINCREMENT)?\b")]
    private static partial Regex RowidKey();

    [GeneratedRegex(@"\bINTEGER\b")]
    private static partial Regex Integer();

    [GeneratedRegex(@"\bBLOB\b")]
    private static partial Regex Blob();

    [GeneratedRegex(@"\bTEXT\b")]
    private static partial Regex Text();

    [GeneratedRegex(@"\bINSERT OR IGNORE (INTO[^;]*);")]
    private static partial Regex InsertOrIgnore();
}
