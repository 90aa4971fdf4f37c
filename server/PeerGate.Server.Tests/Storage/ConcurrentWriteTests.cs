using PeerGate.Protocol;
using PeerGate.Server.Storage;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Storage;

/// <summary>
/// Many write requests at once through the real HTTP API, on either engine: every one is answered
/// with success and every row is there. On PostgreSQL the writes serialise on the advisory lock, so
/// this is the load that starved the thread pool while request paths blocked on their commits.
/// </summary>
[TestClass]
public sealed class ConcurrentWriteTests
{
    private const int Count = 80;

    [TestMethod]
    [DataRow(StorageEngine.Sqlite)]
    [DataRow(StorageEngine.Postgres)]
    [Timeout(300_000, CooperativeCancellation = true)]
    public async Task EightyConcurrentWriteRequestsAllCommit(string engine)
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Storage = engine });
        using var http = server.CreateClient();

        // Enrollments through the operator API, all at once.
        var devices = await Task.WhenAll(Enumerable.Range(0, Count).Select(_ => Devices.EnrollAsync(server)));
        Assert.AreEqual(Count, Db.Count(server, "SELECT count(*) FROM devices"));

        // Each device authenticates and registers, all at once.
        var certificates = await Task.WhenAll(devices.Select(device => Devices.RegisterAsync(server, http, device)));
        Assert.AreEqual(Count, certificates.Select(certificate => certificate.TerminalId).Distinct().Count());
        Assert.AreEqual(Count, Db.Count(server, "SELECT count(*) FROM registrations"));

        // Each adds the next device to its permit table, all at once.
        var permits = await Task.WhenAll(certificates.Select((certificate, i) =>
            TestDevice.PermitAsync(http, certificate.Certificate, PermitKinds.Terminal, certificates[(i + 1) % Count].TerminalId)));
        Assert.IsTrue(permits.All(permit => permit.Result == "complete" && permit.Entries.Length == 1));
        Assert.AreEqual(Count, Db.Count(server, "SELECT count(*) FROM permits"));
    }
}
