using System.Security.Cryptography;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Storage;

/// <summary>
/// Under systemd the server's working directory, and so its content root, is the data directory. A
/// watch on it (the host's default for reloading appsettings.json) would wake a thread on every write
/// to the database's WAL; settings are read once at start, so nothing may watch.
/// </summary>
[TestClass]
public sealed class NoFileWatchTests
{
    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task ServerRunningInItsDataDirectoryHoldsNoInotifyWatch()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Inconclusive("skipped: inotify descriptors are read from /proc, on Linux only");
        }

        const string adminToken = "watch-admin-token";
        var dataDirectory = Path.Combine(Path.GetTempPath(), "peergate-watch-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        try
        {
            // A settings file where the host looks for one, so there is something it could watch.
            await File.WriteAllTextAsync(Path.Combine(dataDirectory, "appsettings.json"), """{ "PeerGate": { "MaxSessionSeconds": 3600 } }""");
            using var server = await ServerProcess.StartAsync(dataDirectory, adminToken);
            using var admin = new AdminClient(new Uri(server.BaseUrl), adminToken);
            await admin.EnrollDeviceAsync(TestDevice.NewDeviceId(), Convert.ToHexString(RandomNumberGenerator.GetBytes(AuthProofs.DeviceKeyLength)));

            var watches = Directory.GetFiles($"/proc/{server.Pid}/fd")
                .Select(fd => new FileInfo(fd).LinkTarget)
                .Count(target => target == "anon_inode:inotify");
            Assert.AreEqual(0, watches, "inotify descriptors open in the server");
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
