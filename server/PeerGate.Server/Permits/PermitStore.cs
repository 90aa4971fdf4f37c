using System.Text.Json;
using System.Data.Common;
using PeerGate.Protocol;
using PeerGate.Server.Identity;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Permits;

/// <summary>Permit tables and connection policies (F14, F16), and the question every gate asks: who names whom.</summary>
public sealed class PermitStore(Database database)
{
    // The order SQLite's ORDER BY gives: byte-wise, kind then value.
    private static readonly Comparer<(string Kind, string Value)> EntryOrder = Comparer<(string Kind, string Value)>.Create((a, b) =>
    {
        var kind = string.CompareOrdinal(a.Kind, b.Kind);
        return kind != 0 ? kind : string.CompareOrdinal(a.Value, b.Value);
    });

    public PermitTable Table(string terminalId) => database.Read(connection => new PermitTable
    {
        Entries = ReadEntries(connection, null, terminalId),
        UniformDenial = UniformDenial(connection, terminalId),
        DeviceHeld = DeviceHeld(connection, terminalId),
    });

    public bool UniformDenial(string terminalId) => database.Read(connection => UniformDenial(connection, terminalId));

    /// <summary>True when the terminal keeps its permit list itself and is asked at each connection (F15).</summary>
    public bool DeviceHeld(string terminalId) => database.Read(connection => DeviceHeld(connection, terminalId));

    /// <summary>
    /// Applies validated operations in order, in one IMMEDIATE transaction: all of them, or (when the
    /// result would exceed <see cref="PermitRules.MaxEntries"/>) none. Adding a present entry and
    /// deleting an absent one change nothing, so a device can safely repeat a request it got no answer to.
    /// </summary>
    public Task<PermitEntry[]> ApplyAsync(string terminalId, PermitOperation[] operations) => database.WriteAsync((connection, transaction) =>
    {
        var table = new SortedSet<(string Kind, string Value)>(ReadEntries(connection, transaction, terminalId).Select(e => (e.Kind, e.Value)), EntryOrder);
        for (var index = 0; index < operations.Length; index++)
        {
            var entries = (operations[index].Entries ?? []).Select(e => (e.Kind, e.Value));
            switch (operations[index].Op)
            {
                case PermitOps.Create:
                    table.Clear();
                    table.UnionWith(entries);
                    break;
                case PermitOps.Add:
                    table.UnionWith(entries);
                    break;
                default:
                    table.ExceptWith(entries);
                    break;
            }

            if (table.Count > PermitRules.MaxEntries)
            {
                throw PermitRules.Invalid($"Operation {index} ({operations[index].Op}) would grow the table past {PermitRules.MaxEntries} entries.");
            }
        }

        connection.Execute(transaction, "DELETE FROM permits WHERE terminal_id = @terminal;", ("@terminal", terminalId));
        foreach (var (kind, value) in table)
        {
            connection.Execute(
                transaction,
                "INSERT INTO permits (terminal_id, kind, value) VALUES (@terminal, @kind, @value);",
                ("@terminal", terminalId), ("@kind", kind), ("@value", value));
        }

        return table.Select(e => new PermitEntry { Kind = e.Kind, Value = e.Value }).ToArray();
    });

    public Task SetPolicyAsync(string terminalId, ConnectionPolicy policy) => database.WriteAsync((connection, transaction) => connection.Execute(
        transaction,
        "INSERT INTO permit_policies (terminal_id, uniform_denial, device_held) VALUES (@terminal, @uniform, @held) " +
        "ON CONFLICT (terminal_id) DO UPDATE SET uniform_denial = excluded.uniform_denial, device_held = excluded.device_held;",
        ("@terminal", terminalId), ("@uniform", policy.UniformDenial ? 1 : 0), ("@held", policy.DeviceHeld ? 1 : 0)));

    /// <summary>
    /// The terminals whose permit table names <paramref name="asker"/> (only <paramref name="target"/>
    /// when given): by its Terminal ID, one of its groups (only where both were certified by the same
    /// issuer, as for group visibility), or the device name bound to its device: a name entry reaches
    /// the name's owner only, however the string was spelled or who else sent it.
    /// </summary>
    public HashSet<string> TerminalsNaming(CertificatePayload asker, string? target = null) => database.Read(connection =>
    {
        using var command = connection.Command(
            null,
            """
            SELECT DISTINCT p.terminal_id FROM permits p
            WHERE (CAST(@target AS TEXT) IS NULL OR p.terminal_id = @target) AND (
                (p.kind = 'terminal' AND p.value = @terminal)
                OR (p.kind = 'name' AND lower(p.value) IN (SELECT name_key FROM device_names WHERE state = 'bound' AND issuer = @issuer AND device_id = @device))
                OR (p.kind = 'group' AND p.value IN (SELECT value FROM json_each(@groups))
                    AND EXISTS (SELECT 1 FROM registrations r WHERE r.terminal_id = p.terminal_id AND r.issuer = @issuer)));
            """,
            ("@target", target), ("@terminal", asker.TerminalId), ("@issuer", asker.Issuer), ("@device", asker.DeviceId),
            ("@groups", JsonSerializer.Serialize(asker.Groups)));
        using var reader = command.ExecuteReader();
        var terminals = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            terminals.Add(reader.GetString(0));
        }

        return terminals;
    });

    /// <summary>True when <paramref name="terminalId"/>'s table names <paramref name="caller"/>.</summary>
    public bool Permits(string terminalId, CertificatePayload caller) => TerminalsNaming(caller, terminalId).Count > 0;

    private static bool UniformDenial(DbConnection connection, string terminalId) =>
        connection.Scalar(null, "SELECT uniform_denial FROM permit_policies WHERE terminal_id = @terminal;", ("@terminal", terminalId)) is long flag && flag != 0;

    private static bool DeviceHeld(DbConnection connection, string terminalId) =>
        connection.Scalar(null, "SELECT device_held FROM permit_policies WHERE terminal_id = @terminal;", ("@terminal", terminalId)) is long flag && flag != 0;

    private static PermitEntry[] ReadEntries(DbConnection connection, DbTransaction? transaction, string terminalId)
    {
        using var command = connection.Command(transaction, "SELECT kind, value FROM permits WHERE terminal_id = @terminal ORDER BY kind, value;", ("@terminal", terminalId));
        using var reader = command.ExecuteReader();
        var entries = new List<PermitEntry>();
        while (reader.Read())
        {
            entries.Add(new PermitEntry { Kind = reader.GetString(0), Value = reader.GetString(1) });
        }

        return entries.ToArray();
    }
}
