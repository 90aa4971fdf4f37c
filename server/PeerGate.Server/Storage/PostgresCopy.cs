using System.Buffers.Binary;
using System.Data.Common;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace PeerGate.Server.Storage;

/// <summary>
/// Copies a SQLite deployment into an empty PostgreSQL database and checks the copy: every table the
/// schema has, in foreign-key order, in one PostgreSQL transaction, then per table the row count and
/// an order-independent digest of the rows, computed alike on both sides. See docs/storage.md.
/// </summary>
/// <remarks>
/// The source is read in one SQLite read transaction, so the copy is the database as of one commit
/// even if a server still writes to it. Tables and columns are read from the schema, not listed here,
/// so a table a later migration adds is copied too. Values go through <see cref="Normalize"/> on both
/// sides: the digest then says the target holds what the source held, column by column, whatever
/// type each engine hands back.
/// </remarks>
public static class PostgresCopy
{
    // Where each engine keeps its own bookkeeping: SQLite's internal tables (sqlite_sequence...),
    // PostgreSQL's schema version row. Neither is data of ours.
    private const string SchemaTable = "peergate_schema";

    /// <summary>The code of a copy that failed while writing and was rolled back; every other code is a refusal.</summary>
    public const string CopyFailed = "copy_failed";

    /// <summary>One table's comparison: rows and digest on each side; a table missing on a side has -1 rows.</summary>
    public sealed record TableCheck(string Table, long SourceRows, string SourceDigest, long TargetRows, string TargetDigest)
    {
        public bool Matches => SourceRows == TargetRows && SourceDigest == TargetDigest;
    }

    /// <summary>What a run did: the source's schema version and each table's comparison, in copy order.</summary>
    public sealed record Result(int SchemaVersion, IReadOnlyList<TableCheck> Tables)
    {
        public bool Matches => Tables.All(table => table.Matches);
    }

    /// <summary>Where the target is, for messages: host, port, database and user, never the password.</summary>
    public static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"postgres://{builder.Username}@{builder.Host}:{builder.Port.ToString(CultureInfo.InvariantCulture)}/{builder.Database}";
    }

    /// <summary>Copies the SQLite database at <paramref name="sqlitePath"/> into the empty PostgreSQL database, then checks it.</summary>
    /// <exception cref="CopyException">The source or target was refused, or the copy failed; nothing was kept in the target.</exception>
    public static Result Copy(string sqlitePath, string connectionString, TimeSpan busyTimeout)
    {
        using var source = Source.Open(sqlitePath);
        using var engine = new PostgresEngine(connectionString, busyTimeout);
        using var connection = (NpgsqlConnection)OpenTarget(engine);

        // Refused before the migrations run, so a target holding data is not changed at all.
        RefuseNonEmpty(connection, null);
        try
        {
            Migrations.Apply(connection, engine);
        }
        catch (SchemaTooNewException)
        {
            throw new CopyException("target_too_new", "the target database was written by a newer PeerGate server; copy into a new, empty database");
        }

        var target = TargetSchema.Read(connection, null);
        var tables = source.TablesInForeignKeyOrder();
        target.RequireSame(tables);

        var sourceDigests = new Dictionary<string, Digest>(StringComparer.Ordinal);
        try
        {
            using (var transaction = engine.BeginWrite(connection))
            {
                // Again under the write lock: a server started on the target meanwhile has not written.
                RefuseNonEmpty(connection, transaction);
                foreach (var table in tables)
                {
                    sourceDigests[table.Name] = CopyTable(source, connection, table, target.Columns[table.Name]);
                }

                // Last, since setval is not undone by a rollback: an identity moved past a failed copy harms nothing.
                MoveIdentities(source, connection, transaction, target);
                transaction.Commit();
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or SqliteException)
        {
            throw new CopyException(CopyFailed, $"the copy failed and was rolled back, the target holds nothing of it: {exception.Message}", exception);
        }

        var checks = tables
            .Select(table => Compare(table.Name, sourceDigests[table.Name], TargetDigest(connection, table.Name, target.Columns[table.Name])))
            .ToList();
        return new Result(source.SchemaVersion, checks);
    }

    /// <summary>Compares the SQLite database with an already copied PostgreSQL one, changing neither.</summary>
    public static Result Check(string sqlitePath, string connectionString, TimeSpan busyTimeout)
    {
        using var source = Source.Open(sqlitePath);
        using var engine = new PostgresEngine(connectionString, busyTimeout);
        using var connection = (NpgsqlConnection)OpenTarget(engine);

        // One snapshot of the target too, so the two sides are each as of one commit.
        using var transaction = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        var target = TargetSchema.Read(connection, transaction);
        var checks = new List<TableCheck>();
        foreach (var table in source.TablesInForeignKeyOrder())
        {
            if (InSourceOrder(table, target) is { } columns)
            {
                checks.Add(Compare(table.Name, source.Digest(table, columns), TargetDigest(connection, table.Name, columns)));
            }
            else
            {
                // Not there, or with other columns: not comparable, so a mismatch whatever the rows are.
                checks.Add(Compare(table.Name, source.Digest(table, null), Digest.Missing));
            }
        }

        foreach (var extra in target.Columns.Keys.Where(name => checks.All(check => check.Table != name)).Order(StringComparer.Ordinal))
        {
            checks.Add(Compare(extra, Digest.Missing, TargetDigest(connection, extra, target.Columns[extra])));
        }

        return new Result(source.SchemaVersion, checks);
    }

    private static TableCheck Compare(string table, Digest source, Digest target) =>
        new(table, source.Rows, source.Text, target.Rows, target.Text);

    private static DbConnection OpenTarget(PostgresEngine engine)
    {
        try
        {
            return engine.Open();
        }
        catch (NpgsqlException exception)
        {
            throw new CopyException("target_unreachable", $"could not connect to the target: {exception.Message}", exception);
        }
    }

    private static void RefuseNonEmpty(NpgsqlConnection connection, DbTransaction? transaction)
    {
        foreach (var table in TargetSchema.Read(connection, transaction).Columns.Keys)
        {
            if (connection.Scalar(transaction, $"SELECT EXISTS (SELECT 1 FROM {Quote(table)});") is 1L)
            {
                throw new CopyException("target_not_empty", $"the target already holds rows (table {table}); copy only into a new, empty database (CREATE DATABASE ...); nothing was changed");
            }
        }
    }

    private static Digest CopyTable(Source source, NpgsqlConnection connection, SourceTable table, IReadOnlyList<TargetColumn> columns)
    {
        var types = table.Columns.Select(name => columns.First(column => column.Name == name)).ToArray();
        var digest = new Digest();
        var list = string.Join(", ", table.Columns.Select(Quote));
        using var import = connection.BeginBinaryImport($"COPY {Quote(table.Name)} ({list}) FROM STDIN (FORMAT BINARY);");
        foreach (var row in source.Rows(table))
        {
            import.StartRow();
            for (var i = 0; i < row.Length; i++)
            {
                var value = Normalize(row[i], types[i], table.Name);
                row[i] = value;
                if (value is null)
                {
                    import.WriteNull();
                }
                else
                {
                    Write(import, value, types[i]);
                }
            }

            digest.Add(row);
        }

        import.Complete();
        return digest;
    }

    private static void Write(NpgsqlBinaryImporter import, object value, TargetColumn column)
    {
        switch (column.Type)
        {
            case "bigint": import.Write((long)value, NpgsqlDbType.Bigint); break;
            case "integer": import.Write(checked((int)(long)value), NpgsqlDbType.Integer); break;
            case "smallint": import.Write(checked((short)(long)value), NpgsqlDbType.Smallint); break;
            case "boolean": import.Write((long)value != 0, NpgsqlDbType.Boolean); break;
            case "bytea": import.Write((byte[])value, NpgsqlDbType.Bytea); break;
            default: import.Write((string)value, NpgsqlDbType.Text); break;
        }
    }

    /// <summary>
    /// A value as both sides are digested: null, a long (integers and flags), a string or bytes, by
    /// the PostgreSQL column's type. A SQLite value that does not fit that type (SQLite stores any
    /// type in any column) is refused, naming the table and column, never the value.
    /// </summary>
    private static object? Normalize(object? value, TargetColumn column, string table) => (value, column.Type) switch
    {
        (null or DBNull, _) => null,
        (long or int or short, "bigint" or "integer" or "smallint" or "boolean") => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        (bool flag, _) => flag ? 1L : 0L,
        (byte[] bytes, "bytea") => bytes,
        (string text, "text" or "character varying") => text,
        _ => throw new CopyException("source_value_unfit", $"a value in {table}.{column.Name} is not a {column.Type}; correct the row in SQLite and copy again"),
    };

    private static void MoveIdentities(Source source, NpgsqlConnection connection, DbTransaction transaction, TargetSchema target)
    {
        var autoincrement = source.AutoincrementCounters();
        foreach (var (table, columns) in target.Columns)
        {
            foreach (var column in columns.Where(column => column.Generated))
            {
                var highest = Convert.ToInt64(connection.Scalar(transaction, $"SELECT coalesce(max({Quote(column.Name)}), 0) FROM {Quote(table)};") ?? 0L, CultureInfo.InvariantCulture);

                // AUTOINCREMENT never gives out an id again, even a deleted row's: nor does the copy.
                highest = Math.Max(highest, autoincrement.GetValueOrDefault(table));
                if (highest > 0)
                {
                    connection.Execute(
                        transaction,
                        "SELECT setval(pg_get_serial_sequence(@table, @column), @highest);",
                        ("@table", Quote(table)),
                        ("@column", column.Name),
                        ("@highest", highest));
                }
            }
        }
    }

    private static Digest TargetDigest(NpgsqlConnection connection, string table, IReadOnlyList<TargetColumn> columns)
    {
        var digest = new Digest();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {string.Join(", ", columns.Select(column => Quote(column.Name)))} FROM {Quote(table)};";
        using var reader = command.ExecuteReader();
        var row = new object?[columns.Count];
        while (reader.Read())
        {
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = Normalize(reader.GetValue(i), columns[i], table);
            }

            digest.Add(row);
        }

        return digest;
    }

    /// <summary>The target's columns of <paramref name="table"/> in the source's order, or null when the target has not the same ones.</summary>
    private static List<TargetColumn>? InSourceOrder(SourceTable table, TargetSchema target)
    {
        if (!target.Columns.TryGetValue(table.Name, out var columns) || columns.Count != table.Columns.Count)
        {
            return null;
        }

        var ordered = table.Columns.Select(name => columns.FirstOrDefault(column => column.Name == name)).OfType<TargetColumn>().ToList();
        return ordered.Count == table.Columns.Count ? ordered : null;
    }

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A table as SQLite's schema has it: its columns in their order, and the tables it refers to.</summary>
    private sealed record SourceTable(string Name, IReadOnlyList<string> Columns, IReadOnlyList<string> References);

    private sealed record TargetColumn(string Name, string Type, bool Generated);

    /// <summary>The target's tables (without the schema version's) and their columns in the source's column order.</summary>
    private sealed class TargetSchema
    {
        public Dictionary<string, List<TargetColumn>> Columns { get; } = new(StringComparer.Ordinal);

        public static TargetSchema Read(NpgsqlConnection connection, DbTransaction? transaction)
        {
            var schema = new TargetSchema();
            using var command = connection.CreateCommand();
            command.Transaction = (NpgsqlTransaction?)transaction;
            command.CommandText = """
                SELECT c.table_name, c.column_name, c.data_type, (c.is_identity = 'YES' OR coalesce(c.column_default, '') LIKE 'nextval(%') AS generated
                FROM information_schema.columns c
                JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> @schema
                ORDER BY c.table_name, c.ordinal_position;
                """;
            command.Parameters.AddWithValue("schema", SchemaTable);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var table = reader.GetString(0);
                if (!schema.Columns.TryGetValue(table, out var columns))
                {
                    schema.Columns[table] = columns = [];
                }

                columns.Add(new TargetColumn(reader.GetString(1), reader.GetString(2), reader.GetBoolean(3)));
            }

            return schema;
        }

        /// <summary>The migrated target must have exactly the source's tables and columns: both are at the same version.</summary>
        public void RequireSame(IReadOnlyList<SourceTable> tables)
        {
            var names = tables.Select(table => table.Name).ToHashSet(StringComparer.Ordinal);
            var differing = tables
                .Where(table => !Columns.TryGetValue(table.Name, out var columns) || !table.Columns.Order(StringComparer.Ordinal).SequenceEqual(columns.Select(column => column.Name).Order(StringComparer.Ordinal), StringComparer.Ordinal))
                .Select(table => table.Name)
                .Concat(Columns.Keys.Where(name => !names.Contains(name)))
                .ToList();
            if (differing.Count > 0)
            {
                throw new CopyException("schema_differs", $"the target's tables differ from the source's after the migrations ({string.Join(", ", differing)}); nothing was copied");
            }

            // Read back in the source's column order, so both digests see the same sequence.
            foreach (var table in tables)
            {
                Columns[table.Name] = [.. table.Columns.Select(name => Columns[table.Name].First(column => column.Name == name))];
            }
        }
    }

    /// <summary>The SQLite source, read-only, inside one read transaction held until disposed.</summary>
    private sealed class Source : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteTransaction _snapshot;

        private Source(SqliteConnection connection, SqliteTransaction snapshot, int schemaVersion)
        {
            _connection = connection;
            _snapshot = snapshot;
            SchemaVersion = schemaVersion;
        }

        public int SchemaVersion { get; }

        public static Source Open(string path)
        {
            var full = System.IO.Path.GetFullPath(path);
            if (!File.Exists(full))
            {
                throw new CopyException("source_missing", $"there is no database at {full}; set PeerGate:DataDirectory (or PeerGate:DatabasePath) as the server has it");
            }

            var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            try
            {
                connection.Open();
                var snapshot = connection.BeginTransaction(deferred: true);

                // The first read starts the snapshot: every later read sees the database as of now.
                connection.Scalar(snapshot, "SELECT count(*) FROM sqlite_master;");
                var version = Convert.ToInt32(connection.Scalar(snapshot, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
                if (version < Migrations.Version)
                {
                    throw new CopyException("source_out_of_date", $"the database {full} has schema version {version}, older than this server's {Migrations.Version}; start this server on it once so it upgrades the schema, stop it, then copy");
                }

                if (version > Migrations.Version)
                {
                    throw new CopyException("source_too_new", $"the database {full} has schema version {version}, newer than this server's {Migrations.Version}; copy it with the server version that wrote it");
                }

                return new Source(connection, snapshot, version);
            }
            catch (SqliteException exception)
            {
                connection.Dispose();
                throw new CopyException("source_unreadable", $"SQLite could not read {full}: {exception.Message}", exception);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        /// <summary>Every table of ours, each after the tables it refers to (ties by name, so the order is stable).</summary>
        public IReadOnlyList<SourceTable> TablesInForeignKeyOrder()
        {
            var names = new List<string>();
            using (var command = Command("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name;"))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    names.Add(reader.GetString(0));
                }
            }

            var tables = names.ToDictionary(name => name, name => new SourceTable(name, Strings($"SELECT name FROM pragma_table_info(@table) ORDER BY cid;", name), Strings("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(@table);", name)), StringComparer.Ordinal);
            var ordered = new List<SourceTable>();
            var visiting = new HashSet<string>(StringComparer.Ordinal);
            var done = new HashSet<string>(StringComparer.Ordinal);
            void Visit(string name)
            {
                if (done.Contains(name) || !tables.TryGetValue(name, out var table) || !visiting.Add(name))
                {
                    return; // already placed, not ours, or a cycle (a table referring to itself)
                }

                foreach (var reference in table.References)
                {
                    Visit(reference);
                }

                done.Add(name);
                ordered.Add(table);
            }

            foreach (var name in names)
            {
                Visit(name);
            }

            return ordered;
        }

        public IEnumerable<object?[]> Rows(SourceTable table)
        {
            using var command = Command($"SELECT {string.Join(", ", table.Columns.Select(Quote))} FROM {Quote(table.Name)};");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var row = new object?[table.Columns.Count];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                yield return row;
            }
        }

        /// <summary>
        /// The source side's digest, each value normalized for the target column as the copy writes it
        /// (or as SQLite gives it when there is no such column), so a checked copy digests alike on both sides.
        /// </summary>
        public Digest Digest(SourceTable table, IReadOnlyList<TargetColumn>? columns)
        {
            var digest = new Digest();
            foreach (var row in Rows(table))
            {
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = columns is null ? row[i] : Normalize(row[i], columns[i], table.Name);
                }

                digest.Add(row);
            }

            return digest;
        }

        /// <summary>AUTOINCREMENT's highest id ever given, per table (sqlite_sequence, when any table has one).</summary>
        public Dictionary<string, long> AutoincrementCounters()
        {
            var counters = new Dictionary<string, long>(StringComparer.Ordinal);
            if (Convert.ToInt64(_connection.Scalar(_snapshot, "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence';"), CultureInfo.InvariantCulture) == 0)
            {
                return counters;
            }

            using var command = Command("SELECT name, seq FROM sqlite_sequence;");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                counters[reader.GetString(0)] = reader.GetInt64(1);
            }

            return counters;
        }

        public void Dispose()
        {
            _snapshot.Dispose();
            _connection.Dispose();
        }

        private List<string> Strings(string sql, string table)
        {
            using var command = Command(sql);
            command.Parameters.AddWithValue("@table", table);
            using var reader = command.ExecuteReader();
            var values = new List<string>();
            while (reader.Read())
            {
                values.Add(reader.GetString(0));
            }

            return values;
        }

        private SqliteCommand Command(string sql)
        {
            var command = _connection.CreateCommand();
            command.Transaction = _snapshot;
            command.CommandText = sql;
            return command;
        }
    }

    /// <summary>
    /// Rows and a multiset digest: the sum, modulo 2^256, of each row's SHA-256 over its values with
    /// their kinds and lengths, so the order rows are read in does not matter and no two different
    /// rows encode alike.
    /// </summary>
    private sealed class Digest
    {
        public static readonly Digest Missing = new() { Rows = -1 };

        private static readonly BigInteger Modulus = BigInteger.One << 256;

        private BigInteger _sum;

        public long Rows { get; private set; }

        public string Text => Rows < 0 ? "-" : _sum.ToString("x64", CultureInfo.InvariantCulture)[^16..];

        public void Add(object?[] row)
        {
            using var buffer = new MemoryStream();
            Span<byte> number = stackalloc byte[8];
            foreach (var value in row)
            {
                byte[] bytes;
                switch (value)
                {
                    case null: buffer.WriteByte(0); continue;
                    case long integer:
                        buffer.WriteByte(1);
                        BinaryPrimitives.WriteInt64LittleEndian(number, integer);
                        buffer.Write(number);
                        continue;
                    case byte[] blob: buffer.WriteByte(3); bytes = blob; break;
                    default: buffer.WriteByte(2); bytes = Encoding.UTF8.GetBytes(Convert.ToString(value, CultureInfo.InvariantCulture)!); break;
                }

                BinaryPrimitives.WriteInt64LittleEndian(number, bytes.Length);
                buffer.Write(number);
                buffer.Write(bytes);
            }

            _sum = (_sum + new BigInteger(SHA256.HashData(buffer.ToArray()), isUnsigned: true)) % Modulus;
            Rows++;
        }
    }
}

/// <summary>A copy or check refused or failed: a stable code, and a message naming no password.</summary>
public sealed class CopyException : Exception
{
    public CopyException(string code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
    }

    public string Code { get; }
}
