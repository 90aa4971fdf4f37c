using Npgsql;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Deployment;

/// <summary>
/// The PostgreSQL cluster the multi-instance tests start for themselves: it takes a durable write over
/// 127.0.0.1 with its password, refuses a wrong one, and leaves neither folder nor listener behind.
/// </summary>
[TestClass]
public sealed class PostgresClusterTests
{
    [TestMethod]
    public async Task AClusterOfItsOwnTakesWritesRefusesAWrongPasswordAndLeavesNothingBehind()
    {
        if (PostgresCluster.Missing is { } why)
        {
            Assert.Inconclusive(why);
        }

        string folder;
        int port;
        await using (var cluster = await PostgresCluster.StartAsync())
        {
            folder = cluster.DataDirectory;
            port = cluster.Port;
            await using (var connection = new NpgsqlConnection(cluster.ConnectionString()))
            {
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand("CREATE TABLE probe (id int PRIMARY KEY, at text NOT NULL); INSERT INTO probe VALUES (1, 'written');", connection);
                await create.ExecuteNonQueryAsync();
                await using var read = new NpgsqlCommand("SELECT at FROM probe WHERE id = 1;", connection);
                Assert.AreEqual("written", await read.ExecuteScalarAsync());
            }

            var wrong = new NpgsqlConnectionStringBuilder(cluster.ConnectionString()) { Password = "not-it", Pooling = false }.ToString();
            await using var refused = new NpgsqlConnection(wrong);
            var error = await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync());
            Assert.AreEqual(PostgresErrorCodes.InvalidPassword, error.SqlState);
        }

        Assert.IsFalse(Directory.Exists(folder), "the cluster's folder is left behind");
        using var probe = new System.Net.Sockets.TcpClient();
        await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(() => probe.ConnectAsync(System.Net.IPAddress.Loopback, port));
    }
}
