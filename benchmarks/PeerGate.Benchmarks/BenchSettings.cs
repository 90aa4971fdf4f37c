using System.CommandLine;
using PeerGate.CliSupport;

namespace PeerGate.Benchmarks;

/// <summary>The groups of lines one run can be narrowed to with --only.</summary>
public static class BenchGroups
{
    /// <summary>Durable registrations, connection setups, trigger delivery to one poller, match and inquiry, SQLite and the disk's fsync rate.</summary>
    public const string Http = "http";

    /// <summary>Allocations per frame and keepalive of the device core, and its bytes on the wire.</summary>
    public const string DeviceCore = "device-core";

    /// <summary>Idle long-polling devices beside Mosquitto: trigger delivery, memory per device, idle CPU.</summary>
    public const string LongPoll = "long-poll";

    /// <summary>Idle UDP devices beside Mosquitto, and registration datagrams beside coturn's STUN Binding rate.</summary>
    public const string Udp = "udp";

    /// <summary>Registrations, trigger delivery and connection setups on SQLite and on one, two and three instances sharing a PostgreSQL database.</summary>
    public const string Cluster = "cluster";

    public static readonly string[] All = [Http, DeviceCore, LongPoll, Udp, Cluster];
}

/// <summary>What one run measures and at what size; --smoke shrinks everything to a seconds-long run for CI.</summary>
/// <param name="Registrants">Device certificates the durable-registration loop cycles over.</param>
/// <param name="IdleDevices">Idle devices PeerGate holds (long-polling, and UDP-registered), and subscribed clients Mosquitto holds.</param>
/// <param name="Triggers">Triggers delivered to long-polling devices, wakes of UDP devices, and publishes to Mosquitto's clients.</param>
/// <param name="Only">The groups of <see cref="BenchGroups"/> that run.</param>
/// <param name="OutDir">Where results.md and the plots go; a full run defaults to benchmarks/results/&lt;date&gt;, a smoke run writes none.</param>
/// <param name="ServerGc">The served server process with the server GC (true) or the workstation GC (false); null: as peergate-server ships.</param>
public sealed record BenchSettings(double Seconds, int Concurrency, int Registrants, string DataRoot, bool Smoke, int IdleDevices, int Triggers, IReadOnlySet<string> Only, bool? ServerGc, string? OutDir)
{
    public bool Runs(string group) => Only.Contains(group);

    /// <summary>Unmeasured time before each throughput loop: long enough under load for the JIT to finish tiering the loop's methods; none in a smoke run.</summary>
    public TimeSpan WarmUp => Smoke ? TimeSpan.Zero : TimeSpan.FromSeconds(3);

    /// <summary>The command line: every option with its default and range; its action gets the settings.</summary>
    public static RootCommand Command(Func<BenchSettings, Task<int>> run)
    {
        var smoke = new Option<bool>("--smoke") { Description = "A seconds-long run at toy size, for CI: installs nothing, skips lines whose reference server is missing, writes no files unless --out is given" };
        var output = CliOptions.Text("--out", "Folder for results.md and the plots (default on a full run: benchmarks/results/<date>)", "DIR");
        var devices = CliOptions.Int("--devices", "Idle devices held by PeerGate (long-polling; UDP-registered) and subscribed clients held by Mosquitto (default 10000, smoke 50)", 10, 18_000);
        var triggers = CliOptions.Int("--triggers", "Triggers measured per idle-device line, one at a time (default 1000, smoke 20)", 1, 100_000);
        var only = new Option<string[]>("--only")
        {
            Description = "Run only these groups of lines: " + CliOptions.Alternatives(BenchGroups.All) + " (default: all)",
            HelpName = string.Join('|', BenchGroups.All),
            AllowMultipleArgumentsPerToken = true,
        };
        only.AcceptOnlyFromAmong(BenchGroups.All);
        var seconds = CliOptions.Int("--seconds", "Seconds per throughput loop (default 10, smoke 1)", 1, 3600);
        var concurrency = CliOptions.Int("--concurrency", "Concurrent clients of the HTTP loops (default 16, smoke 4)", 1, 1024);
        var registrants = CliOptions.Int("--registrants", "Device certificates the durable-registration loop cycles over (default 64, smoke 8)", 1, 100_000);
        var dataDir = CliOptions.Text("--data-dir", "Existing folder the SQLite files and the fsync probe go in: its file system is the one measured (default: the temp folder)", "DIR");
        var gc = CliOptions.OneOf("--gc", "The served server's garbage collector (default: as peergate-server ships)", "server", "workstation");

        var root = new RootCommand("Measures PeerGate on 127.0.0.1 and prints every line beside its anchor (the disk, Mosquitto, coturn, a goal) as a ratio with its target and verdict; see docs/performance.md.")
        {
            smoke, output, devices, triggers, only, seconds, concurrency, registrants, dataDir, gc,
        };
        root.Validators.Add(result =>
        {
            if (result.GetValue(dataDir) is { } folder && !Directory.Exists(folder))
            {
                result.AddError($"--data-dir {folder} is not an existing folder");
            }
        });
        CliHost.Identify(root, typeof(BenchSettings).Assembly);
        root.SetAction((result, _) =>
        {
            var isSmoke = result.GetValue(smoke);
            var chosen = result.GetValue(only) is { Length: > 0 } named ? named : BenchGroups.All;
            return run(new BenchSettings(
                result.GetValue(seconds) ?? (isSmoke ? 1 : 10),
                result.GetValue(concurrency) ?? (isSmoke ? 4 : 16),
                result.GetValue(registrants) ?? (isSmoke ? 8 : 64),
                result.GetValue(dataDir) ?? Path.GetTempPath(),
                isSmoke,
                result.GetValue(devices) ?? (isSmoke ? 50 : 10_000),
                result.GetValue(triggers) ?? (isSmoke ? 20 : 1_000),
                new HashSet<string>(chosen, StringComparer.Ordinal),
                result.GetValue(gc) switch { "server" => true, "workstation" => false, _ => null },
                result.GetValue(output) ?? (isSmoke ? null : Path.Combine("benchmarks", "results", DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)))));
        });
        return root;
    }
}
