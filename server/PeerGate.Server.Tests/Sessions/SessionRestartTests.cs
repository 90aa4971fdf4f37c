using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Sessions;

/// <summary>Sessions live in SQLite: records, limits and notices survive a restart on the same data directory.</summary>
[TestClass]
public sealed class SessionRestartTests
{
    [TestMethod]
    public async Task SessionsAndNoticesArePresentAfterARestart()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "peergate-restart-" + Guid.NewGuid().ToString("N"));
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        try
        {
            string ended, open;
            long openEndsAt;
            string callerCertificate;
            await using (var first = await TestServer.StartAsync(new TestServerOptions { DataDirectory = dataDirectory, Time = time }))
            {
                await using var a = await SessionPair.ConnectAsync(first, new ConnectionRequest { TimeLimitSeconds = 300, ByteLimit = 8192 });
                await using var b = await SessionPair.ConnectAsync(first, new ConnectionRequest { TimeLimitSeconds = 300 });
                using (await TestDevice.EndSessionAsync(a.Http, a.Caller.Certificate, a.SessionId, 8192, 0, SessionEndReasons.ByteLimit))
                {
                }

                using var extended = await TestDevice.ExtendSessionAsync(b.Http, b.Caller.Certificate, b.SessionId, 60);
                openEndsAt = (await TestDevice.ReadAsync<SessionLimits>(extended)).EndsAt;
                (ended, open, callerCertificate) = (a.SessionId, b.SessionId, b.Caller.Certificate);
            }

            await using var second = await TestServer.StartAsync(new TestServerOptions { DataDirectory = dataDirectory, Time = time });
            var sessions = (await second.Admin.ListSessionsAsync()).ToDictionary(s => s.SessionId);

            Assert.AreEqual(SessionStates.Ended, sessions[ended].State);
            Assert.AreEqual(8192, sessions[ended].CallerNotice!.BytesSent);
            Assert.AreEqual(8192, sessions[ended].ByteLimit);
            Assert.AreEqual(SessionStates.Active, sessions[open].State);
            Assert.AreEqual(openEndsAt, sessions[open].EndsAt);

            // A session whose devices vanished still ends on its own.
            time.Advance(TimeSpan.FromSeconds(361));
            using var http = second.CreateClient();
            Assert.AreEqual(SessionStates.Expired, (await TestDevice.ListSessionsAsync(http, callerCertificate)).Single().State);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
