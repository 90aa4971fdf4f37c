using System.Globalization;

namespace PeerGate.Benchmarks;

/// <summary>
/// One run of every chosen group in turn, each starting what it measures on 127.0.0.1, then the table
/// of every line beside its anchor, and with --out the same as results.md with the plots beside it.
/// A group that fails is a skipped line saying why, and the run exits 1; it never passes for it.
/// </summary>
public static class BenchmarkRun
{
    public static async Task<int> RunAsync(BenchSettings settings)
    {
        var ok = true;
        var lines = new List<ResultLine>();
        LatencySample? connectionSetups = null;
        RendezvousResult? udp = null;
        LongPollResult? longPoll = null;
        MosquittoResult? mosquitto = null;
        Console.WriteLine($"PeerGate benchmark ({(settings.Smoke ? "smoke run" : "full run")}, {Environment.ProcessorCount} cores, data on {settings.DataRoot}, {settings.IdleDevices} idle devices, groups: {string.Join(' ', BenchGroups.All.Where(settings.Runs))})");

        if (settings.Runs(BenchGroups.Http))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (httpOk, setups) = await HttpLinesAsync(settings, lines);
            Console.WriteLine($"  (HTTP lines: {clock.Elapsed.TotalSeconds:F1} s)");
            ok &= httpOk;
            connectionSetups = setups;
        }

        if (settings.Runs(BenchGroups.DeviceCore))
        {
            lines.AddRange(DeviceCoreLine.Lines(DeviceCoreBenchmark.Run(settings.Smoke ? 100 : 10_000)));
        }

        var idleGroups = new[] { BenchGroups.Udp, BenchGroups.LongPoll }.Where(settings.Runs).ToArray();
        if (idleGroups.Length > 0 && !ProcessStats.Available)
        {
            Console.WriteLine("  idle-device lines skipped: they read memory and CPU from /proc (Linux only)");
            lines.Add(ResultLine.NotRun("idle-device lines", "Mosquitto / coturn", 1, Better.Lower, "they read memory and CPU from /proc (Linux only)"));
        }
        else if (idleGroups.Length > 0)
        {
            // One broker run serves both groups: its subscribed clients are the anchor of either kind of idle device.
            mosquitto = await Guarded("Mosquitto", () => MosquittoBenchmark.RunAsync(settings));
            if (mosquitto is null)
            {
                ok = false;
                mosquitto = MosquittoResult.NotRun("the Mosquitto run failed");
            }

            if (settings.Runs(BenchGroups.Udp))
            {
                udp = await IdleGroupAsync("UDP", settings, () => RendezvousBenchmark.RunAsync(settings));
                var coturn = await Guarded("coturn", () => CoturnBenchmark.RunAsync(settings)) ?? new CoturnResult("the coturn run failed", null);
                if (udp is null)
                {
                    ok = false;
                    lines.Add(ResultLine.NotRun("UDP idle-device lines", "Mosquitto / coturn", 1, Better.Lower, "the UDP run failed (above)"));
                }
                else
                {
                    Console.WriteLine();
                    RendezvousReport.Print(udp, mosquitto, coturn);
                    lines.AddRange(RendezvousReport.Lines(udp, mosquitto, coturn));
                    ok &= udp.Wakes.Count > 0 && udp.Datagrams.Answered > 0;
                }
            }

            if (settings.Runs(BenchGroups.LongPoll))
            {
                longPoll = await IdleGroupAsync("long-poll", settings, () => LongPollBenchmark.RunAsync(settings));
                if (longPoll is null)
                {
                    ok = false;
                    lines.Add(ResultLine.NotRun("long-poll lines", "Mosquitto", 2, Better.Lower, "the long-poll run failed (above)"));
                }
                else
                {
                    // Kestrel alone holding as many requests: what of the held poll's memory is PeerGate's.
                    var kestrel = await Guarded("bare Kestrel", () => BareKestrel.RunAsync(settings, longPoll.Devices));
                    Console.WriteLine();
                    LongPollReport.Print(longPoll, mosquitto, kestrel);
                    lines.AddRange(LongPollReport.Lines(longPoll, mosquitto, kestrel));
                    ok &= longPoll.Triggers.Count > 0 && kestrel is not null;
                }
            }
        }

        if (settings.Runs(BenchGroups.Cluster))
        {
            var cluster = await Guarded("cluster", () => ClusterBenchmark.RunAsync(settings));
            if (cluster is null)
            {
                ok = false;
                cluster = ClusterResult.NotRun("the cluster run failed (above)");
            }
            else
            {
                ok &= cluster.Skipped is not null || cluster.Points.All(point => point.Measured);
            }

            ClusterReport.Print(cluster);
            lines.AddRange(ClusterReport.Lines(cluster));
        }

        ResultsReport.Print(lines);
        if (settings.OutDir is { } outDir)
        {
            var images = WritePlots(outDir, connectionSetups, udp, longPoll, mosquitto);
            ResultsReport.Write(outDir, lines,
            [
                $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {(settings.Smoke ? "smoke run" : "full run")}, {settings.IdleDevices} idle devices, {settings.Triggers} triggers",
                SharedNote(),
                "reproduce: `dotnet run -c Release --project benchmarks/PeerGate.Benchmarks -- --out DIR`",
            ], images);
        }

        return ok ? 0 : 1;
    }

    /// <summary>The HTTP lines: registrations (at a server process of its own) against the disk's fdatasync rate, connection setups against their goals, and the lines printed for context.</summary>
    private static async Task<(bool Ok, LatencySample Setups)> HttpLinesAsync(BenchSettings settings, List<ResultLine> lines)
    {
        var registering = await RegistrationBenchmark.RunAsync(settings);
        var registrations = registering.Sample;
        var (connections, alone, triggers) = await ConnectionBenchmark.RunAsync(settings);
        var (matches, inquiries, online) = await MatchBenchmark.RunAsync(settings);
        var disk = DiskSyncBenchmark.Run(settings.DataRoot, settings.Seconds / 2);
        var dd = DiskSyncBenchmark.RunDd(settings.DataRoot, settings.Smoke ? 200 : 2000);
        var sqlite = SqliteCommitBenchmark.Run(settings.DataRoot, settings.Seconds / 2);

        Console.WriteLine();
        Console.WriteLine($"  durable registrations    {registrations.PerSecond,10:F0} /s   p50 {registrations.P50Ms,6:F2} ms   p99 {registrations.P99Ms,6:F2} ms   ({registrations.Count} answered, {registrations.Failures} failed, {settings.Concurrency} clients, {settings.Registrants} devices; {registering.PerCommit:F1} per commit; CPU each: server {registering.ServerCpuMsEach:F3} ms, clients {registering.ClientCpuMsEach:F3} ms)");
        Console.WriteLine($"  connection setups        {connections.PerSecond,10:F0} /s   p50 {connections.P50Ms,6:F2} ms   p99 {connections.P99Ms,6:F2} ms   ({connections.Count} granted, {connections.Failures} refused, {settings.Concurrency} callers, one callee; query to both sides notified)");
        Console.WriteLine($"  setups by one caller     {alone.PerSecond,10:F0} /s   p50 {alone.P50Ms,6:F2} ms   p99 {alone.P99Ms,6:F2} ms   ({alone.Count} granted, {alone.Failures} refused; one setup at a time, nothing queued before it)");
        Console.WriteLine($"  trigger delivery         {triggers.PerSecond,10:F0} /s   p50 {triggers.P50Ms,6:F2} ms   p99 {triggers.P99Ms,6:F2} ms   ({triggers.Count} delivered, {triggers.Failures} missed; queued in-process until the waiting poller has it)");
        Console.WriteLine($"  match, worst case        {matches.PerSecond,10:F0} /s   p50 {matches.P50Ms,6:F2} ms   p99 {matches.P99Ms,6:F2} ms   ({matches.Count} found, {matches.Failures} failed; {online} online of the kind, only the oldest fits)");
        Console.WriteLine($"  inquiry by Terminal ID   {inquiries.PerSecond,10:F0} /s   p50 {inquiries.P50Ms,6:F2} ms   p99 {inquiries.P99Ms,6:F2} ms   ({inquiries.Count} answered, {inquiries.Failures} failed; primary-key read, same HTTP path)");
        Console.WriteLine($"  raw SQLite commit        {sqlite.PerSecond,10:F0} /s   p50 {sqlite.P50Ms,6:F2} ms   p99 {sqlite.P99Ms,6:F2} ms   (same pragmas, one connection, no HTTP)");
        Console.WriteLine($"  disk write+fdatasync     {disk.PerSecond,10:F0} /s   p50 {disk.P50Ms,6:F2} ms   p99 {disk.P99Ms,6:F2} ms   (4 KiB, same file system, same run)");
        Console.WriteLine(dd is null
            ? "  dd oflag=dsync                 n/a   (dd not found)"
            : $"  dd oflag=dsync           {dd.Value,10:F0} /s   (coreutils dd, 4 KiB blocks)");
        lines.Add(new ResultLine("durable registrations", $"{registrations.PerSecond:F0}/s", $"disk write+fdatasync {disk.PerSecond:F0}/s", registrations.PerSecond, disk.PerSecond, 3, Better.Higher,
            Limit: $"registration p50 {registrations.P50Ms:F2} ms against one fdatasync's {disk.P50Ms:F2} ms; {registering.PerCommit:F1} registrations per commit; CPU each: server {registering.ServerCpuMsEach:F3} ms, clients {registering.ClientCpuMsEach:F3} ms, on the same cores; raw SQLite commits {sqlite.PerSecond:F0}/s"));
        lines.Add(new ResultLine("connection setup p50", $"{connections.P50Ms:F2} ms", "goal 1 ms", connections.P50Ms, 1, 1, Better.Lower,
            Limit: $"p99 {connections.P99Ms:F2} ms, {settings.Concurrency} callers on one callee, each asking again once answered: about {settings.Concurrency} / the rate"));
        lines.Add(new ResultLine("connection setup p50, one caller", $"{alone.P50Ms:F2} ms", "goal 1 ms", alone.P50Ms, 1, 1, Better.Lower,
            Limit: $"p99 {alone.P99Ms:F2} ms; one setup at a time: two durable commits (the status query, then the session and its offer) and three HTTP exchanges (the query, the callee's poll, its reply) in series"));
        lines.Add(new ResultLine("connection setups /s", $"{connections.PerSecond:F0}/s", "goal 2,000/s", connections.PerSecond, 2000, 1, Better.Higher,
            Limit: $"p50 {connections.P50Ms:F2} ms with {settings.Concurrency} callers"));
        return (registrations.Count > 0 && connections.Count > 0 && triggers.Count > 0 && matches.Count > 0 && matches.Failures == 0, connections);
    }

    /// <summary>An idle-device group, after checking both processes can hold a socket per device.</summary>
    private static async Task<T?> IdleGroupAsync<T>(string name, BenchSettings settings, Func<Task<T>> run)
        where T : class
    {
        if (FileDescriptors.Shortfall(settings.IdleDevices + 64) is { } shortfall)
        {
            Console.WriteLine($"  {name}: cannot run: {shortfall}; lower --devices or raise ulimit -n");
            return null;
        }

        return await Guarded(name, run);
    }

    /// <summary>The group's result, or null (said on the console with the reason) when it threw.</summary>
    private static async Task<T?> Guarded<T>(string name, Func<Task<T>> run)
        where T : class
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var result = await run();
            Console.WriteLine($"  ({name}: {clock.Elapsed.TotalSeconds:F1} s)");
            return result;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            Console.WriteLine($"  {name} failed: {exception.GetType().Name}: {exception.Message}");
            return null;
        }
    }

    private static List<(string Title, string File)> WritePlots(string outDir, LatencySample? connectionSetups, RendezvousResult? udp, LongPollResult? longPoll, MosquittoResult? mosquitto)
    {
        var images = new List<(string, string)>();
        void Add(string title, string file, bool written)
        {
            if (written)
            {
                images.Add((title, file));
                Console.WriteLine($"  plot written to {Path.Combine(outDir, file)}");
            }
        }

        Add("Trigger delivery", "trigger-latency.png", Plots.LatencyDistribution(Path.Combine(outDir, "trigger-latency.png"), "Trigger to delivery, one at a time, idle fleet held",
        [
            ("PeerGate, long-poll", longPoll?.Triggers.SortedMs ?? []),
            ("PeerGate, UDP wake and fetch", udp?.Wakes.SortedMs ?? []),
            ("Mosquitto, QoS 0 publish", mosquitto?.Deliveries?.SortedMs ?? []),
        ]));
        Add("Connection setup", "connection-setup.png", Plots.LatencyDistribution(Path.Combine(outDir, "connection-setup.png"), "Connection setup, query until both sides are notified",
            [("PeerGate", connectionSetups?.SortedMs ?? [])], goalMs: 1));
        Add("Memory per idle device", "memory-per-device.png", Plots.MemoryGrowth(Path.Combine(outDir, "memory-per-device.png"),
        [
            ("PeerGate, long-poll", longPoll?.Growth),
            ("PeerGate, UDP", udp?.Growth),
            ("Mosquitto, subscribed client", mosquitto?.Growth),
        ]));
        return images;
    }

    // Another load on the machine moves every number; the results file says whether there was one.
    private static string SharedNote()
    {
        if (!File.Exists("/proc/loadavg"))
        {
            return "load average unknown";
        }

        var load = File.ReadAllText("/proc/loadavg").Split(' ');
        var shared = double.TryParse(load[0], CultureInfo.InvariantCulture, out var oneMinute) && oneMinute > 0.5;
        return $"load average at the end of the run {load[0]} {load[1]} {load[2]}: {(shared ? "the machine was shared or busy with this run" : "the machine was otherwise idle")}";
    }
}
