using PeerGate.Fuzz.Engine;

namespace PeerGate.Fuzz.Tests;

/// <summary>
/// Every target for a bounded number of inputs with a fixed seed (the same inputs every run), and
/// every kept regression input. A long run is `peergate-fuzz --all --seconds N` (DEVELOPERS.md).
/// </summary>
[TestClass]
public sealed class FuzzSmokeTests
{
    private const int Seed = 20261201;

    public static IEnumerable<object[]> Targets => TargetList.Names.Select(n => new object[] { n });

    public static IEnumerable<object[]> KeptInputs => Regressions.All().Select(r => new object[] { r.Target, r.Name });

    [TestMethod]
    [DynamicData(nameof(Targets))]
    public void EveryTargetHoldsForItsSmokeIterations(string name)
    {
        using var target = TargetList.Create(name);
        var report = new FuzzRunner(target, Seed, null).Run(target.SmokeIterations, TimeSpan.MaxValue);

        Assert.AreEqual(0, report.Findings.Count, string.Join(Environment.NewLine, report.Findings.Select(f => f.Problem + " on " + Convert.ToHexString(f.Input))));
        Assert.AreEqual(target.SmokeIterations, report.Iterations, "the run stopped early");
        Assert.IsTrue(report.Outcomes >= 2, $"{name}: the mutants reached only {report.Outcomes} outcome(s): the seeds or the mutations are not exercising it");
    }

    [TestMethod]
    [DynamicData(nameof(KeptInputs))]
    public void EveryKeptInputIsNowHandled(string name, string file)
    {
        Assert.IsTrue(TargetList.Names.Contains(name), $"regressions/{name} names no target");
        using var target = TargetList.Create(name);
        var input = Regressions.For(name).Single(r => r.Name == file).Input;

        Assert.IsNull(FuzzRunner.Replay(target, input));
    }

    [TestMethod]
    public void TheKnownPastCrashesAreKept()
    {
        var kept = Regressions.All().ToList();
        foreach (var plain in Enumerable.Range(4097, 15))
        {
            Assert.IsTrue(kept.Any(r => r.Target == "frame-open-tagged" && r.Name == $"plaintext-{plain}.bin"), $"the {plain}-byte plaintext is kept");
        }

        Assert.IsTrue(kept.Any(r => r.Target == "server-http" && System.Text.Encoding.UTF8.GetString(r.Input).Contains("{\"DeviceI\\ud800\":\"x\"}", StringComparison.Ordinal)), "the challenge that answered 500 is kept");
    }

    [TestMethod]
    public void AKeptRegressionIsCheckedAgainstItsOutcome()
    {
        // The oracle, not just "no exception": the 4097-byte plaintext must be refused as malformed.
        using var target = TargetList.Create("frame-open-tagged");
        var input = Regressions.For("frame-open-tagged").Single(r => r.Name == "plaintext-4097.bin").Input;

        Assert.AreEqual("frame_malformed", target.Run(input));
    }

    [TestMethod]
    public void TheSameSeedRunsTheSameInputs()
    {
        using var first = TargetList.Create("request");
        using var second = TargetList.Create("request");
        var a = new FuzzRunner(first, 7, null).Run(500, TimeSpan.MaxValue);
        var b = new FuzzRunner(second, 7, null).Run(500, TimeSpan.MaxValue);

        Assert.AreEqual(a.CorpusSize, b.CorpusSize);
        Assert.AreEqual(a.Outcomes, b.Outcomes);
    }
}
