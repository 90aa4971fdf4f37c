using System.Diagnostics;

namespace PeerGate.Benchmarks;

/// <summary>Throughput and latency percentiles of one measured loop, and every latency (for the plots).</summary>
public sealed record LatencySample(long Count, long Failures, double PerSecond, double P50Ms, double P99Ms)
{
    /// <summary>Every measured latency in milliseconds, ascending.</summary>
    public double[] SortedMs { get; init; } = [];

    public static LatencySample From(List<long> latencyTicks, long failures, TimeSpan elapsed)
    {
        latencyTicks.Sort();
        return new LatencySample(
            latencyTicks.Count,
            failures,
            latencyTicks.Count / elapsed.TotalSeconds,
            Percentile(latencyTicks, 0.50),
            Percentile(latencyTicks, 0.99))
        {
            SortedMs = [.. latencyTicks.Select(ticks => ticks * 1000.0 / Stopwatch.Frequency)],
        };
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on <paramref name="workers"/> concurrent loops for
    /// <paramref name="warmUp"/> unmeasured, then for <paramref name="duration"/> measured. Each call
    /// gets its worker and its round (rounds count on across the warm-up), and returns its latency in
    /// Stopwatch ticks, or null for a failure. The warm-up is the same loop, so what it leaves behind
    /// (methods the JIT has finished tiering, pooled connections, grown buffers) is what the measured
    /// loop would have settled to in a server that has run for a while.
    /// </summary>
    public static async Task<LatencySample> MeasureAsync(int workers, TimeSpan warmUp, TimeSpan duration, Func<int, int, Task<long?>> operation)
    {
        var latencies = new List<long>[workers];
        var failures = 0L;
        var clock = Stopwatch.StartNew();
        var end = warmUp + duration;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            var mine = latencies[worker] = [];
            for (var round = 0; clock.Elapsed is var began && began < end; round++)
            {
                var ticks = await operation(worker, round);
                if (began < warmUp)
                {
                    continue;
                }

                if (ticks is { } measured)
                {
                    mine.Add(measured);
                }
                else
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })));
        var elapsed = clock.Elapsed - warmUp;
        return From(latencies.SelectMany(l => l).ToList(), failures, elapsed);
    }

    /// <summary>Stopwatch ticks since <paramref name="started"/> when <paramref name="succeeded"/>, else null.</summary>
    public static long? Since(long started, bool succeeded) => succeeded ? Stopwatch.GetTimestamp() - started : null;

    private static double Percentile(List<long> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)] * 1000.0 / Stopwatch.Frequency;
}
