namespace PeerGate.Flash.Tests;

/// <summary>
/// The command line: every problem is one line on stderr naming it, exit code 2, and nothing runs;
/// the checks of every step come before the first step.
/// </summary>
[TestClass]
public sealed class CommandLineTests
{
    private const string Port = "/dev/ttyFAKE0";

    [TestMethod]
    [DataRow(new[] { "config", "--port", Port, "--bogus" }, "unknown option --bogus", DisplayName = "unknown option")]
    [DataRow(new[] { "config", "--port" }, "--port needs a value", DisplayName = "option without its value")]
    [DataRow(new[] { "config", "--port", "--dry-run" }, "--port needs a value", DisplayName = "option followed by an option")]
    [DataRow(new[] { "config", "--port", "a", "--port", "b" }, "--port given more than once", DisplayName = "option given twice")]
    [DataRow(new[] { "flashit", "--port", Port }, "unknown command flashit", DisplayName = "unknown command")]
    [DataRow(new[] { "--port", Port }, "no command given", DisplayName = "no command")]
    [DataRow(new[] { "config", "--port", Port, "extra" }, "unexpected argument extra", DisplayName = "stray argument")]
    [DataRow(new[] { "firmware", "--target", "ESP32_C3" }, "--port is required", DisplayName = "no port")]
    [DataRow(new[] { "firmware", "--port", Port }, "--target is required", DisplayName = "no target")]
    [DataRow(new[] { "firmware", "--port", Port, "--target", "esp32_c3" }, "--target must look like ESP32_S3_QUAD", DisplayName = "lower-case target")]
    [DataRow(new[] { "config", "--port", Port }, "config needs --from FOLDER, --config FILE, or --service-url and --allocation-keys", DisplayName = "config without a source")]
    [DataRow(new[] { "config", "--port", Port, "--service-url", "ftp://x", "--allocation-keys", "a" }, "--service-url must start with http:// or https://", DisplayName = "service URL scheme")]
    [DataRow(new[] { "config", "--port", Port, "--service-url", "https://x" }, "config needs --allocation-keys", DisplayName = "no allocation keys")]
    [DataRow(new[] { "config", "--port", Port, "--service-url", "https://x", "--allocation-keys", "a", "--generate-key" }, "--generate-key needs --key-file", DisplayName = "generate without a key file")]
    [DataRow(new[] { "config", "--port", Port, "--service-url", "https://x", "--allocation-keys", "a", "--wifi-ssid", "lab" }, "--wifi-ssid needs --wifi-password-file", DisplayName = "Wi-Fi without a password file")]
    [DataRow(new[] { "config", "--port", Port, "--service-url", "https://x", "--allocation-keys", "a", "--group-key-file", "g", "--key-file", "k" }, "--group-key-file needs --device-id", DisplayName = "group key without a Device ID")]
    [DataRow(new[] { "config", "--port", Port, "--from", "f", "--key-file", "k", "--ca-file", "c" }, "--from gives peergate.conf, the Device Key and the CA; leave out --key-file, --ca-file", DisplayName = "--from with the files it replaces")]
    [DataRow(new[] { "identity", "--port", Port, "--target", "ESP32_C3" }, "identity needs --device-id HEX and/or --burn-key", DisplayName = "identity with nothing to burn")]
    [DataRow(new[] { "identity", "--port", Port, "--target", "ESP32_C3", "--device-id", "24a160c3d4e5" }, "--device-id must be 12 to 64 upper-case hex digits", DisplayName = "lower-case Device ID")]
    [DataRow(new[] { "identity", "--port", Port, "--target", "ESP32_REV3", "--device-id", "00112233445566778899AABBCCDDEEFF0011223344556677AA" }, "on the original ESP32 use at most 24 bytes", DisplayName = "25 bytes for BLOCK3")]
    [DataRow(new[] { "identity", "--port", Port, "--target", "ESP32_REV3", "--burn-key", "--key-file", "k" }, "ESP32_REV3 has no HMAC peripheral", DisplayName = "key burn on the original ESP32")]
    [DataRow(new[] { "identity", "--port", Port, "--target", "ESP32_C3", "--burn-key" }, "--burn-key needs --key-file (or --from)", DisplayName = "key burn without a key")]
    [DataRow(new[] { "identity", "--port", Port, "--target", "ESP32_C3", "--burn-key", "--key-file", "k", "--key-block", "BLOCK_KEY6" }, "--key-block must be BLOCK_KEY0 .. BLOCK_KEY5", DisplayName = "no such key block")]
    public void BadUsageIsOneLineAndExitCodeTwoAndRunsNothing(string[] args, string message)
    {
        using var sandbox = new FlashSandbox();

        var run = sandbox.Flash(args);

        Assert.AreEqual(ExitCodes.Usage, run.ExitCode, run.All);
        Assert.AreEqual(string.Empty, run.Out, "a usage error prints nothing on stdout");
        var line = run.Error.TrimEnd('\n');
        Assert.DoesNotContain("\n", line, "one line: " + run.Error);
        Assert.StartsWith("peergate-flash: ", line);
        Assert.Contains(message, line);
        Assert.IsEmpty(run.Calls);
    }

    [TestMethod]
    [DataRow("v3", true, "--derivation must be v1 or v2", DisplayName = "unknown derivation")]
    [DataRow("v1", false, "--derivation needs --group-key-file", DisplayName = "derivation without a group key")]
    public void WrongDerivationWritesNoKey(string derivation, bool withGroupKey, string message)
    {
        using var sandbox = new FlashSandbox();
        var groupKey = sandbox.PathOf("group.key");
        File.WriteAllBytes(groupKey, new byte[32]);
        var key = sandbox.PathOf("device.key");
        string[] source = withGroupKey ? ["--group-key-file", groupKey, "--device-id", "24A160C3D4E5"] : ["--generate-key"];

        var run = sandbox.Flash(
        [
            "config", "--port", Port, "--service-url", "http://10.0.0.2:5080", "--allocation-keys", "acme",
            "--key-file", key, "--work-dir", sandbox.PathOf("work"), "--derivation", derivation, .. source,
        ]);

        Assert.AreEqual(ExitCodes.Usage, run.ExitCode, run.All);
        Assert.Contains(message, run.Error);
        Assert.IsFalse(File.Exists(key), "no key was written");
        Assert.IsEmpty(run.Calls);
    }

    [TestMethod]
    [DataRow("10.0.0.2", DisplayName = "no port")]
    [DataRow("10.0.0.2:0", DisplayName = "port 0")]
    [DataRow("10.0.0.2:65536", DisplayName = "port too big")]
    [DataRow("10.0.0.256:5090", DisplayName = "octet too big")]
    [DataRow("010.0.0.2:5090", DisplayName = "leading zero, octal to some parsers")]
    [DataRow("pg.example.com:5090", DisplayName = "host name")]
    [DataRow("10.0.0.2:5090;reboot", DisplayName = "trailing text")]
    [DataRow("10.0.0.2:5090\n", DisplayName = "trailing line break")]
    public void BadUdpServerIsRefusedBeforeAnythingRuns(string value)
    {
        using var sandbox = new FlashSandbox();
        var work = sandbox.PathOf("work");

        var run = sandbox.Flash(
            "all", "--port", Port, "--target", "ESP32_REV3", "--service-url", "https://pg.example.com", "--allocation-keys", "acme",
            "--udp-server", value, "--work-dir", work);

        Assert.AreEqual(ExitCodes.Usage, run.ExitCode, run.All);
        Assert.Contains("--udp-server must be IPv4:PORT", run.Error);
        Assert.IsEmpty(run.Calls);
        Assert.IsFalse(Directory.Exists(work), "a work folder was made");
    }

    [TestMethod]
    [DataRow("--udp-server", "10.0.0.2:5090", DisplayName = "--udp-server")]
    [DataRow("--allow-plain-http", null, DisplayName = "--allow-plain-http")]
    public void NewConfigFlagsWithAnUploadedConfigFileAreRefused(string flag, string? value)
    {
        using var sandbox = new FlashSandbox();
        var conf = sandbox.PathOf("mine.conf");
        File.WriteAllText(conf, "ServiceUrl=https://pg.example.com\nAllocationKeys=acme\n");
        string[] option = value is null ? [flag] : [flag, value];

        var run = sandbox.Flash(["all", "--port", Port, "--target", "ESP32_REV3", "--config", conf, "--work-dir", sandbox.PathOf("work"), .. option]);

        Assert.AreEqual(ExitCodes.Usage, run.ExitCode, run.All);
        Assert.Contains("with --config put UdpServer and AllowPlainHttp in", run.Error);
        Assert.IsEmpty(run.Calls);
    }

    [TestMethod]
    public void AllChecksTheConfigBeforeFlashingTheFirmware()
    {
        // flash.sh flashed the firmware and the application, then stopped at config for the missing keys.
        using var sandbox = new FlashSandbox();

        var run = sandbox.Flash("all", "--port", Port, "--target", "ESP32_C3", "--service-url", "https://pg.example.com", "--image", sandbox.PathOf("app.bin"));

        Assert.AreEqual(ExitCodes.Usage, run.ExitCode, run.All);
        Assert.Contains("config needs --allocation-keys", run.Error);
        Assert.IsEmpty(run.Calls, "nanoff ran: " + string.Join("; ", run.Calls));
    }

    [TestMethod]
    public void AllChecksTheFilesBeforeFlashingTheFirmware()
    {
        using var sandbox = new FlashSandbox();
        var image = sandbox.PathOf("app.bin");
        File.WriteAllBytes(image, [1, 2, 3]);

        var run = sandbox.Flash(
            "all", "--port", Port, "--target", "ESP32_C3", "--image", image, "--service-url", "https://pg.example.com", "--allocation-keys", "acme",
            "--key-file", sandbox.PathOf("missing.key"), "--work-dir", sandbox.PathOf("work"));

        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.All);
        Assert.Contains("no Device Key file", run.Error);
        Assert.IsEmpty(run.Calls);
    }

    [TestMethod]
    public void MissingToolsFailARealRunAndOnlyWarnInADryRun()
    {
        using var sandbox = new FlashSandbox();
        sandbox.Runner.Installed.Clear();
        string[] args = ["identity", "--port", Port, "--target", "ESP32_C3", "--device-id", "24A160C3D4E5", "--confirm", "BURN", "--work-dir", sandbox.PathOf("work")];

        var real = sandbox.Flash(args);
        var dry = sandbox.Flash([.. args, "--dry-run"]);

        Assert.AreEqual(ExitCodes.Failure, real.ExitCode, real.All);
        Assert.Contains("espefuse is not installed: python3 -m pip install esptool", real.Error);
        Assert.AreEqual(ExitCodes.Ok, dry.ExitCode, dry.All);
        Assert.Contains("warning: espefuse is not installed", dry.Error);
        Assert.Contains($"+ espefuse.py -p {Port} burn_block_data", dry.Out);
        Assert.IsEmpty(sandbox.Runner.Calls);
    }

    [TestMethod]
    public void EsptoolFiveIsUsedWhenInstalled()
    {
        using var sandbox = new FlashSandbox();
        sandbox.Runner.Installed.Add("espefuse");

        var run = sandbox.Flash("identity", "--dry-run", "--port", Port, "--target", "ESP32_C3", "--device-id", "24A160C3D4E5");

        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.All);
        Assert.Contains($"+ espefuse -p {Port} summary", run.Out);
    }

    [TestMethod]
    [DataRow(new[] { "help" }, DisplayName = "help")]
    [DataRow(new[] { "--help" }, DisplayName = "--help")]
    [DataRow(new[] { "-h" }, DisplayName = "-h")]
    [DataRow(new[] { "config", "--help" }, DisplayName = "config --help")]
    public void HelpPrintsTheUsageAndSucceeds(string[] args)
    {
        using var sandbox = new FlashSandbox();

        var run = sandbox.Flash(args);

        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.All);
        Assert.StartsWith("usage: peergate-flash <command>", run.Out);
        foreach (var flag in new[] { "--port", "--target", "--dry-run", "--work-dir", "--image", "--from", "--config", "--service-url", "--allocation-keys", "--group-id", "--wifi-ssid", "--wifi-password-file", "--key-file", "--generate-key", "--group-key-file", "--derivation", "--ca-file", "--udp-server", "--allow-plain-http", "--device-id", "--burn-key", "--key-block", "--confirm" })
        {
            Assert.Contains("  " + flag + " ", run.Out, flag + " is not in the usage");
        }

        Assert.IsEmpty(run.Calls);
    }

    [TestMethod]
    public void NoArgumentsPrintsTheUsageAsAnError()
    {
        using var sandbox = new FlashSandbox();

        var run = sandbox.Flash();

        Assert.AreEqual(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("usage: peergate-flash", run.Error);
        Assert.AreEqual(string.Empty, run.Out);
    }

    [TestMethod]
    public void EveryCommandTakesEveryFlagAsFlashShDid()
    {
        using var sandbox = new FlashSandbox();

        // A maker's line for "all", cut down to one step, still runs.
        var run = sandbox.Flash(
            "firmware", "--dry-run", "--port", Port, "--target", "ESP32_C3", "--service-url", "https://pg.example.com", "--allocation-keys", "acme",
            "--image", "x.bin", "--key-block", "BLOCK_KEY1");

        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.All);
        CollectionAssert.AreEqual(new[] { $"+ nanoff --target ESP32_C3 --serialport {Port} --update" }, run.CommandLines);
    }
}
