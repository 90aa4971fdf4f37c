using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Server.Testing;
using PeerGate.Server.Tests.Connections;

namespace PeerGate.Server.Tests.Triggers;

/// <summary>A session offer's key and password leave the server's storage once one answer carries them.</summary>
[TestClass]
public sealed class OfferSecretTests
{
    [TestMethod]
    public async Task DeliveredOfferIsGoneFromTheQueueAndItsSecretsFromTheFile()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Storage = "sqlite" });
        using var http = server.CreateClient();
        var (callee, caller) = await ConnectionQueryTests.PairAsync(server, http, permit: true);

        var polling = TestDevice.PollAsync(http, callee.Certificate, 0);
        await Eventually.PollingAsync(server, callee.TerminalId);
        var connecting = TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);
        var query = (await Eventually.Within(polling)).Single();
        Assert.AreEqual(TriggerKinds.StatusQuery, query.Kind);
        using (var replied = await TestDevice.ReplyToTriggerAsync(http, callee.Certificate, TestDevice.Reply(query.Seq)))
        {
            Assert.IsTrue(replied.IsSuccessStatusCode);
        }

        using var granted = await Eventually.Within(connecting);
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(granted);

        // The offer is delivered, not yet acknowledged: the cursor still stands before it.
        var offer = (await Eventually.Within(TestDevice.PollAsync(http, callee.Certificate, query.Seq))).Single();
        Assert.AreEqual(TriggerKinds.SessionOffer, offer.Kind);
        Assert.AreEqual(grant.Key, offer.Key);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM triggers WHERE kind = @k", ("@k", TriggerKinds.SessionOffer)));

        // With the WAL checkpointed into the file, no page of it holds the key or the password.
        Checkpoint(server.DatabasePath);
        var file = File.ReadAllBytes(server.DatabasePath);
        Assert.IsFalse(Contains(file, Stored(offer.Key)), "the session key is still in the database file");
        Assert.IsFalse(Contains(file, Stored(offer.Password)), "the session password is still in the database file");
    }

    private static void Checkpoint(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
        command.ExecuteNonQuery();
    }

    /// <summary>The bytes of <paramref name="value"/> as a trigger row holds it: wire JSON, which may escape '+'.</summary>
    private static byte[] Stored(string value) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value, WireJson.Options).Trim('"'));

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
