using System.Text.RegularExpressions;

namespace PeerGate.NanoRig.Tests;

/// <summary>
/// The ESP32 application, built as Release from its .nfproj's files, boots on the real interpreter until it needs
/// hardware: its boot line, its JSON self-test (byte for byte the ProofRequest vector) and the crypto self-test's
/// failure (no native crypto here), then it finds no I:\peergate.conf (the interpreter has no flash file system)
/// and waits for the maker, as a board without its configuration does. That line is the boot's closing line:
/// the program sleeps from there on, so the run ends at its timeout. Given its configuration in memory through the
/// same ISettingsFiles the board reads its flash with, it goes on to Wi-Fi, which the interpreter lacks: the
/// connection fails (PG wifi.failed) and the application waits to retry.
/// </summary>
[TestClass]
public sealed partial class BootTests
{
    private static readonly Lazy<StepResult> Run = new(RunProgram);

    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public void TheApplicationBootsToTheFirstHardwareCall()
    {
        StepResult run = Completed();
        string[] lines = run.Output.Split('\n');

        Assert.IsTrue(lines.Contains("PG boot PeerGate ESP32 application"), run.Output);
        Assert.IsTrue(lines.SkipWhile(l => !l.StartsWith("PG selftest.", StringComparison.Ordinal)).First().StartsWith("PG selftest.failed ", StringComparison.Ordinal),
            "the HMAC self-test comes first, as the hardware test reads it" + Environment.NewLine + run.Output);
        Assert.IsTrue(lines.Any(l => l.StartsWith("PG selftest.failed ", StringComparison.Ordinal) && l.Contains("NotSupportedException", StringComparison.Ordinal)),
            "the interpreter has no native HMACSHA256" + Environment.NewLine + run.Output);
        Assert.IsFalse(run.Output.Contains("boot: stopped at", StringComparison.Ordinal), "nothing before the configuration may throw" + Environment.NewLine + run.Output);
    }

    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public void TheJsonSelfTestPrintsTheVectorBytes()
    {
        StepResult run = Completed();
        string expected = File.ReadAllText(Path.Combine(Rig.RepoRoot(), "shared-protocol", "vectors", "messages", "ProofRequest.json")).Trim();

        CollectionAssert.Contains(run.Output.Split('\n'), "PG selftest.json " + expected, run.Output);
    }

    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public void WithItsConfigurationTheApplicationBootsToWifi()
    {
        Rig.Require();
        StepResult run = Configured.Value;
        Console.WriteLine(run.Output);
        string[] lines = run.Output.Split('\n');

        Assert.IsTrue(lines.Contains("PG boot PeerGate ESP32 application"), run.Output);
        Assert.IsFalse(lines.Any(l => l.StartsWith("PG config.", StringComparison.Ordinal)), "the in-memory configuration was read and accepted" + Environment.NewLine + run.Output);
        Assert.IsTrue(lines.Contains("PG wifi.connect peergate-lab"), "past the configuration and the load calibration, at Wi-Fi" + Environment.NewLine + run.Output);
        Assert.IsTrue(lines.SkipWhile(l => l != "PG wifi.connect peergate-lab").Any(l => l.StartsWith("PG wifi.failed status ", StringComparison.Ordinal)),
            "Wi-Fi is the boundary: the interpreter has no Wi-Fi, so the connection fails and the board would retry" + Environment.NewLine + run.Output);
        Assert.IsFalse(run.Output.Contains("boot: stopped at", StringComparison.Ordinal), "nothing before Wi-Fi may throw" + Environment.NewLine + run.Output);
        Assert.IsFalse(run.Output.Contains("not-a-secret-here", StringComparison.Ordinal), "the Wi-Fi password never reaches the log" + Environment.NewLine + run.Output);
    }

    private static readonly Lazy<StepResult> Configured = new(() =>
    {
        NanoRig rig = Rig.Require();
        string boot = Path.Combine(rig.Board.RepoRoot, "firmware", "PeerGate.NanoRig", "Programs", "Boot", "ConfiguredBootProgram.cs");
        string exe = rig.Compile("ConfiguredBoot/PeerGate.Device.Esp32.exe", [.. rig.Board.Sources, boot], debug: false, entryPoint: "PeerGate.NanoRig.Boot.ConfiguredBootProgram");
        return rig.Run(rig.MakePe(exe), timeoutSeconds: 20);
    });

    private static StepResult Completed()
    {
        Rig.Require();
        StepResult run = Run.Value;
        Assert.IsTrue(ClosingLine().IsMatch(run.Output), $"no closing line: the boot did not reach its end{Environment.NewLine}{run}");
        return run;
    }

    private static StepResult RunProgram()
    {
        NanoRig rig = Rig.Require();
        string boot = Path.Combine(rig.Board.RepoRoot, "firmware", "PeerGate.NanoRig", "Programs", "Boot", "BootProgram.cs");
        string exe = rig.Compile("Boot/PeerGate.Device.Esp32.exe", [.. rig.Board.Sources, boot], debug: false, entryPoint: "PeerGate.NanoRig.Boot.BootProgram");
        return rig.Run(rig.MakePe(exe), timeoutSeconds: 20);
    }

    [GeneratedRegex(@"(?m)^PG config\.missing I:\\peergate\.conf")]
    private static partial Regex ClosingLine();
}
