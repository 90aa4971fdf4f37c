using System.Collections.Concurrent;
using System.Net;
using Microsoft.Data.Sqlite;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Storage;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Storage;

/// <summary>
/// `peergate-server backup --to FILE` on a running server under load, and the restore: a second server
/// on the copy holds every record acknowledged before the backup started.
/// </summary>
[TestClass]
public sealed class BackupTests
{
    private const string AdminToken = "backup-admin-token";

    // The write limits are off: the writers below are as busy as they can be, which no device is.
    private static readonly string[] Unlimited = ["--PeerGate:DeviceWritesPerMinute", "0", "--PeerGate:UnauthenticatedRequestsPerMinute", "0"];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public async Task BackupTakenUnderLoadHoldsEveryRecordAcknowledgedBeforeIt()
    {
        var root = Path.Combine(Path.GetTempPath(), "peergate-backup-" + Guid.NewGuid().ToString("N"));
        var live = Path.Combine(root, "live");
        var restored = Path.Combine(root, "restored");
        var backups = Path.Combine(root, "backups");
        Directory.CreateDirectory(backups);
        Directory.CreateDirectory(live);
        var backupFile = Path.Combine(backups, "peergate-backup.db");
        try
        {
            // What each writer had acknowledged, in order; a snapshot of these is "before the backup".
            var registered = new ConcurrentQueue<(string TerminalId, int Port)>();
            var enrolled = new ConcurrentQueue<(string DeviceId, CertificateResponse Certificate)>();
            var sessions = new ConcurrentQueue<string>();
            (string TerminalId, int Port)[] registeredBefore;
            (string DeviceId, CertificateResponse Certificate)[] enrolledBefore;
            string[] sessionsBefore;
            (int Exit, string Output, string Error) backup;

            using (var server = await ServerProcess.StartAsync(live, AdminToken, Unlimited))
            {
                using var admin = new AdminClient(new Uri(server.BaseUrl), AdminToken);
                using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };

                var registrants = new List<CertificateResponse>();
                for (var i = 0; i < 4; i++)
                {
                    registrants.Add(await EnrollAsync(admin, http));
                }

                // A callee that answers every status query and acknowledges every trigger it is handed.
                var callee = await EnrollAsync(admin, http);
                var caller = await EnrollAsync(admin, http);
                using (var ok = await TestDevice.SendRegistrationAsync(http, callee.Certificate, Devices.Registration(callee.TerminalId)))
                {
                    Assert.AreEqual(HttpStatusCode.OK, ok.StatusCode);
                }

                await TestDevice.PermitAsync(http, callee.Certificate, PermitKinds.Terminal, caller.TerminalId);
                await using var responder = new TriggerResponder(http, callee.Certificate);

                using var stop = new CancellationTokenSource();
                var writers = new[]
                {
                    // Registrations with a rising port per terminal: a port below the acknowledged one would be a lost write.
                    Task.Run(async () =>
                    {
                        for (var port = 1; port <= 60_000 && !stop.IsCancellationRequested; port++)
                        {
                            var device = registrants[port % registrants.Count];
                            var request = Devices.Registration(device.TerminalId);
                            request.LocalPort = port;
                            using var response = await TestDevice.SendRegistrationAsync(http, device.Certificate, request);
                            if (response.IsSuccessStatusCode)
                            {
                                registered.Enqueue((device.TerminalId, port));
                            }
                        }
                    }),

                    // New devices enrolled and certified.
                    Task.Run(async () =>
                    {
                        for (var i = 0; i < 1000 && !stop.IsCancellationRequested; i++)
                        {
                            var deviceId = TestDevice.NewDeviceId();
                            var key = await admin.EnrollDeviceAsync(deviceId);
                            var certificate = await new TestDevice(deviceId, Convert.FromHexString(key.KeyHex)).AuthenticateAsync(http);
                            enrolled.Enqueue((deviceId, certificate));
                        }
                    }),

                    // Connections granted: each a session record and a session offer the callee acknowledges.
                    Task.Run(async () =>
                    {
                        for (var i = 0; i < 5000 && sessions.Count < 300 && !stop.IsCancellationRequested; i++)
                        {
                            using var response = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);
                            if (response.StatusCode == HttpStatusCode.OK)
                            {
                                sessions.Enqueue((await TestDevice.ReadAsync<ConnectionGrant>(response)).SessionId);
                            }
                            else if (response.StatusCode == HttpStatusCode.Conflict)
                            {
                                // The callee's first poll is not there yet.
                                await Task.Delay(20);
                            }
                        }
                    }),
                };

                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
                while ((registered.Count < 100 || enrolled.Count < 10 || sessions.Count < 10) && DateTime.UtcNow < deadline)
                {
                    Assert.IsFalse(writers.Any(writer => writer.IsFaulted), "a writer failed before the backup");
                    await Task.Delay(20, TestContext.CancellationToken);
                }

                registeredBefore = [.. registered];
                enrolledBefore = [.. enrolled];
                sessionsBefore = [.. sessions];
                var acknowledgedBefore = registered.Count + enrolled.Count + sessions.Count;

                backup = await ServerProcess.RunToEndAsync(root, "backup", "--PeerGate:DataDirectory", live, "--to", backupFile);

                // The server kept taking writes while the copy was read.
                var acknowledgedDuring = registered.Count + enrolled.Count + sessions.Count - acknowledgedBefore;
                stop.Cancel();
                await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60), TestContext.CancellationToken);
                TestContext.WriteLine($"before the backup: {registeredBefore.Length} registrations, {enrolledBefore.Length} enrollments, {sessionsBefore.Length} sessions; {acknowledgedDuring} writes acknowledged while it ran");
            }

            Assert.AreEqual(0, backup.Exit, backup.Output + backup.Error);
            StringAssert.Contains(backup.Output, "backup written to " + backupFile);
            StringAssert.Contains(backup.Output, "device key");
            Assert.IsNotEmpty(registeredBefore);
            Assert.IsNotEmpty(enrolledBefore);
            Assert.IsNotEmpty(sessionsBefore);
            if (!OperatingSystem.IsWindows())
            {
                Assert.AreEqual(OwnerOnly.FileMode, File.GetUnixFileMode(backupFile), "the backup holds keys: owner-only");
            }

            Assert.AreEqual("ok", Scalar(backupFile, "PRAGMA integrity_check;"));
            CollectionAssert.AreEqual(Array.Empty<string>(), Directory.GetFiles(backups).Where(f => f != backupFile).ToArray(), "nothing but the backup is left beside it");

            // The restore: the copy as peergate.db of a data directory with the issuer key beside it.
            Directory.CreateDirectory(restored);
            File.Copy(backupFile, Path.Combine(restored, "peergate.db"));
            File.Copy(Path.Combine(live, "issuer-key.pem"), Path.Combine(restored, "issuer-key.pem"));
            using (var second = await ServerProcess.StartAsync(restored, AdminToken, Unlimited))
            {
                using var admin = new AdminClient(new Uri(second.BaseUrl), AdminToken);
                using var http = new HttpClient { BaseAddress = new Uri(second.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
                var devices = await admin.ListDevicesAsync();
                var ports = devices.Where(d => d.TerminalId is not null).ToDictionary(d => d.TerminalId!, d => d.LocalPort);
                foreach (var (terminalId, port) in registeredBefore)
                {
                    Assert.IsTrue(ports.TryGetValue(terminalId, out var stored), $"{terminalId} was registered before the backup and is missing");
                    Assert.IsGreaterThanOrEqualTo(port, stored, $"{terminalId}: port {port} was acknowledged before the backup, {stored} was restored");
                }

                var deviceIds = devices.Select(d => d.DeviceId).ToHashSet();
                var restoredSessions = (await admin.ListSessionsAsync(1000)).Select(s => s.SessionId).ToHashSet();
                foreach (var (deviceId, certificate) in enrolledBefore)
                {
                    Assert.Contains(deviceId, deviceIds, $"{deviceId} was enrolled before the backup and is missing");
                    Assert.AreEqual(1L, Count(Path.Combine(restored, "peergate.db"), "SELECT count(*) FROM certificates WHERE serial = @s AND revoked = 0;", certificate.Serial), $"certificate {certificate.Serial} is missing");
                }

                foreach (var sessionId in sessionsBefore)
                {
                    Assert.Contains(sessionId, restoredSessions, $"session {sessionId} was granted before the backup and is missing");
                }

                // A certificate issued before the backup still works on the restored server.
                var (_, oldCertificate) = enrolledBefore[^1];
                using var registration = await TestDevice.SendRegistrationAsync(http, oldCertificate.Certificate, Devices.Registration(oldCertificate.TerminalId));
                Assert.AreEqual(HttpStatusCode.OK, registration.StatusCode, await registration.Content.ReadAsStringAsync());
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public async Task TheBackupIsOwnerOnlyWhateverTheUmaskAndNeverOverwrites()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Storage = "sqlite", UseSystemClock = true });
        var folder = Path.Combine(server.DataDirectory, "backups");
        Directory.CreateDirectory(folder);
        var target = Path.Combine(folder, "copy.db");
        var output = new StringWriter();
        var error = new StringWriter();

        // This test process runs with the usual umask (022): the copy is 600 all the same.
        var first = BackupCommand.Run(["--PeerGate:DataDirectory", server.DataDirectory, "--to", target], output, error);
        File.WriteAllText(Path.Combine(folder, "marker"), "x");
        var before = File.ReadAllBytes(target);
        var second = BackupCommand.Run(["--PeerGate:DataDirectory", server.DataDirectory, "--to", target], output, error);

        Assert.AreEqual(0, first, error.ToString());
        Assert.AreEqual(1, second);
        StringAssert.Contains(error.ToString(), "exists already");
        CollectionAssert.AreEqual(before, File.ReadAllBytes(target), "the existing file was left alone");
        if (!OperatingSystem.IsWindows())
        {
            Assert.AreEqual(OwnerOnly.FileMode, File.GetUnixFileMode(target));
        }

        Assert.AreEqual("ok", Scalar(target, "PRAGMA integrity_check;"));
        Assert.AreEqual(Migrations.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), Scalar(target, "PRAGMA user_version;"));
        CollectionAssert.AreEquivalent(new[] { "copy.db", "marker" }, Directory.GetFiles(folder).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void ABackupWithoutADatabaseOrTargetSaysWhatIsMissingAndWritesNothing()
    {
        var folder = Path.Combine(Path.GetTempPath(), "peergate-backup-none-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var error = new StringWriter();
            var noDatabase = BackupCommand.Run(["--PeerGate:DataDirectory", Path.Combine(folder, "nothing-here"), "--to", Path.Combine(folder, "copy.db")], TextWriter.Null, error);
            var noTarget = BackupCommand.Run(["--PeerGate:DataDirectory", folder], TextWriter.Null, error);
            var stray = BackupCommand.Run(["--to", Path.Combine(folder, "copy.db"), "extra"], TextWriter.Null, error);

            Assert.AreEqual(1, noDatabase);
            Assert.AreEqual(2, noTarget);
            Assert.AreEqual(2, stray);
            StringAssert.Contains(error.ToString(), "there is no database at " + Path.Combine(folder, "nothing-here", "peergate.db"));
            StringAssert.Contains(error.ToString(), "--to FILE is required");
            StringAssert.Contains(error.ToString(), "unexpected argument 'extra'");
            Assert.IsEmpty(Directory.GetFileSystemEntries(folder), "nothing was created, not even the data directory");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<CertificateResponse> EnrollAsync(AdminClient admin, HttpClient http)
    {
        var deviceId = TestDevice.NewDeviceId();
        var enrolled = await admin.EnrollDeviceAsync(deviceId);
        return await new TestDevice(deviceId, Convert.FromHexString(enrolled.KeyHex)).AuthenticateAsync(http);
    }

    private static string? Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        return Convert.ToString(connection.Scalar(null, sql), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static long Count(string path, string sql, string value)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        return Convert.ToInt64(connection.Scalar(null, sql, ("@s", value)), System.Globalization.CultureInfo.InvariantCulture);
    }
}
