using PeerGate.Benchmarks;

// The server half of the rendezvous benchmark: this program re-started as a PeerGate server process.
if (args.Length > 0 && args[0] == "--serve")
{
    return await ServedServer.ServeAsync(args[1..]);
}

// peergate-bench [--seconds N] [--concurrency C] [--devices D] [--udp-devices N] [--wakes W] [--data-dir DIR] [--rendezvous] [--workstation-gc | --server-gc] [--out DIR] [--smoke]
var settings = BenchSettings.Parse(args);
if (settings is null)
{
    Console.Error.WriteLine("usage: peergate-bench [--seconds N] [--concurrency C] [--devices D] [--udp-devices N] [--wakes W] [--data-dir DIR] [--rendezvous] [--workstation-gc | --server-gc] [--out DIR] [--smoke]");
    return 2;
}

var ok = true;
var lines = new List<ResultLine>();
Console.WriteLine($"PeerGate benchmark ({(settings.Smoke ? "smoke run" : "full run")}, {Environment.ProcessorCount} cores, data on {settings.DataRoot})");
if (!settings.RendezvousOnly)
{
    var registrations = await RegistrationBenchmark.RunAsync(settings);
    var (connections, triggers) = await ConnectionBenchmark.RunAsync(settings);
    var (matches, inquiries, online) = await MatchBenchmark.RunAsync(settings);
    var disk = DiskSyncBenchmark.Run(settings.DataRoot, settings.Seconds / 2);
    var dd = DiskSyncBenchmark.RunDd(settings.DataRoot, settings.Smoke ? 200 : 2000);
    var sqlite = SqliteCommitBenchmark.Run(settings.DataRoot, settings.Seconds / 2);

    Console.WriteLine();
    Console.WriteLine($"  durable registrations    {registrations.PerSecond,10:F0} /s   p50 {registrations.P50Ms,6:F2} ms   p99 {registrations.P99Ms,6:F2} ms   ({registrations.Count} answered, {registrations.Failures} failed, {settings.Concurrency} clients, {settings.Devices} devices)");
    Console.WriteLine($"  connection setups        {connections.PerSecond,10:F0} /s   p50 {connections.P50Ms,6:F2} ms   p99 {connections.P99Ms,6:F2} ms   ({connections.Count} granted, {connections.Failures} refused, {settings.Concurrency} callers, one callee; query to both sides notified)");
    Console.WriteLine($"  trigger delivery         {triggers.PerSecond,10:F0} /s   p50 {triggers.P50Ms,6:F2} ms   p99 {triggers.P99Ms,6:F2} ms   ({triggers.Count} delivered, {triggers.Failures} missed; queued until the waiting poller has it)");
    Console.WriteLine($"  match, worst case        {matches.PerSecond,10:F0} /s   p50 {matches.P50Ms,6:F2} ms   p99 {matches.P99Ms,6:F2} ms   ({matches.Count} found, {matches.Failures} failed; {online} online of the kind, only the oldest fits)");
    Console.WriteLine($"  inquiry by Terminal ID   {inquiries.PerSecond,10:F0} /s   p50 {inquiries.P50Ms,6:F2} ms   p99 {inquiries.P99Ms,6:F2} ms   ({inquiries.Count} answered, {inquiries.Failures} failed; primary-key read, same HTTP path)");
    Console.WriteLine($"  raw SQLite commit        {sqlite.PerSecond,10:F0} /s   p50 {sqlite.P50Ms,6:F2} ms   p99 {sqlite.P99Ms,6:F2} ms   (same pragmas, one connection, no HTTP)");
    Console.WriteLine($"  disk write+fsync         {disk.PerSecond,10:F0} /s   p50 {disk.P50Ms,6:F2} ms   p99 {disk.P99Ms,6:F2} ms   (4 KiB, same file system, same run)");
    Console.WriteLine(dd is null
        ? "  dd oflag=dsync                 n/a   (dd not found)"
        : $"  dd oflag=dsync           {dd.Value,10:F0} /s   (coreutils dd, 4 KiB blocks)");
    lines.Add(new ResultLine("durable registrations", $"{registrations.PerSecond:F0}/s", $"disk write+fdatasync {disk.PerSecond:F0}/s", registrations.PerSecond, disk.PerSecond, 3, Better.Higher,
        Limit: $"registration p50 {registrations.P50Ms:F2} ms against one fsync's {disk.P50Ms:F2} ms; raw SQLite commits {sqlite.PerSecond:F0}/s"));
    lines.Add(new ResultLine("connection setup p50", $"{connections.P50Ms:F2} ms", "goal 1 ms", connections.P50Ms, 1, 1, Better.Lower,
        Limit: $"p99 {connections.P99Ms:F2} ms, {settings.Concurrency} callers on one callee"));
    lines.Add(new ResultLine("connection setups /s", $"{connections.PerSecond:F0}/s", "goal 2,000/s", connections.PerSecond, 2000, 1, Better.Higher,
        Limit: $"p50 {connections.P50Ms:F2} ms with {settings.Concurrency} callers"));
    lines.AddRange(DeviceCoreLine.Lines(DeviceCoreBenchmark.Run(settings.Smoke ? 100 : 10_000)));
    ok = registrations.Count > 0 && connections.Count > 0 && triggers.Count > 0 && matches.Count > 0 && matches.Failures == 0;
}

if (!ProcessStats.Available)
{
    Console.WriteLine("  rendezvous lines skipped: they read memory and CPU from /proc (Linux only)");
    lines.Add(ResultLine.NotRun("rendezvous lines", "Mosquitto / coturn", 1, Better.Lower, "they read memory and CPU from /proc (Linux only)"));
    Finish();
    return ok ? 0 : 1;
}

var rendezvous = await RendezvousBenchmark.RunAsync(settings);
var mosquitto = await MosquittoBenchmark.RunAsync(settings);
var coturn = await CoturnBenchmark.RunAsync(settings);
Console.WriteLine();
RendezvousReport.Print(settings, rendezvous, mosquitto, coturn);
lines.AddRange(RendezvousReport.Lines(rendezvous, mosquitto, coturn));
Finish();
ok = ok && rendezvous.Wakes.Count > 0 && rendezvous.Datagrams.Answered > 0;
return ok ? 0 : 1;

// Every line beside its anchor, on the console and in results.md.
void Finish()
{
    ResultsReport.Print(lines);
    if (settings.OutDir is { } outDir)
    {
        ResultsReport.Write(outDir, lines,
        [
            $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {(settings.Smoke ? "smoke run" : "full run")}",
            SharedNote(),
            "reproduce: `dotnet run -c Release --project benchmarks/PeerGate.Benchmarks`",
        ]);
    }
}

// Another load on the machine moves every number; the results file says whether there was one.
static string SharedNote()
{
    if (!File.Exists("/proc/loadavg"))
    {
        return "load average unknown";
    }

    var load = File.ReadAllText("/proc/loadavg").Split(' ');
    var shared = double.TryParse(load[0], System.Globalization.CultureInfo.InvariantCulture, out var oneMinute) && oneMinute > 0.5;
    return $"load average at the end of the run {load[0]} {load[1]} {load[2]}: {(shared ? "the machine was shared or busy with this run" : "the machine was otherwise idle")}";
}
