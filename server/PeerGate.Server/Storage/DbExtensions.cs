using System.Data.Common;

namespace PeerGate.Server.Storage;

/// <summary>
/// Short forms for parameterized commands, so the stores read as SQL. The same on both engines:
/// parameters are written <c>@name</c>, which Microsoft.Data.Sqlite and Npgsql both accept.
/// </summary>
public static class DbExtensions
{
    /// <summary>
    /// A command for <paramref name="sql"/> with <paramref name="parameters"/>; on a connection of
    /// <see cref="Database"/> it comes prepared from the connection's <see cref="StatementCache"/>, and
    /// disposing it gives it back.
    /// </summary>
    /// <remarks>
    /// A bool is bound as the integer 0 or 1, as SQLite stores it and as the schema keeps flags on
    /// both engines (a PostgreSQL boolean would not compare with the BIGINT columns).
    /// </remarks>
    public static DbCommand Command(this DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = StatementCache.Of(connection)?.Rent(sql) ?? connection.CreateCommand();
        try
        {
            command.Transaction = transaction;
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = value switch
                {
                    null => DBNull.Value,
                    bool flag => flag ? 1L : 0L,
                    _ => value,
                };
                command.Parameters.Add(parameter);
            }

            return command;
        }
        catch
        {
            command.Dispose();
            throw;
        }
    }

    public static int Execute(this DbConnection connection, string sql, params (string Name, object? Value)[] parameters) =>
        connection.Execute(null, sql, parameters);

    public static int Execute(this DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.Command(transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>The first column of the first row, or null; integers and flags come back as long on both engines.</summary>
    public static object? Scalar(this DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.Command(transaction, sql, parameters);
        return command.ExecuteScalar() switch
        {
            DBNull => null,
            int value => (long)value,
            short value => (long)value,
            bool value => value ? 1L : 0L,
            var value => value,
        };
    }

    /// <summary>
    /// Runs <paramref name="sql"/> under a savepoint and returns false when it broke a uniqueness
    /// constraint, with the transaction still usable: PostgreSQL aborts a transaction at any failed
    /// statement unless it is rolled back to a savepoint; SQLite would go on without one.
    /// </summary>
    public static bool ExecuteUnlessDuplicate(this DbConnection connection, DbTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        connection.Execute(transaction, "SAVEPOINT unless_duplicate;");
        try
        {
            connection.Execute(transaction, sql, parameters);
        }
        catch (DbException exception) when (StorageEngine.IsUniqueViolation(exception))
        {
            connection.Execute(transaction, "ROLLBACK TO unless_duplicate; RELEASE unless_duplicate;");
            return false;
        }

        connection.Execute(transaction, "RELEASE unless_duplicate;");
        return true;
    }

    /// <summary>A flag: an integer column (0 or 1), or a condition, which PostgreSQL gives as a boolean.</summary>
    public static bool GetFlag(this DbDataReader reader, int ordinal) => reader.GetValue(ordinal) switch
    {
        bool flag => flag,
        var value => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) != 0,
    };

    public static string? GetStringOrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static byte[]? GetBytesOrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : (byte[])reader.GetValue(ordinal);
}
