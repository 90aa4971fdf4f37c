using Microsoft.Data.Sqlite;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Storage;

/// <summary>
/// The lookups a request or a background pass makes by key find their rows through an index, never by
/// reading the whole table: SQLite's plan for each SEARCHes, it never SCANs a table that grows with
/// the fleet or its traffic.
/// </summary>
[TestClass]
public sealed class QueryPlanTests
{
    [TestMethod]
    [DataRow("SELECT id FROM connection_attempts WHERE session_id = @session ORDER BY id DESC LIMIT 1;")]
    [DataRow("SELECT body, expires_at FROM triggers WHERE terminal_id = @terminal AND seq > @cursor AND expires_at > @now ORDER BY seq LIMIT 16;")]
    [DataRow("UPDATE nonces SET used = 1 WHERE nonce_id = @id AND device_id = @device AND used = 0;")]
    [DataRow("SELECT revoked FROM certificates WHERE serial = @serial;")]
    [DataRow("SELECT key_generation, counter FROM udp_mappings WHERE issuer = @issuer AND terminal_id = @terminal;")]
    [DataRow("SELECT state FROM sessions WHERE session_id = @session;")]
    [DataRow("SELECT disabled FROM devices WHERE device_id = @device;")]
    public async Task AKeyedLookupSearchesAnIndex(string sql)
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Storage = "sqlite" });
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = server.DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (System.Text.RegularExpressions.Match name in System.Text.RegularExpressions.Regex.Matches(sql, "@[a-z]+"))
        {
            if (!command.Parameters.Contains(name.Value))
            {
                command.Parameters.AddWithValue(name.Value, 1);
            }
        }

        var plan = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                plan.Add(reader.GetString(3));
            }
        }

        Assert.IsTrue(plan.Count > 0);
        Assert.IsFalse(plan.Any(step => step.StartsWith("SCAN ", StringComparison.Ordinal)), string.Join(" | ", plan));
    }
}
