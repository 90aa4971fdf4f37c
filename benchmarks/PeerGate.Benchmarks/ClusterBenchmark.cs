using Npgsql;
using PeerGate.Server.Testing;

namespace PeerGate.Benchmarks;

/// <summary>The cluster lines of one deployment size: <paramref name="Engine"/> with <paramref name="Instances"/> instances on one database.</summary>
public sealed record ClusterPoint(string Engine, int Instances, LatencySample Registrations, LatencySample Triggers, LatencySample Connections)
{
    public string Name => $"{Engine} {Instances}";

    /// <summary>Every loop answered at least once.</summary>
    public bool Measured => Registrations.Count > 0 && Triggers.Count > 0 && Connections.Count > 0;
}

/// <summary>Every deployment size measured, SQLite with one instance first; or why none was.</summary>
public sealed record ClusterResult(IReadOnlyList<ClusterPoint> Points, string? Skipped)
{
    public static ClusterResult NotRun(string why) => new([], why);
}

/// <summary>
/// The HTTP lines that a deployment's size moves, on server processes of their own: durable
/// registrations, trigger delivery and connection setups, on one SQLite instance (the anchor) and on
/// one, two and three instances sharing one PostgreSQL database (a throwaway cluster of its own on
/// 127.0.0.1, <see cref="PostgresCluster"/>). The loops are the HTTP lines' and the long-poll
/// line's own; clients address the instances directly, spread round robin, and whatever can cross
/// instances does when there are several: a trigger is queued at one instance for a device polling
/// the next, and a caller at one instance calls a callee polling the next.
/// </summary>
public static class ClusterBenchmark
{
    public const int MaxInstances = 3;

    /// <summary>Devices polling each instance that the triggers cycle over.</summary>
    private const int TargetsPerInstance = 4;

    public static async Task<ClusterResult> RunAsync(BenchSettings settings)
    {
        if (PostgresCluster.Missing is { } why)
        {
            return ClusterResult.NotRun(why);
        }

        var points = new List<ClusterPoint>();
        await using (var sqlite = await ClusterDeployment.SqliteAsync(settings))
        {
            points.Add(await MeasureAsync(sqlite, settings));
        }

        await using var postgres = await PostgresCluster.StartAsync();
        await using (var admin = NpgsqlDataSource.Create(postgres.ConnectionString()))
        await using (var create = admin.CreateCommand("CREATE DATABASE peergate;"))
        {
            await create.ExecuteNonQueryAsync();
        }

        // Instances join one by one, so each size is measured with exactly that many on the bus. A smoke
        // run stops at two: the first size where anything crosses instances.
        await using var deployment = await ClusterDeployment.PostgresAsync(settings, postgres.ConnectionString("peergate"));
        for (var n = 1; n <= (settings.Smoke ? 2 : MaxInstances); n++)
        {
            if (n > 1)
            {
                await deployment.AddInstanceAsync();
            }

            points.Add(await MeasureAsync(deployment, settings));
        }

        return new ClusterResult(points, null);
    }

    private static async Task<ClusterPoint> MeasureAsync(ClusterDeployment deployment, BenchSettings settings)
    {
        var n = deployment.Instances.Count;
        var http = deployment.Http;
        Console.WriteLine($"  cluster: {deployment.Engine}, {n} instance{(n == 1 ? "" : "s")}");

        var certificates = await RegistrationBenchmark.EnrollAndAuthenticateAsync(deployment.Admin, http[0], settings.Registrants);
        await RegistrationBenchmark.WarmUpAsync(http, certificates);
        var registrations = await RegistrationBenchmark.MeasureAsync(http, certificates, settings.Concurrency, settings.WarmUp, settings.Seconds);
        var triggers = await MeasureTriggersAsync(deployment, settings);
        var connections = await MeasureConnectionsAsync(deployment, settings);
        return new ClusterPoint(deployment.Engine, n, registrations, triggers, connections);
    }

    /// <summary>A callee polling each instance; caller w queries at instance w mod n and calls the callee polling the next one.</summary>
    private static async Task<LatencySample> MeasureConnectionsAsync(ClusterDeployment deployment, BenchSettings settings)
    {
        var n = deployment.Instances.Count;
        var http = deployment.Http;
        var callees = new Callee[n];
        for (var i = 0; i < n; i++)
        {
            var callee = await ConnectionBenchmark.AuthenticateAsync(deployment.Admin, http[i], "callee", register: true);
            await ConnectionBenchmark.Permit(http[i], callee.Certificate);
            callees[i] = new Callee(http[i], callee);
        }

        var callers = new Caller[settings.Concurrency];
        for (var w = 0; w < callers.Length; w++)
        {
            callers[w] = new Caller(http[w % n], await ConnectionBenchmark.AuthenticateAsync(deployment.Admin, http[w % n], "fleet", register: false), (w + 1) % n);
        }

        return await ConnectionBenchmark.MeasureConnectionsAsync(callees, callers, async () =>
        {
            for (var i = 0; i < n; i++)
            {
                await deployment.Instances[i].UntilPollingAsync(callees[i].Certificate.TerminalId);
            }
        }, settings.WarmUp, settings.Seconds);
    }

    /// <summary>
    /// The long-poll line's trigger, one at a time: trigger k is a connection query at instance k mod n
    /// to a device polling the next instance, measured until that device's poll has the status query.
    /// </summary>
    private static async Task<LatencySample> MeasureTriggersAsync(ClusterDeployment deployment, BenchSettings settings)
    {
        var n = deployment.Instances.Count;
        var http = deployment.Http;
        var caller = (await DeviceFleet.AuthenticateAsync(deployment.Admin, http[0], 1, "callers"))[0];
        var targets = new LongPollBenchmark.Poller[n][];
        for (var i = 0; i < n; i++)
        {
            var devices = await DeviceFleet.AuthenticateAsync(deployment.Admin, http[i], TargetsPerInstance, "fleet");
            await DeviceFleet.MakeCallableAsync(http[i], devices);
            targets[i] = [.. devices.Select(device => new LongPollBenchmark.Poller(device))];
        }

        using var stop = new CancellationTokenSource();
        var loops = new List<Task>();
        try
        {
            for (var i = 0; i < n; i++)
            {
                var at = http[i];
                foreach (var target in targets[i])
                {
                    loops.Add(Task.Run(() => LongPollBenchmark.PollLoopAsync(at, at, target, () => { }, () => { }, stop.Token)));
                }
            }

            for (var i = 0; i < n; i++)
            {
                foreach (var target in targets[i])
                {
                    await deployment.Instances[i].UntilPollingAsync(target.Device.Certificate.TerminalId);
                    await LongPollBenchmark.TriggerAsync(http[(i + n - 1) % n], caller, target); // warm-up, not measured
                }
            }

            var latencies = new List<long>();
            var missed = 0L;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var duration = TimeSpan.FromSeconds(settings.Seconds);
            for (var k = 0; k < settings.Triggers && clock.Elapsed < duration; k++)
            {
                var queuedAt = k % n;
                var target = targets[(queuedAt + 1) % n][k / n % TargetsPerInstance];
                if (await LongPollBenchmark.TriggerAsync(http[queuedAt], caller, target) is { } ticks)
                {
                    latencies.Add(ticks);
                }
                else
                {
                    missed++;
                }
            }

            return LatencySample.From(latencies, missed, clock.Elapsed);
        }
        finally
        {
            await LongPollBenchmark.StopPollingAsync(stop, loops);
        }
    }
}
