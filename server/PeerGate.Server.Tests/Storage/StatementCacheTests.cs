using Microsoft.Data.Sqlite;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Tests.Storage;

/// <summary>The prepared statements a long-lived connection keeps: reused, reset between uses, bounded.</summary>
[TestClass]
public sealed class StatementCacheTests
{
    [TestMethod]
    public void TheSameSqlReusesOneCommandWithFreshParameters()
    {
        using var connection = OpenWithRows(out var cache);
        var first = connection.Command(null, "SELECT id FROM rows WHERE id = @id;", ("@id", 1L));
        Assert.AreEqual(1L, first.ExecuteScalar());
        first.Dispose();

        using var second = connection.Command(null, "SELECT id FROM rows WHERE id = @id;", ("@id", 2L));
        Assert.AreSame(first, second, "the prepared command came back from the cache");
        Assert.HasCount(1, second.Parameters, "the first use's parameters are gone");
        Assert.AreEqual(2L, second.ExecuteScalar());
        Assert.AreEqual(1, cache.Count);

        // A parameter the SQL names but the caller did not give is an error, never the last use's value.
        second.Dispose();
        using var missing = connection.Command(null, "SELECT id FROM rows WHERE id = @id;");
        Assert.ThrowsExactly<InvalidOperationException>(() => missing.ExecuteScalar());
    }

    [TestMethod]
    public void SqlAskedForWhileItsCommandIsOutGetsACommandOfItsOwn()
    {
        using var connection = OpenWithRows(out _);
        using var outer = connection.Command(null, "SELECT id FROM rows WHERE id >= @id ORDER BY id;", ("@id", 1L));
        using var reader = outer.ExecuteReader();
        Assert.IsTrue(reader.Read());
        using var inner = connection.Command(null, "SELECT id FROM rows WHERE id >= @id ORDER BY id;", ("@id", 3L));
        Assert.AreNotSame(outer, inner);
        Assert.AreEqual(3L, inner.ExecuteScalar());
        Assert.AreEqual(1L, reader.GetInt64(0));
    }

    [TestMethod]
    public void AReaderLeftOpenIsClosedWhenItsCommandComesBack()
    {
        using var connection = OpenWithRows(out _);
        var command = connection.Command(null, "SELECT id FROM rows ORDER BY id;");
        var reader = command.ExecuteReader();
        Assert.IsTrue(reader.Read());
        command.Dispose();
        Assert.IsTrue(reader.IsClosed, "a stepping statement would hold a read snapshot");

        using var again = connection.Command(null, "SELECT id FROM rows ORDER BY id;");
        Assert.AreEqual(1L, again.ExecuteScalar());
    }

    [TestMethod]
    public void TheCacheKeepsAtMostItsCapacity()
    {
        using var connection = OpenWithRows(out var cache, capacity: 4);
        for (var i = 0; i < 10; i++)
        {
            Assert.AreEqual((long)i, connection.Scalar(null, $"SELECT {i};"));
        }

        Assert.AreEqual(4, cache.Count);

        // The most recent ones stay; an evicted one is prepared again when asked for.
        Assert.AreEqual(0L, connection.Scalar(null, "SELECT 0;"));
        Assert.AreEqual(4, cache.Count);
    }

    [TestMethod]
    public void AConnectionWithoutACacheMakesPlainCommands()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        var first = connection.Command(null, "SELECT 1;");
        first.Dispose();
        using var second = connection.Command(null, "SELECT 1;");
        Assert.AreNotSame(first, second);
        Assert.IsNull(StatementCache.Of(connection));
    }

    private static SqliteConnection OpenWithRows(out StatementCache cache, int capacity = 16)
    {
        var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        connection.Execute("CREATE TABLE rows (id INTEGER PRIMARY KEY); INSERT INTO rows (id) VALUES (1), (2), (3);");
        cache = StatementCache.Attach(connection, capacity);
        return connection;
    }
}
