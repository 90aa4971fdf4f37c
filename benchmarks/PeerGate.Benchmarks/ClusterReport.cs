namespace PeerGate.Benchmarks;

/// <summary>
/// The cluster lines: each PostgreSQL size beside SQLite with one instance (the anchor), and two and
/// three instances beside one on PostgreSQL (the scaling). Reported, not judged: no target says how
/// much another instance must add on a machine whose cores every instance shares.
/// </summary>
public static class ClusterReport
{
    /// <summary>What a line reads off a point: its name, the number, how it prints, and which way is better.</summary>
    private sealed record Measure(string Name, Func<ClusterPoint, double> Of, Func<double, string> Text, Better Better);

    private static readonly Measure[] Measures =
    [
        new("registrations /s", point => point.Registrations.PerSecond, value => $"{value:F0}/s", Better.Higher),
        new("trigger p50", point => point.Triggers.P50Ms, value => $"{value:F2} ms", Better.Lower),
        new("trigger p99", point => point.Triggers.P99Ms, value => $"{value:F2} ms", Better.Lower),
        new("connection setups /s", point => point.Connections.PerSecond, value => $"{value:F0}/s", Better.Higher),
        new("connection setup p50", point => point.Connections.P50Ms, value => $"{value:F2} ms", Better.Lower),
    ];

    public static void Print(ClusterResult result)
    {
        Console.WriteLine();
        if (result.Skipped is { } why)
        {
            Console.WriteLine($"  cluster lines skipped: {why}");
            return;
        }

        Console.WriteLine($"  {"cluster",-24}" + string.Concat(result.Points.Select(point => $" {point.Name,14}")));
        foreach (var measure in Measures)
        {
            Console.WriteLine($"  {measure.Name,-24}" + string.Concat(result.Points.Select(point => $" {measure.Text(measure.Of(point)),14}")));
        }

        foreach (var point in result.Points)
        {
            Console.WriteLine($"    {point.Name}: {point.Registrations.Count} registrations ({point.Registrations.Failures} failed), {point.Triggers.Count} triggers ({point.Triggers.Failures} missed), {point.Connections.Count} connections ({point.Connections.Failures} refused)");
        }
    }

    public static IEnumerable<ResultLine> Lines(ClusterResult result)
    {
        if (result.Skipped is { } why)
        {
            yield return ResultLine.NotRun("cluster lines", "SQLite 1 instance", double.PositiveInfinity, Better.Higher, why);
            yield break;
        }

        var anchor = result.Points.FirstOrDefault(point => point is { Engine: "SQLite", Instances: 1 });
        var single = result.Points.FirstOrDefault(point => point is { Engine: "PostgreSQL", Instances: 1 });
        foreach (var point in result.Points.Where(point => point.Engine == "PostgreSQL"))
        {
            foreach (var measure in Measures)
            {
                yield return Line($"{measure.Name}, PostgreSQL {point.Instances}", measure, point, anchor, "SQLite 1 instance");
            }
        }

        foreach (var point in result.Points.Where(point => point is { Engine: "PostgreSQL", Instances: > 1 }))
        {
            foreach (var measure in Measures)
            {
                yield return Line($"{measure.Name}, PostgreSQL {point.Instances}/1", measure, point, single, "PostgreSQL 1 instance");
            }
        }
    }

    private static ResultLine Line(string name, Measure measure, ClusterPoint point, ClusterPoint? anchor, string anchorName)
    {
        var ours = measure.Of(point);
        if (anchor is null)
        {
            return ResultLine.NotRun(name, anchorName, double.PositiveInfinity, measure.Better, $"{anchorName} was not measured");
        }

        var theirs = measure.Of(anchor);
        return new ResultLine(name, measure.Text(ours), $"{anchorName} {measure.Text(theirs)}", ours, theirs, double.PositiveInfinity, measure.Better);
    }
}
