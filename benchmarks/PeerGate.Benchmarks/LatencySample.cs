using System.Diagnostics;

namespace PeerGate.Benchmarks;

/// <summary>Throughput and latency percentiles of one measured loop.</summary>
public sealed record LatencySample(long Count, long Failures, double PerSecond, double P50Ms, double P99Ms)
{
    public static LatencySample From(List<long> latencyTicks, long failures, TimeSpan elapsed)
    {
        latencyTicks.Sort();
        return new LatencySample(
            latencyTicks.Count,
            failures,
            latencyTicks.Count / elapsed.TotalSeconds,
            Percentile(latencyTicks, 0.50),
            Percentile(latencyTicks, 0.99));
    }

    private static double Percentile(List<long> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)] * 1000.0 / Stopwatch.Frequency;
}
