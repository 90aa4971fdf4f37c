using System.Collections.Concurrent;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;
using PeerGate.Server.Tests.Storage;

namespace PeerGate.Server.Tests.Sessions;

/// <summary>Session state after a kill -9 of the server matches what was acknowledged (F23, F25).</summary>
[TestClass]
public sealed class SessionDurabilityTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task EveryAcknowledgedSessionAndEndNoticeSurvivesKill9()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "peergate-kill9-sessions-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        const string adminToken = "kill9-admin-token";
        try
        {
            var granted = new ConcurrentBag<string>();
            var ended = new ConcurrentDictionary<string, long>();
            var acks = 0;

            using (var first = await ServerProcess.StartAsync(dataDirectory, adminToken))
            {
                using var admin = new AdminClient(new Uri(first.BaseUrl), adminToken);
                using var http = new HttpClient { BaseAddress = new Uri(first.BaseUrl), Timeout = TimeSpan.FromSeconds(10) };
                var callee = await RegisterAsync(admin, http);
                var caller = await RegisterAsync(admin, http);
                await TestDevice.PermitAsync(http, callee.Certificate, PermitKinds.Terminal, caller.TerminalId);
                await using var calleeLine = new TriggerResponder(http, callee.Certificate);

                using var stop = new CancellationTokenSource();
                var stream = Task.Run(async () =>
                {
                    // Connect, then end every other session: a stream of session records and notices.
                    for (var i = 1; i <= 10_000 && !stop.IsCancellationRequested; i++)
                    {
                        try
                        {
                            using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);
                            if (!response.IsSuccessStatusCode)
                            {
                                continue;
                            }

                            var grant = await TestDevice.ReadAsync<ConnectionGrant>(response);
                            granted.Add(grant.SessionId);
                            Interlocked.Increment(ref acks);
                            if (i % 2 == 0)
                            {
                                using var end = await TestDevice.EndSessionAsync(http, caller.Certificate, grant.SessionId, i, i, SessionEndReasons.Completed);
                                if (end.IsSuccessStatusCode)
                                {
                                    ended[grant.SessionId] = i;
                                    Interlocked.Increment(ref acks);
                                }
                            }
                        }
                        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
                        {
                            // The server is gone: what was acknowledged before is what counts.
                            return;
                        }
                    }
                });

                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                while (Volatile.Read(ref acks) < 60 && DateTime.UtcNow < deadline && !stream.IsCompleted)
                {
                    await Task.Delay(20, TestContext.CancellationToken);
                }

                first.Kill();
                stop.Cancel();
                await stream.WaitAsync(TimeSpan.FromSeconds(60), TestContext.CancellationToken);
            }

            TestContext.WriteLine($"{granted.Count} sessions granted and {ended.Count} end notices acknowledged before SIGKILL");
            Assert.IsNotEmpty(granted);
            Assert.IsNotEmpty(ended);

            using var second = await ServerProcess.StartAsync(dataDirectory, adminToken);
            using var secondAdmin = new AdminClient(new Uri(second.BaseUrl), adminToken);
            var stored = (await secondAdmin.ListSessionsAsync(limit: 1000)).ToDictionary(s => s.SessionId);

            foreach (var sessionId in granted)
            {
                Assert.IsTrue(stored.ContainsKey(sessionId), $"session {sessionId} was granted but is missing after restart");
            }

            foreach (var (sessionId, bytes) in ended)
            {
                var session = stored[sessionId];
                Assert.AreEqual(SessionStates.Ended, session.State, $"session {sessionId}");
                Assert.AreEqual("caller", session.EndedBy, $"session {sessionId}");
                Assert.AreEqual(bytes, session.CallerNotice?.BytesSent, $"session {sessionId}: the acknowledged notice");
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static async Task<CertificateResponse> RegisterAsync(AdminClient admin, HttpClient http)
    {
        var deviceId = TestDevice.NewDeviceId();
        var enrolled = await admin.EnrollDeviceAsync(deviceId);
        var certificate = await new TestDevice(deviceId, Convert.FromHexString(enrolled.KeyHex)).AuthenticateAsync(http);
        using var response = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, Devices.Registration(certificate.TerminalId));
        response.EnsureSuccessStatusCode();
        return certificate;
    }
}
