using ScottPlot;

namespace PeerGate.Benchmarks;

/// <summary>The benchmark's plots as PNG files beside results.md: latency distributions and memory per device as the fleet grows.</summary>
public static class Plots
{
    private const int Width = 900;

    private const int Height = 520;

    /// <summary>
    /// Latency against percentile, one line per series, on a log scale (a tail ten times longer is one
    /// step up, so a p50 of 0.1 ms and a p99 of 50 ms are both readable); <paramref name="goalMs"/> as a
    /// dashed line. Series without samples are left out; with none at all nothing is written and the result is false.
    /// </summary>
    public static bool LatencyDistribution(string path, string title, IEnumerable<(string Name, double[] SortedMs)> series, double? goalMs = null)
    {
        var plot = new Plot();
        var drawn = 0;
        foreach (var (name, sorted) in series)
        {
            if (sorted.Length == 0)
            {
                continue;
            }

            var percentiles = Enumerable.Range(1, sorted.Length).Select(i => 100.0 * i / sorted.Length).ToArray();
            var scatter = plot.Add.Scatter(percentiles, [.. sorted.Select(ms => Math.Log10(Math.Max(ms, 0.001)))]);
            scatter.LegendText = $"{name} (p50 {At(sorted, 0.50):0.###} ms, p99 {At(sorted, 0.99):0.###} ms)";
            scatter.MarkerSize = 0;
            scatter.LineWidth = 2;
            drawn++;
        }

        if (drawn == 0)
        {
            return false;
        }

        if (goalMs is { } goal)
        {
            var line = plot.Add.HorizontalLine(Math.Log10(goal));
            line.LinePattern = LinePattern.Dashed;
            line.LegendText = $"goal {goal:0.###} ms";
        }

        var p99 = plot.Add.VerticalLine(99);
        p99.LinePattern = LinePattern.Dotted;
        p99.Color = Colors.Gray;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => $"{Math.Pow(10, y):0.###}",
        };
        plot.Axes.SetLimitsX(0, 100.5);
        plot.Title(title);
        plot.XLabel("percentile");
        plot.YLabel("latency, ms (log scale)");
        plot.Legend.Alignment = Alignment.UpperLeft;
        plot.ShowLegend();
        Save(plot, path);
        return true;
    }

    /// <summary>Resident memory per device (KiB) against the number of devices held, one line with markers per series; false when there was nothing to draw.</summary>
    public static bool MemoryGrowth(string path, IEnumerable<(string Name, IReadOnlyList<(int Devices, double BytesPerDevice)>? Points)> series)
    {
        var plot = new Plot();
        var drawn = 0;
        foreach (var (name, points) in series)
        {
            if (points is not { Count: > 0 })
            {
                continue;
            }

            var scatter = plot.Add.Scatter(points.Select(p => (double)p.Devices).ToArray(), points.Select(p => p.BytesPerDevice / 1024).ToArray());
            scatter.LegendText = $"{name} ({points[^1].BytesPerDevice / 1024:0.00} KiB at {points[^1].Devices:N0})";
            scatter.MarkerSize = 8;
            scatter.LineWidth = 2;
            drawn++;
        }

        if (drawn == 0)
        {
            return false;
        }

        plot.Title("Resident memory per idle device as the fleet grows");
        plot.XLabel("idle devices (Mosquitto: subscribed clients)");
        plot.YLabel("RSS per device, KiB");
        var most = series.SelectMany(s => s.Points ?? []).ToArray();
        plot.Axes.SetLimits(0, most.Max(p => p.Devices) * 1.05, 0, most.Max(p => p.BytesPerDevice / 1024) * 1.15);
        plot.Legend.Alignment = Alignment.UpperRight;
        plot.ShowLegend();
        Save(plot, path);
        return true;
    }

    private static void Save(Plot plot, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, Width, Height);
    }

    private static double At(double[] sorted, double p) => sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(p * sorted.Length) - 1)];
}
