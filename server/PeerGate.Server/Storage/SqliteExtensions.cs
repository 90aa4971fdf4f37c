using Microsoft.Data.Sqlite;

namespace PeerGate.Server.Storage;

/// <summary>Short forms for parameterized commands, so the stores read as SQL.</summary>
public static class SqliteExtensions
{
    /// <summary>
    /// A command for <paramref name="sql"/> with <paramref name="parameters"/>; on a connection of
    /// <see cref="Database"/> it comes prepared from the connection's <see cref="StatementCache"/>, and
    /// disposing it gives it back.
    /// </summary>
    public static SqliteCommand Command(this SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = StatementCache.Of(connection)?.Rent(sql) ?? connection.CreateCommand();
        try
        {
            command.Transaction = transaction;
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            }

            return command;
        }
        catch
        {
            command.Dispose();
            throw;
        }
    }

    public static int Execute(this SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters) =>
        connection.Execute(null, sql, parameters);

    public static int Execute(this SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.Command(transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    public static object? Scalar(this SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.Command(transaction, sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    public static string? GetStringOrNull(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static byte[]? GetBytesOrNull(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : (byte[])reader.GetValue(ordinal);
}
