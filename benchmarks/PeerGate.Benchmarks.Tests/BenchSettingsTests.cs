using PeerGate.CliSupport;

namespace PeerGate.Benchmarks.Tests;

/// <summary>The command line: defaults of a full and a smoke run, --only, and bad values refused with exit 2 before anything runs.</summary>
[TestClass]
public sealed class BenchSettingsTests
{
    private static async Task<(int Code, BenchSettings? Settings, string Output, string Error)> ParseAsync(params string[] args)
    {
        BenchSettings? seen = null;
        var root = BenchSettings.Command(settings =>
        {
            seen = settings;
            return Task.FromResult(0);
        });
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliHost.RunAsync(root, args, output, error);
        return (code, seen, output.ToString(), error.ToString());
    }

    [TestMethod]
    public async Task AFullRunHoldsTenThousandDevicesAndWritesItsResults()
    {
        var (code, settings, _, _) = await ParseAsync();
        Assert.AreEqual(0, code);
        Assert.IsNotNull(settings);
        Assert.AreEqual(10_000, settings.IdleDevices);
        Assert.AreEqual(1_000, settings.Triggers);
        Assert.IsFalse(settings.Smoke);
        Assert.IsNotNull(settings.OutDir);
        CollectionAssert.AreEquivalent(BenchGroups.All, settings.Only.ToArray());
    }

    [TestMethod]
    public async Task ASmokeRunIsSmallAndWritesNothingUnlessAsked()
    {
        var (_, smoke, _, _) = await ParseAsync("--smoke");
        Assert.IsTrue(smoke!.Smoke);
        Assert.AreEqual(50, smoke.IdleDevices);
        Assert.IsNull(smoke.OutDir);
        var (_, written, _, _) = await ParseAsync("--smoke", "--out", "somewhere");
        Assert.AreEqual("somewhere", written!.OutDir);
    }

    [TestMethod]
    public async Task OnlyNarrowsTheGroupsAndSizesAreTaken()
    {
        var (code, settings, _, _) = await ParseAsync("--only", "long-poll", "udp", "--devices", "2000", "--triggers", "50", "--gc", "server");
        Assert.AreEqual(0, code);
        Assert.IsTrue(settings!.Runs(BenchGroups.LongPoll) && settings.Runs(BenchGroups.Udp));
        Assert.IsFalse(settings.Runs(BenchGroups.Http) || settings.Runs(BenchGroups.DeviceCore));
        Assert.AreEqual(2000, settings.IdleDevices);
        Assert.AreEqual(50, settings.Triggers);
        Assert.IsTrue(settings.ServerGc);
    }

    [TestMethod]
    public async Task TheClusterLinesAreAGroupOfTheirOwnAndRunByDefault()
    {
        var (code, settings, _, _) = await ParseAsync("--only", "cluster", "--seconds", "5");
        Assert.AreEqual(0, code);
        Assert.IsTrue(settings!.Runs(BenchGroups.Cluster));
        Assert.IsFalse(settings.Runs(BenchGroups.Http));
        Assert.AreEqual(5, settings.Seconds);
        Assert.IsTrue((await ParseAsync("--smoke")).Settings!.Runs(BenchGroups.Cluster));
    }

    [TestMethod]
    public async Task HelpAnswersAndRunsNothing()
    {
        var (code, settings, output, _) = await ParseAsync("--help");
        Assert.AreEqual(0, code);
        Assert.IsNull(settings);
        StringAssert.Contains(output, "--only");
        StringAssert.Contains(output, "--devices");
    }

    [TestMethod]
    [DataRow("--only", "everything")]
    [DataRow("--devices", "5")]
    [DataRow("--devices", "ten")]
    [DataRow("--data-dir", "/no/such/folder")]
    [DataRow("--gc", "fast")]
    public async Task BadValuesAreOneLineAndExitTwo(string option, string value)
    {
        var (code, settings, _, error) = await ParseAsync(option, value);
        Assert.AreEqual(ExitCodes.Usage, code);
        Assert.IsNull(settings);
        StringAssert.StartsWith(error, "error: ");
        Assert.AreEqual(1, error.TrimEnd().Split('\n').Length, error);
    }

    [TestMethod]
    public void TheMemoryCurveIsReadAtATenthThreeTenthsHalfAndAll()
    {
        CollectionAssert.AreEqual(new[] { 1_000, 3_000, 5_000, 10_000 }, DeviceFleet.Checkpoints(10_000));
        CollectionAssert.AreEqual(new[] { 10, 30, 50, 100 }, DeviceFleet.Checkpoints(100));
    }

    [TestMethod]
    public void TheSlopeIsTheGrowthFromHalfTheFleetToAllOfItPerAddedDevice()
    {
        // A fixed 40 MB that grows once in the first batch, then 1 000 bytes per device.
        var slope = MemorySlope.Of([(1_000, 41_000_000L, (long?)9_000_000), (3_000, 43_000_000L, 9_500_000), (5_000, 45_000_000L, 10_000_000), (10_000, 50_000_000L, 11_000_000)]);

        Assert.IsNotNull(slope);
        Assert.AreEqual(5_000, slope.From);
        Assert.AreEqual(10_000, slope.To);
        Assert.AreEqual(1_000, slope.ResidentPerDevice, 1e-9);
        Assert.AreEqual(200, slope.HeapPerDevice!.Value, 1e-9);
    }

    [TestMethod]
    public void ASlopeNeedsTwoReadingsAndGoesWithoutHeapWhereThereIsNone()
    {
        Assert.IsNull(MemorySlope.Of([(100, 1_000L, (long?)null)]));
        var slope = MemorySlope.Of([(3, 1_000L, (long?)null), (10, 8_000L, null)]);
        Assert.AreEqual(3, slope!.From);
        Assert.AreEqual(1_000, slope.ResidentPerDevice, 1e-9);
        Assert.IsNull(slope.HeapPerDevice);
    }
}
