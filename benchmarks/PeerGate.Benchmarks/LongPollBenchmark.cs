using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;

namespace PeerGate.Benchmarks;

/// <summary>Idle long-polling devices in one PeerGate process: memory per device as the fleet grows, idle CPU, trigger delivery.</summary>
/// <param name="Total">RSS and heap per device: setup (enrollment, authentication) and the held poll together.</param>
/// <param name="PollsOnly">The part that appeared when the devices' polls were opened, after they were authenticated.</param>
/// <param name="IdleCpuPercent">The server's CPU time over <paramref name="IdleWindow"/> as a share of one core.</param>
/// <param name="IdlePolls">Polls answered (their wait over, empty) in the idle window; each device re-polls at once.</param>
public sealed record LongPollResult(
    int Devices,
    string Gc,
    TimeSpan Setup,
    MemoryDelta Total,
    MemoryDelta PollsOnly,
    IReadOnlyList<(int Devices, double ResidentPerDevice)> Growth,
    MemorySlope? Slope,
    double IdleCpuPercent,
    TimeSpan IdleWindow,
    long IdlePolls,
    LatencySample Triggers,
    long PollFailures);

/// <summary>
/// N devices on a PeerGate server in its own process, each holding a long-poll (F21) of the trigger
/// channel as a device without UDP does: <c>GET /v1/triggers?after=cursor</c> over its own keep-alive
/// HTTP/1.1 connection, polled again as soon as it is answered (the server's poll timeout, 25 s, ends
/// an idle one). Measured: the server's memory per device at each checkpoint of the fleet's growth,
/// its CPU while every device idles, and triggers one at a time: a caller's connection query makes
/// the server commit a status query for the device and wake its poll; measured from sending the
/// query until the device's poll has answered with it. The device then replies busy, so the query
/// ends without a session.
/// </summary>
public static class LongPollBenchmark
{
    /// <summary>Devices set up before the "before" reading, so JIT, pools and caches are not counted per device.</summary>
    private const int WarmDevices = 32;

    /// <summary>Polls opened together when devices come online.</summary>
    private const int OpeningAtOnce = 256;

    /// <summary>Devices the triggers cycle over; the rest idle through the measurement.</summary>
    private const int TriggerTargets = 100;

    /// <summary>The longest a poll's answer may take before the device counts it as lost: past the server's poll timeout.</summary>
    private static readonly TimeSpan PollDeadline = TimeSpan.FromSeconds(60);

    /// <summary>A simulated device with its poll loop's hand-off: the measurement waits on <see cref="Delivery"/>.</summary>
    internal sealed class Poller(SimulatedDevice device)
    {
        public SimulatedDevice Device { get; } = device;

        public volatile TaskCompletionSource<long>? Delivery;
    }

    public static async Task<LongPollResult> RunAsync(BenchSettings settings)
    {
        var dataDirectory = Path.Combine(settings.DataRoot, "peergate-bench-poll-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        var adminToken = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        using var stop = new CancellationTokenSource();
        var loops = new List<Task>();
        long answered = 0, failures = 0;
        try
        {
            await using var server = await ServedServer.StartAsync(dataDirectory, adminToken, settings.ServerGc, ServedServer.BenchmarkLimits);
            using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
            using var admin = new AdminClient(new Uri(server.BaseUrl), adminToken);

            // One connection per held poll, kept alive between polls: the pool grows to one per device and no further.
            using var polls = new HttpClient(new SocketsHttpHandler
            {
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(10),
                MaxConnectionsPerServer = settings.IdleDevices + WarmDevices + 64,
            })
            { BaseAddress = new Uri(server.BaseUrl), Timeout = Timeout.InfiniteTimeSpan };

            var pollers = new Dictionary<string, Poller>(StringComparer.Ordinal);
            var open = 0;
            async Task StartPollingAsync(IReadOnlyList<SimulatedDevice> batch)
            {
                // A few hundred new connections at a time, each chunk's polls open before the next: thousands
                // of connects at once would overflow the listen backlog and time out, which no fleet coming online does.
                foreach (var chunk in batch.Chunk(OpeningAtOnce))
                {
                    foreach (var device in chunk)
                    {
                        var poller = new Poller(device);
                        pollers[device.Certificate.TerminalId] = poller;
                        loops.Add(Task.Run(() => PollLoopAsync(polls, http, poller, () => Interlocked.Increment(ref answered), () => Interlocked.Increment(ref failures), stop.Token)));
                    }

                    open += chunk.Length;
                    await UntilPollingAsync(http, open);
                }
            }

            var warm = await DeviceFleet.AuthenticateAsync(admin, http, settings.Smoke ? 8 : WarmDevices, "fleet");
            await StartPollingAsync(warm);
            var caller = (await DeviceFleet.AuthenticateAsync(admin, http, 1, "callers"))[0];
            await Task.Delay(TimeSpan.FromSeconds(settings.Smoke ? 0.2 : 2));
            var before = await server.MemoryAfterGcAsync();

            var clock = Stopwatch.StartNew();
            Console.WriteLine($"  long-poll: {settings.IdleDevices} devices, each holding a poll");
            var (devices, growth) = await DeviceFleet.GrowAsync(server, admin, http, DeviceFleet.Checkpoints(settings.IdleDevices), StartPollingAsync,
                TimeSpan.FromSeconds(settings.Smoke ? 1 : 5), TimeSpan.FromSeconds(settings.Smoke ? 0.2 : 2));
            var setup = clock.Elapsed;
            var after = growth[^1];

            // Idle: past one poll timeout, so every device's poll is answered and opened again inside the window.
            var window = TimeSpan.FromSeconds(settings.Smoke ? 1 : 30);
            var cpuBefore = server.CpuTime();
            var answeredBefore = Interlocked.Read(ref answered);
            var idle = Stopwatch.StartNew();
            await Task.Delay(window);
            var idleCpu = (server.CpuTime() - cpuBefore) / idle.Elapsed * 100;
            var idlePolls = Interlocked.Read(ref answered) - answeredBefore;

            var targets = devices.Take(Math.Min(Math.Min(TriggerTargets, settings.Triggers), devices.Count)).Select(d => pollers[d.Certificate.TerminalId]).ToArray();
            await DeviceFleet.MakeCallableAsync(http, targets.Select(t => t.Device));
            foreach (var target in targets)
            {
                await TriggerAsync(http, caller, target); // warm-up round, not measured
            }

            var latencies = new List<long>();
            var missed = 0L;
            clock.Restart();
            for (var i = 0; i < settings.Triggers; i++)
            {
                if (await TriggerAsync(http, caller, targets[i % targets.Length]) is { } ticks)
                {
                    latencies.Add(ticks);
                }
                else
                {
                    missed++;
                }
            }

            var triggers = LatencySample.From(latencies, missed, clock.Elapsed);

            // The devices go away before the server stops, so its shutdown has no polls to answer and no re-polls to refuse.
            await StopPollingAsync(stop, loops);
            var n = devices.Count;
            return new LongPollResult(
                n,
                server.Gc,
                setup,
                new MemoryDelta((after.Resident - before.Resident) / (double)n, (after.ManagedHeap - before.ManagedHeap) / (double)n, before.Resident, after.Resident),
                new MemoryDelta(after.AttachedResident / (double)n, after.AttachedHeap / (double)n, before.Resident, after.Resident),
                [.. growth.Select(point => (point.Devices, (point.Resident - before.Resident) / (double)point.Devices))],
                MemorySlope.Of(growth),
                idleCpu,
                window,
                idlePolls,
                triggers,
                Interlocked.Read(ref failures));
        }
        finally
        {
            await StopPollingAsync(stop, loops);
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    /// <summary>Ends every poll loop (their requests are cancelled), waiting at most 30 s for them.</summary>
    internal static async Task StopPollingAsync(CancellationTokenSource stop, List<Task> loops)
    {
        await stop.CancelAsync();
        await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>
    /// One device's poll loop: poll, take the batch, answer a status query busy, poll again with the new
    /// cursor (which acknowledges the batch). A failed poll is counted and retried after a second, as a device backs off.
    /// </summary>
    internal static async Task PollLoopAsync(HttpClient polls, HttpClient http, Poller poller, Action answered, Action failed, CancellationToken stop)
    {
        var device = poller.Device;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
                deadline.CancelAfter(PollDeadline);
                Trigger[] batch;
                using (var response = await TestDevice.PollTriggersAsync(polls, device.Certificate.Certificate, device.Cursor, deadline.Token))
                {
                    batch = (await TestDevice.ReadAsync<TriggerBatch>(response, deadline.Token)).Triggers;
                }

                var now = Stopwatch.GetTimestamp();
                answered();
                if (batch.Length == 0)
                {
                    continue;
                }

                device.Cursor = batch[^1].Seq;
                foreach (var question in batch.Where(trigger => trigger.Kind == TriggerKinds.StatusQuery))
                {
                    poller.Delivery?.TrySetResult(now);
                    using var reply = await TestDevice.ReplyToTriggerAsync(http, device.Certificate.Certificate, TestDevice.Reply(question.Seq, AcceptStatus.Busy, "busy", 1), stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or InvalidOperationException)
            {
                failed();
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One trigger: Stopwatch ticks from the caller's query until the target's poll answered with the status query, or null when it did not within 5 s.</summary>
    internal static async Task<long?> TriggerAsync(HttpClient http, SimulatedDevice caller, Poller target)
    {
        var delivery = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        target.Delivery = delivery;
        var started = Stopwatch.GetTimestamp();
        var query = TestDevice.RequestConnectionAsync(http, caller.Certificate.Certificate, target.Device.Certificate.TerminalId);
        long? delivered;
        try
        {
            delivered = await delivery.Task.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            delivered = null;
        }

        using var answer = await query;
        target.Delivery = null;
        return delivered is { } at && answer.StatusCode == HttpStatusCode.ServiceUnavailable ? at - started : null;
    }

    /// <summary>Until the server's devices-online gauge counts <paramref name="expected"/> open polls; fails after 60 s with how many it saw.</summary>
    private static async Task UntilPollingAsync(HttpClient http, int expected)
    {
        var waited = Stopwatch.StartNew();
        var seen = 0L;
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            seen = await OpenPollsAsync(http);
            if (seen >= expected)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException($"only {seen} of {expected} polls were open on the server after 60 s");
    }

    /// <summary><c>peergate_devices_online{path="long-poll"}</c> from /metrics.</summary>
    private static async Task<long> OpenPollsAsync(HttpClient http)
    {
        const string Series = "peergate_devices_online{path=\"long-poll\"}";
        var text = await http.GetStringAsync("/metrics");
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(Series, StringComparison.Ordinal))
            {
                return (long)double.Parse(line[Series.Length..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
