using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Storage;

/// <summary>
/// Real storage faults under a running server: each write answers 503 with its code and a
/// Retry-After, readiness says 503 while liveness stays 200, and the server recovers without a
/// restart once the fault is gone. A test the machine cannot stage reports why it skipped.
/// </summary>
[TestClass]
public sealed class StorageFaultTests
{
    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task FullDiskAnswers503StorageFullAndRecovers()
    {
        RequireRootOnLinux("a 2 MiB tmpfs to fill");
        var mount = NewTempPath("peergate-full-");
        Directory.CreateDirectory(mount);
        try
        {
            await SmallDisk.MountAsync(mount);

            var filler = Path.Combine(mount, "filler");
            await using (var server = await TestServer.StartAsync(new TestServerOptions { Storage = "sqlite", DataDirectory = mount }))
            {
                using var http = server.CreateClient();
                await AssertWriteSucceedsAsync(http);

                SmallDisk.Fill(filler);
                var refused = await FirstRefusedWriteAsync(http);
                await AssertStorageFaultAsync(refused, ErrorCodes.StorageFull, 30);
                await AssertNotReadyButAliveAsync(http, ErrorCodes.StorageFull);

                File.Delete(filler);
                await AssertWriteSucceedsAsync(http);
                await AssertReadyAsync(http);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            await UnmountAsync(mount);
        }
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task ReadOnlyDatabaseAnswers503StorageReadOnlyAndRecovers()
    {
        // Root ignores file modes, and modes bind only when a file is opened: the immutable flag
        // refuses root, and the writes of connections already open, too.
        RequireRootOnLinux("chattr +i, which binds root and open files alike");
        var directory = NewTempPath("peergate-readonly-");
        string[] files = [];
        try
        {
            await using var server = await TestServer.StartAsync(new TestServerOptions { Storage = "sqlite", DataDirectory = directory });
            using var http = server.CreateClient();
            await Devices.EnrollAsync(server);
            await AssertWriteSucceedsAsync(http);

            // Not the -shm: SQLite maps it into memory, and a write to an immutable mapping is SIGBUS.
            files = [server.DatabasePath, server.DatabasePath + "-wal"];
            var (exit, output) = await SmallDisk.RunAsync("chattr", ["+i", .. files]);
            if (exit != 0)
            {
                files = [];
                Assert.Inconclusive($"skipped: this file system has no immutable flag ({output.Trim()})");
            }

            // A connection open before the change may first see an I/O error (503 storage_unavailable);
            // the pool is dropped on it, and the next connection finds the file read-only.
            HttpResponseMessage? readOnly = null;
            for (var attempt = 0; attempt < 5 && readOnly is null; attempt++)
            {
                var response = await ChallengeAsync(http);
                Assert.AreEqual(HttpStatusCode.ServiceUnavailable, response.StatusCode, await response.Content.ReadAsStringAsync());
                if (await CodeOfAsync(response) == ErrorCodes.StorageReadOnly)
                {
                    readOnly = response;
                }
                else
                {
                    await AssertStorageFaultAsync(response, ErrorCodes.StorageUnavailable, 30);
                    response.Dispose();
                }
            }

            Assert.IsNotNull(readOnly, "no write was answered storage_read_only");
            await AssertStorageFaultAsync(readOnly, ErrorCodes.StorageReadOnly, 30);
            readOnly.Dispose();
            await AssertNotReadyButAliveAsync(http, ErrorCodes.StorageReadOnly);

            // Reads still work: the operator can look while writes are refused.
            Assert.IsNotEmpty(await server.Admin.ListDevicesAsync());

            await SmallDisk.RunAsync("chattr", ["-i", .. files]);
            files = [];
            await AssertWriteSucceedsAsync(http);
            await AssertReadyAsync(http);
        }
        finally
        {
            if (files.Length > 0)
            {
                await SmallDisk.RunAsync("chattr", ["-i", .. files]);
            }

            Delete(directory);
        }
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task DatabaseLockedByAnotherProcessAnswers503StorageBusyAndRecovers()
    {
        var directory = NewTempPath("peergate-locked-");
        Process? holder = null;
        try
        {
            await using var server = await TestServer.StartAsync(new TestServerOptions
            { Storage = "sqlite",
                DataDirectory = directory,
                Configure = options => options.BusyTimeout = TimeSpan.FromMilliseconds(200),
            });
            using var http = server.CreateClient();
            await Devices.EnrollAsync(server);
            await AssertWriteSucceedsAsync(http);

            // Another OS process takes the write lock and keeps it until told to commit.
            holder = StartSqlite3(server.DatabasePath);
            // With a busy timeout, so a commit of the server's or the probe's own in that moment makes
            // sqlite3 wait for the lock instead of failing and never holding it.
            await holder.StandardInput.WriteLineAsync(".timeout 10000");
            await holder.StandardInput.WriteLineAsync("BEGIN EXCLUSIVE;");
            await holder.StandardInput.FlushAsync();
            await WaitUntilLockedAsync(server.DatabasePath, holder);

            var started = Stopwatch.StartNew();
            using (var refused = await ChallengeAsync(http))
            {
                await AssertStorageFaultAsync(refused, ErrorCodes.StorageBusy, 2);
            }

            // Bounded by the setting (plus Microsoft.Data.Sqlite's retry in whole seconds), not 5 s.
            Assert.IsLessThan(TimeSpan.FromSeconds(4), started.Elapsed);
            await AssertNotReadyButAliveAsync(http, ErrorCodes.StorageBusy);
            Assert.IsNotEmpty(await server.Admin.ListDevicesAsync());

            await holder.StandardInput.WriteLineAsync("COMMIT;");
            holder.StandardInput.Close();
            Assert.IsTrue(holder.WaitForExit(TimeSpan.FromSeconds(10)), "sqlite3 did not exit");
            await AssertWriteSucceedsAsync(http);
            await AssertReadyAsync(http);
        }
        finally
        {
            if (holder is { HasExited: false })
            {
                holder.Kill();
                holder.WaitForExit(TimeSpan.FromSeconds(10));
            }

            holder?.Dispose();
            Delete(directory);
        }
    }

    [TestMethod]
    public async Task HealthRoutesAnswerGetAndHead()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Storage = "sqlite" });
        using var http = server.CreateClient();
        foreach (var path in new[] { "/health", "/health/live", "/health/ready" })
        {
            using var get = await http.GetAsync(path);
            Assert.AreEqual(HttpStatusCode.OK, get.StatusCode, path);
            StringAssert.Contains(await get.Content.ReadAsStringAsync(), "\"status\"", path);

            using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            Assert.AreEqual(HttpStatusCode.OK, head.StatusCode, path);
            Assert.IsEmpty(await head.Content.ReadAsByteArrayAsync(), path);
        }

        // Readiness wrote its probe row: a real write, not a read.
        Assert.AreEqual(1L, Db.Count(server, "SELECT count(*) FROM write_probe"));
    }

    /// <summary>A challenge: an unauthenticated write (the nonce row).</summary>
    private static Task<HttpResponseMessage> ChallengeAsync(HttpClient http) =>
        http.PostAsync(Routes.AuthChallenge, new StringContent($"{{\"DeviceId\":\"{TestDevice.NewDeviceId()}\"}}", Encoding.UTF8, "application/json"));

    private static async Task AssertWriteSucceedsAsync(HttpClient http)
    {
        using var response = await ChallengeAsync(http);
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<HttpResponseMessage> FirstRefusedWriteAsync(HttpClient http)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var response = await ChallengeAsync(http);
            if (!response.IsSuccessStatusCode)
            {
                return response;
            }

            response.Dispose();
        }

        Assert.Fail("100 writes succeeded on a full disk");
        return null!;
    }

    private static async Task AssertStorageFaultAsync(HttpResponseMessage response, string code, int retryAfter)
    {
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable, code);
        Assert.AreEqual(TimeSpan.FromSeconds(retryAfter), response.Headers.RetryAfter?.Delta);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.AreEqual(retryAfter, problem.RootElement.GetProperty("retryAfter").GetInt32());
    }

    private static async Task AssertNotReadyButAliveAsync(HttpClient http, string code)
    {
        using (var ready = await http.GetAsync("/health/ready"))
        {
            await ProblemAssert.IsProblemAsync(ready, HttpStatusCode.ServiceUnavailable, code);
            Assert.IsNotNull(ready.Headers.RetryAfter);
        }

        using (var readyHead = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/health/ready")))
        {
            Assert.AreEqual(HttpStatusCode.ServiceUnavailable, readyHead.StatusCode);
        }

        foreach (var path in new[] { "/health/live", "/health" })
        {
            using var live = await http.GetAsync(path);
            Assert.AreEqual(HttpStatusCode.OK, live.StatusCode, path);
        }
    }

    private static async Task AssertReadyAsync(HttpClient http)
    {
        using var ready = await http.GetAsync("/health/ready");
        Assert.AreEqual(HttpStatusCode.OK, ready.StatusCode, await ready.Content.ReadAsStringAsync());
        Assert.AreEqual("ready", (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    private static async Task<string?> CodeOfAsync(HttpResponseMessage response)
    {
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return problem.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
    }

    /// <summary>Writes a filler file until the file system has no byte left.</summary>
    private static Process StartSqlite3(string database)
    {
        var start = new ProcessStartInfo("sqlite3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(database);
        try
        {
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Inconclusive("skipped: the sqlite3 command is not installed (test.sh installs it)");
            throw;
        }
    }

    /// <summary>Until a write from here finds the database locked (bounded).</summary>
    private static async Task WaitUntilLockedAsync(string database, Process holder)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = database, Pooling = false, DefaultTimeout = 1 }.ToString();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            Assert.IsFalse(holder.HasExited, "sqlite3 exited before taking the lock");
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = "PRAGMA busy_timeout = 0;";
                pragma.ExecuteNonQuery();
            }

            try
            {
                using var transaction = connection.BeginTransaction(deferred: false);
                transaction.Rollback();
            }
            catch (SqliteException exception) when (exception.SqliteErrorCode == 5)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("sqlite3 did not take the lock within 20 s");
    }

    private static void RequireRootOnLinux(string what)
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            Assert.Inconclusive($"skipped: needs root on Linux for {what}");
        }
    }

    private static async Task UnmountAsync(string mount)
    {
        if (Directory.Exists(mount))
        {
            await SmallDisk.UnmountAsync(mount);

            Delete(mount);
        }
    }

    private static string NewTempPath(string prefix) => Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));

    private static void Delete(string directory)
    {
        SqliteConnection.ClearAllPools();
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
