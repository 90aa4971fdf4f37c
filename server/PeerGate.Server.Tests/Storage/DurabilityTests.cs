using System.Collections.Concurrent;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Storage;

[TestClass]
public sealed class DurabilityTests
{
    // Many registrations in flight at once, so the kill lands amid batches that share a commit.
    private const int Writers = 32;
    private const int DevicesPerWriter = 2;
    private const int AcknowledgedBeforeKill = 500;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task EveryAcknowledgedRegistrationSurvivesKill9()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "peergate-kill9-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        const string adminToken = "kill9-admin-token";
        try
        {
            // Per terminal, the highest LocalPort the server acknowledged. Each device registers
            // with a rising port, so a stored port below it would be a lost acknowledged write.
            var acknowledged = new ConcurrentDictionary<string, int>();
            var attempts = 0;
            var acks = 0;
            var inFlight = 0;
            var inFlightAtKill = 0;

            using (var first = await ServerProcess.StartAsync(dataDirectory, adminToken))
            {
                using var admin = new AdminClient(new Uri(first.BaseUrl), adminToken);
                using var http = new HttpClient { BaseAddress = new Uri(first.BaseUrl), Timeout = TimeSpan.FromSeconds(10) };
                var devices = new List<(TestDevice Device, string TerminalId, string Certificate)>();
                for (var i = 0; i < Writers * DevicesPerWriter; i++)
                {
                    var deviceId = TestDevice.NewDeviceId();
                    var enrolled = await admin.EnrollDeviceAsync(deviceId);
                    var device = new TestDevice(deviceId, Convert.FromHexString(enrolled.KeyHex));
                    var certificate = await device.AuthenticateAsync(http);
                    devices.Add((device, certificate.TerminalId, certificate.Certificate));
                }

                using var stop = new CancellationTokenSource();
                var writers = Enumerable.Range(0, Writers).Select(writer => Task.Run(async () =>
                {
                    var mine = devices.Skip(writer * DevicesPerWriter).Take(DevicesPerWriter).ToArray();
                    for (var port = 1; port <= 60_000 && !stop.IsCancellationRequested; port++)
                    {
                        var (_, terminalId, certificate) = mine[port % mine.Length];
                        var request = Devices.Registration(terminalId);
                        request.LocalPort = port;
                        Interlocked.Increment(ref attempts);
                        Interlocked.Increment(ref inFlight);
                        try
                        {
                            using var response = await TestDevice.SendRegistrationAsync(http, certificate, request);
                            if (response.IsSuccessStatusCode)
                            {
                                acknowledged.AddOrUpdate(terminalId, port, (_, previous) => Math.Max(previous, port));
                                Interlocked.Increment(ref acks);
                            }
                        }
                        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
                        {
                            // The server is gone: what was acknowledged before is what counts.
                            return;
                        }
                        finally
                        {
                            Interlocked.Decrement(ref inFlight);
                        }
                    }
                })).ToArray();

                // Kill mid-stream, once a fair number of writes have been acknowledged.
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                while (Volatile.Read(ref acks) < AcknowledgedBeforeKill && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(20, TestContext.CancellationToken);
                }

                inFlightAtKill = Volatile.Read(ref inFlight);
                first.Kill();
                stop.Cancel();
                await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60), TestContext.CancellationToken);
            }

            TestContext.WriteLine($"{attempts} registrations sent, {acks} acknowledged for {acknowledged.Count} terminals before SIGKILL, {inFlightAtKill} in flight at it");
            Assert.IsNotEmpty(acknowledged);

            using var second = await ServerProcess.StartAsync(dataDirectory, adminToken);
            using var secondAdmin = new AdminClient(new Uri(second.BaseUrl), adminToken);
            var stored = (await secondAdmin.ListDevicesAsync()).Where(d => d.TerminalId is not null).ToDictionary(d => d.TerminalId!, d => d.LocalPort);

            foreach (var (terminalId, port) in acknowledged)
            {
                Assert.IsTrue(stored.TryGetValue(terminalId, out var storedPort), $"{terminalId} was acknowledged but is missing after restart");
                Assert.IsGreaterThanOrEqualTo(port, storedPort, $"{terminalId}: port {port} was acknowledged, {storedPort} survived");
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
