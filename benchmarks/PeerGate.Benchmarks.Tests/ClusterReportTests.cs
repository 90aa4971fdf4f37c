namespace PeerGate.Benchmarks.Tests;

/// <summary>The cluster lines: every PostgreSQL size beside SQLite with one instance, the scaling beside PostgreSQL with one, and a skipped group says why.</summary>
[TestClass]
public sealed class ClusterReportTests
{
    private static ClusterPoint Point(string engine, int instances, double registrations, double triggerP50, double setups) => new(
        engine,
        instances,
        new LatencySample(100, 0, registrations, 1, 2),
        new LatencySample(20, 0, 100, triggerP50, triggerP50 * 2),
        new LatencySample(50, 0, setups, 4, 8));

    private static readonly ClusterResult Measured = new(
    [
        Point("SQLite", 1, 1000, 2, 200),
        Point("PostgreSQL", 1, 500, 4, 100),
        Point("PostgreSQL", 2, 750, 5, 150),
        Point("PostgreSQL", 3, 900, 6, 180),
    ], null);

    [TestMethod]
    public void EachPostgresSizeIsBesideTheSqliteAnchor()
    {
        var lines = ClusterReport.Lines(Measured).ToDictionary(line => line.Name);
        Assert.AreEqual(0.5, lines["registrations /s, PostgreSQL 1"].Ratio!.Value, 1e-9);
        Assert.AreEqual(0.9, lines["registrations /s, PostgreSQL 3"].Ratio!.Value, 1e-9);
        Assert.AreEqual(3, lines["trigger p50, PostgreSQL 3"].Ratio!.Value, 1e-9);
        Assert.AreEqual("SQLite 1 instance 1000/s", lines["registrations /s, PostgreSQL 2"].Anchor);
        Assert.IsTrue(lines.Values.All(line => line.Verdict == "reported"), "reported, never judged");
    }

    [TestMethod]
    public void ScalingIsSeveralInstancesOverOneOnPostgres()
    {
        var lines = ClusterReport.Lines(Measured).ToDictionary(line => line.Name);
        Assert.AreEqual(1.5, lines["registrations /s, PostgreSQL 2/1"].Ratio!.Value, 1e-9);
        Assert.AreEqual(1.8, lines["connection setups /s, PostgreSQL 3/1"].Ratio!.Value, 1e-9);
        Assert.AreEqual("PostgreSQL 1 instance 100/s", lines["connection setups /s, PostgreSQL 3/1"].Anchor);
        Assert.IsFalse(lines.ContainsKey("registrations /s, PostgreSQL 1/1"));
        Assert.AreEqual(5 * 3 + 5 * 2, lines.Count, "five measures for each PostgreSQL size and each scaling");
    }

    [TestMethod]
    public void WithoutPostgresTheGroupIsOneSkippedLineSayingWhy()
    {
        var lines = ClusterReport.Lines(ClusterResult.NotRun("PostgreSQL is not installed")).ToList();
        Assert.AreEqual(1, lines.Count);
        Assert.AreEqual("skipped: PostgreSQL is not installed", lines[0].Verdict);
    }

    [TestMethod]
    public void ALoopThatAnsweredNothingIsNotMeasured()
    {
        var empty = new ClusterPoint("PostgreSQL", 2, LatencySample.From([], 3, TimeSpan.FromSeconds(1)), LatencySample.From([], 0, TimeSpan.FromSeconds(1)), LatencySample.From([], 0, TimeSpan.FromSeconds(1)));
        Assert.IsFalse(empty.Measured);
        var lines = ClusterReport.Lines(new ClusterResult([Point("SQLite", 1, 1000, 2, 200), empty], null)).ToDictionary(line => line.Name);
        Assert.AreEqual("skipped: not measured", lines["trigger p50, PostgreSQL 2"].Verdict);
        Assert.AreEqual("skipped: PostgreSQL 1 instance was not measured", lines["trigger p50, PostgreSQL 2/1"].Verdict);
    }
}
