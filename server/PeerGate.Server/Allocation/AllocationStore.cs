using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Allocation;

/// <summary>The service entry and the (level, key) table of this instance (F6), as the operator set them.</summary>
public sealed class AllocationStore(Database database)
{
    public AllocationHop? GetServiceEntry() => database.Read(connection =>
    {
        using var command = connection.Command(null, "SELECT role, url, level FROM service_entry WHERE id = 1;");
        using var reader = command.ExecuteReader();
        return reader.Read() ? new AllocationHop { Role = reader.GetString(0), Url = reader.GetString(1), Level = reader.GetInt32(2) } : null;
    });

    public Task SetServiceEntryAsync(AllocationHop hop) => database.WriteAsync((connection, transaction) =>
        connection.Execute(
            transaction,
            "INSERT INTO service_entry (id, role, url, level) VALUES (1, @role, @url, @level) " +
            "ON CONFLICT (id) DO UPDATE SET role = excluded.role, url = excluded.url, level = excluded.level;",
            ("@role", hop.Role), ("@url", hop.Url), ("@level", hop.Level)));

    public AllocationHop? Resolve(int level, string key) => database.Read(connection =>
    {
        using var command = connection.Command(null, "SELECT role, url, next_level FROM allocation_entries WHERE level = @level AND key = @key;", ("@level", level), ("@key", key));
        using var reader = command.ExecuteReader();
        return reader.Read() ? new AllocationHop { Role = reader.GetString(0), Url = reader.GetString(1), Level = reader.GetInt32(2) } : null;
    });

    public Task SetEntryAsync(AllocationEntry entry) => database.WriteAsync((connection, transaction) =>
        connection.Execute(
            transaction,
            "INSERT INTO allocation_entries (level, key, role, url, next_level) VALUES (@level, @key, @role, @url, @next) " +
            "ON CONFLICT (level, key) DO UPDATE SET role = excluded.role, url = excluded.url, next_level = excluded.next_level;",
            ("@level", entry.Level), ("@key", entry.Key), ("@role", entry.Role), ("@url", entry.Url), ("@next", entry.NextLevel)));

    public Task<bool> DeleteEntryAsync(int level, string key) => database.WriteAsync((connection, transaction) =>
        connection.Execute(transaction, "DELETE FROM allocation_entries WHERE level = @level AND key = @key;", ("@level", level), ("@key", key)) == 1);

    public AllocationEntry[] ListEntries() => database.Read(connection =>
    {
        using var command = connection.Command(null, "SELECT level, key, role, url, next_level FROM allocation_entries ORDER BY level, key;");
        using var reader = command.ExecuteReader();
        var entries = new List<AllocationEntry>();
        while (reader.Read())
        {
            entries.Add(new AllocationEntry(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4)));
        }

        return entries.ToArray();
    });
}
