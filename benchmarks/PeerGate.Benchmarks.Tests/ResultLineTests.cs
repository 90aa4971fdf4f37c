namespace PeerGate.Benchmarks.Tests;

/// <summary>A line's verdict follows its ratio and direction; a line without a measurement is never met or missed.</summary>
[TestClass]
public sealed class ResultLineTests
{
    [TestMethod]
    public void HigherIsBetterMeetsAtTheTargetAndMissesBelowIt()
    {
        Assert.AreEqual("met", new ResultLine("r", "", "", 3000, 1000, 3, Better.Higher).Verdict);
        Assert.AreEqual("missed: fsync", new ResultLine("r", "", "", 2999, 1000, 3, Better.Higher, Limit: "fsync").Verdict);
    }

    [TestMethod]
    public void LowerIsBetterMeetsAtTheTargetAndMissesAboveIt()
    {
        Assert.AreEqual("met", new ResultLine("p", "", "", 2, 1, 2, Better.Lower).Verdict);
        Assert.AreEqual("missed", new ResultLine("p", "", "", 2.01, 1, 2, Better.Lower).Verdict);
    }

    [TestMethod]
    public void NotANumberOrAZeroAnchorIsSkippedNotJudged()
    {
        Assert.AreEqual("skipped: not measured", new ResultLine("n", "", "", double.NaN, 1, 1, Better.Lower).Verdict);
        Assert.AreEqual("skipped: not measured", new ResultLine("z", "", "", 1, 0, 1, Better.Lower).Verdict);
        Assert.AreEqual("n/a", new ResultLine("z", "", "", 1, 0, 1, Better.Lower).RatioText);
        Assert.AreEqual("skipped: mosquitto not installed", ResultLine.NotRun("m", "Mosquitto", 1, Better.Lower, "mosquitto not installed").Verdict);
    }

    [TestMethod]
    public void PlaceholderDeviceCoreValuesAreNeverReportedAsResults()
    {
        var lines = DeviceCoreLine.Lines(new DeviceCoreResult(double.NaN, double.NaN, double.NaN, 0, 0, 0)).ToList();
        Assert.IsTrue(lines.All(l => l.Verdict == "skipped: not measured"), string.Join("; ", lines.Select(l => l.Verdict)));
    }

    [TestMethod]
    public void ZeroBytesAllocatedMeetsTheGoalAndAnyByteMissesIt()
    {
        var lines = DeviceCoreLine.Lines(new DeviceCoreResult(0, 56, 0, 32, 60, 20)).ToList();
        CollectionAssert.AreEqual(new[] { "met", "missed: 56 B allocated per call", "met", "reported" }, lines.Select(l => l.Verdict).ToArray());
    }

    [TestMethod]
    public void MarkdownEscapesPipesInsideCells()
    {
        var markdown = ResultsReport.Markdown([new ResultLine("a|b", "1", "2", 1, 2, 1, Better.Lower)], ["note"]);
        StringAssert.Contains(markdown, "| a\\|b | 1 | 2 | 0.5x | <= 1x | met |");
        StringAssert.Contains(markdown, "- note");
    }
}
