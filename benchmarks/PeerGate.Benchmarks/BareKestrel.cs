using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PeerGate.Server;

namespace PeerGate.Benchmarks;

/// <summary>What a bare Kestrel app holds per held request, read as the slope between half of the requests and all of them.</summary>
/// <param name="Slope">RSS and heap per held request added between the two readings.</param>
public sealed record BareKestrelResult(MemorySlope Slope, int Held);

/// <summary>
/// The anchor under the long-poll memory line: an ASP.NET Core minimal API with nothing of PeerGate in
/// it, one route that waits until its client goes away, in a process of its own with the server's GC,
/// malloc-arena and logging settings. The benchmark holds one request per keep-alive connection on it,
/// as the long-poll fleet holds one poll per device, so the difference between the two lines is what
/// PeerGate adds to a held request.
/// </summary>
public static class BareKestrel
{
    private const string HoldPath = "/hold";

    /// <summary>Requests opened together, each chunk held before the next (as the long-poll fleet comes online).</summary>
    private const int OpeningAtOnce = 256;

    /// <summary>Held before the first reading, so JIT, pools and caches are not counted per request.</summary>
    private const int WarmRequests = 32;

    /// <summary>The child's side: serves until stdin closes; "mem" answers the heap after a full GC, "held" the requests waiting.</summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        NativeHeap.LimitArenas(new ServerOptions().MallocArenas);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        PeerGateServer.FilterFrameworkLogs(builder.Logging);
        var app = builder.Build();
        var held = 0;
        app.MapGet(HoldPath, async (HttpContext context) =>
        {
            Interlocked.Increment(ref held);
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client went away: nothing to answer.
            }
            finally
            {
                Interlocked.Decrement(ref held);
            }
        });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        Console.WriteLine($"ready {url} 0 {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line == "mem")
            {
                Console.WriteLine(ServedServer.MemoryAnswer());
            }
            else if (line == "held")
            {
                Console.WriteLine("held " + Volatile.Read(ref held).ToString(CultureInfo.InvariantCulture));
            }
        }

        await app.StopAsync();
        return 0;
    }

    /// <summary>Holds <paramref name="requests"/> requests on the child, reading its memory at half of them and at all of them.</summary>
    public static async Task<BareKestrelResult> RunAsync(BenchSettings settings, int requests)
    {
        var workingDirectory = Path.Combine(settings.DataRoot, "peergate-bench-kestrel-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(workingDirectory);
        using var stop = new CancellationTokenSource();
        var waiting = new List<Task>();
        try
        {
            await using var server = await ServedServer.StartBareKestrelAsync(workingDirectory, settings.ServerGc);
            using var client = new HttpClient(new SocketsHttpHandler
            {
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(10),
                MaxConnectionsPerServer = requests + WarmRequests + 64,
            })
            { BaseAddress = new Uri(server.BaseUrl), Timeout = Timeout.InfiniteTimeSpan };

            async Task HoldAsync(int count)
            {
                foreach (var chunk in Enumerable.Range(0, count).Chunk(OpeningAtOnce))
                {
                    foreach (var _ in chunk)
                    {
                        waiting.Add(HeldRequestAsync(client, stop.Token));
                    }

                    await UntilHeldAsync(server, waiting.Count);
                }
            }

            await HoldAsync(WarmRequests);
            var readings = new List<(int Devices, long Resident, long? Heap)>();
            foreach (var checkpoint in new[] { requests / 2, requests }.Where(n => n > 0).Distinct())
            {
                await HoldAsync(checkpoint - (waiting.Count - WarmRequests));
                await Task.Delay(TimeSpan.FromSeconds(settings.Smoke ? 0.2 : 2));
                var (resident, heap) = await server.MemoryAfterGcAsync();
                readings.Add((checkpoint, resident, heap));
            }

            var slope = MemorySlope.Of(readings) ?? throw new InvalidOperationException($"too few requests ({requests}) for two readings");
            return new BareKestrelResult(slope, waiting.Count);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { }, TaskScheduler.Default);
            Directory.Delete(workingDirectory, recursive: true);
        }
    }

    /// <summary>One request held until the benchmark lets go of it.</summary>
    private static async Task HeldRequestAsync(HttpClient client, CancellationToken stop)
    {
        try
        {
            using var response = await client.GetAsync(HoldPath, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Let go.
        }
    }

    /// <summary>Until the child holds <paramref name="expected"/> requests; fails after 60 s with how many it held.</summary>
    private static async Task UntilHeldAsync(ServedServer server, int expected)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var held = 0;
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            held = int.Parse(await server.AskAsync("held"), CultureInfo.InvariantCulture);
            if (held >= expected)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException($"only {held} of {expected} requests were held after 60 s");
    }
}
