using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Deployment;

/// <summary>
/// deploy/peergate.service as systemd reads it: `systemd-analyze verify` finds nothing to say about the
/// unit, alone or with its low-port drop-in, and its stop timeout and restart rule match the server.
/// </summary>
[TestClass]
public sealed class SystemdUnitTests
{
    private const string InstalledBinary = "/opt/peergate/peergate-server";

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task TheUnitVerifiesWithoutAWarning()
    {
        var (exit, output) = await VerifyAsync(withLowPortDropIn: false);

        Assert.AreEqual(0, exit, output);
        Assert.AreEqual(string.Empty, output.Trim(), "systemd-analyze verify had something to say");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task TheUnitWithItsLowPortDropInVerifiesWithoutAWarning()
    {
        var (exit, output) = await VerifyAsync(withLowPortDropIn: true);

        Assert.AreEqual(0, exit, output);
        Assert.AreEqual(string.Empty, output.Trim(), "systemd-analyze verify had something to say");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task AMistakeInTheUnitIsWhatVerifyReports()
    {
        // The check above means something only if verify speaks up about a key systemd does not know.
        var (_, output) = await VerifyAsync(withLowPortDropIn: false, addLine: "RestartSecs=5");

        StringAssert.Contains(output, "RestartSecs");
    }

    [TestMethod]
    public void TheStopTimeoutOutlastsTheServersShutdownAndARefusedStartIsNotRetried()
    {
        var unit = Settings(File.ReadAllLines(UnitPath()));
        var dropIn = Settings(File.ReadAllLines(DropInPath()));

        Assert.IsGreaterThan(PeerGateServer.ShutdownTimeout + TimeSpan.FromSeconds(5), Seconds(unit["TimeoutStopSec"].Single()), "systemd must not kill a server that is still stopping");
        CollectionAssert.Contains(unit["RestartPreventExitStatus"].Single().Split(' '), PeerGateServer.RefusedStartExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.AreEqual("on-failure", unit["Restart"].Single());
        Assert.AreEqual("0077", unit["UMask"].Single());
        Assert.AreEqual("0700", unit["StateDirectoryMode"].Single());
        Assert.AreEqual("AF_INET AF_INET6 AF_UNIX", unit["RestrictAddressFamilies"].Single());
        Assert.AreEqual(string.Empty, unit["CapabilityBoundingSet"].Single(), "no capability by default");
        Assert.AreEqual(string.Empty, unit["AmbientCapabilities"].Single());
        Assert.AreEqual("CAP_NET_BIND_SERVICE", dropIn["CapabilityBoundingSet"].Single(), "the drop-in adds one capability and nothing else");
        Assert.AreEqual("CAP_NET_BIND_SERVICE", dropIn["AmbientCapabilities"].Single());
        Assert.AreEqual(InstalledBinary, unit["ExecStart"].Single());
        StringAssert.Contains(unit["Environment"].Single(), "PeerGate__DataDirectory=/var/lib/peergate");
        CollectionAssert.Contains(unit["ReadWritePaths"], "/var/lib/peergate");
    }

    /// <summary>Runs `systemd-analyze verify` on a copy of the unit whose ExecStart is an executable that exists.</summary>
    private static async Task<(int Exit, string Output)> VerifyAsync(bool withLowPortDropIn, string? addLine = null)
    {
        var analyze = new[] { "/usr/bin/systemd-analyze", "/bin/systemd-analyze" }.FirstOrDefault(File.Exists);
        if (!OperatingSystem.IsLinux() || analyze is null)
        {
            Assert.Inconclusive("skipped: systemd-analyze is not installed (package systemd)");
            return default;
        }

        var folder = Path.Combine(Path.GetTempPath(), "peergate-unit-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            // verify refuses an ExecStart that is not there; a stand-in takes the published binary's place.
            var binary = Path.Combine(folder, "peergate-server");
            File.WriteAllText(binary, "#!/bin/sh\nexit 0\n");
            File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            var lines = File.ReadAllLines(UnitPath())
                .Select(line => line.StartsWith("ExecStart=", StringComparison.Ordinal) ? line.Replace(InstalledBinary, binary, StringComparison.Ordinal) : line)
                .ToList();
            if (addLine is not null)
            {
                lines.Insert(lines.IndexOf("[Service]") + 1, addLine);
            }

            var unit = Path.Combine(folder, "peergate.service");
            File.WriteAllLines(unit, lines);
            if (withLowPortDropIn)
            {
                // verify reads drop-ins from <unit>.d beside the unit, as systemd does from /etc/systemd/system.
                Directory.CreateDirectory(unit + ".d");
                File.Copy(DropInPath(), Path.Combine(unit + ".d", "low-port.conf"));
            }

            var result = await ChildProcess.RunAsync(analyze, ["verify", unit], TimeSpan.FromSeconds(30), folder);
            return (result.Exit, result.All);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Every Key=Value line, by key, in order (a key may repeat).</summary>
    private static Dictionary<string, List<string>> Settings(IEnumerable<string> lines)
    {
        var settings = new Dictionary<string, List<string>>();
        foreach (var line in lines.Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] is not '#' and not ';' and not '['))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var key = line[..equals];
            if (!settings.TryGetValue(key, out var values))
            {
                settings[key] = values = [];
            }

            values.Add(line[(equals + 1)..]);
        }

        return settings;
    }

    private static TimeSpan Seconds(string value)
    {
        var whole = value.EndsWith('s') ? value[..^1] : value;
        Assert.IsTrue(int.TryParse(whole, out var seconds), $"TimeoutStopSec={value} is not whole seconds");
        return TimeSpan.FromSeconds(seconds);
    }

    private static string UnitPath() => Path.Combine(Repository.Root, "deploy", "peergate.service");

    private static string DropInPath() => Path.Combine(Repository.Root, "deploy", "peergate.service.d", "low-port.conf");
}
