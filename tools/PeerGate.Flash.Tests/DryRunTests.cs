namespace PeerGate.Flash.Tests;

/// <summary>
/// A dry run prints every command line each step would run, for every target family the tool knows,
/// and runs nothing and writes nothing.
/// </summary>
[TestClass]
public sealed class DryRunTests
{
    private const string Port = "/dev/ttyFAKE0";
    private const string DeviceId = "24A160C3D4E5";

    [TestMethod]
    // The original ESP32: the custom ID goes to BLOCK3; there is no HMAC peripheral, so no key block.
    [DataRow("ESP32_REV0", false)]
    [DataRow("ESP32_REV3", false)]
    [DataRow("ESP32_PSRAM_REV0", false)]
    [DataRow("ESP32_PSRAM_REV3", false)]
    [DataRow("ESP32_BLE_REV0", false)]
    // The chips with the HMAC peripheral: BLOCK_USR_DATA, and the key in a key block.
    [DataRow("ESP32_S2", true)]
    [DataRow("ESP32_S3_QUAD", true)]
    [DataRow("ESP32_S3_OCTAL", true)]
    [DataRow("ESP32_C3", true)]
    [DataRow("ESP32_C5_THREAD", true)]
    [DataRow("ESP32_C6_THREAD", true)]
    [DataRow("ESP32_C61", true)]
    [DataRow("ESP32_H2_THREAD", true)]
    [DataRow("ESP32_P4_REV_LESS3", true)]
    public void DryRunOfAllPrintsEveryCommandLineForTheTarget(string target, bool hmac)
    {
        using var sandbox = new FlashSandbox();
        var key = sandbox.PathOf("device.key");
        var work = sandbox.PathOf("work");
        var ca = sandbox.PathOf("ca.pem");
        string[] burnKey = hmac ? ["--burn-key"] : [];

        var run = sandbox.Flash(
        [
            "all", "--dry-run", "--port", Port, "--target", target,
            "--service-url", "https://pg.example.com", "--allocation-keys", "acme,sensor-v2",
            "--key-file", key, "--generate-key", "--ca-file", ca,
            "--wifi-ssid", "lab", "--wifi-password-file", sandbox.PathOf("wifi.txt"),
            "--device-id", DeviceId, "--work-dir", work, .. burnKey,
        ]);

        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.All);
        var block = hmac ? "BLOCK_USR_DATA" : "BLOCK3";
        List<string> expected =
        [
            $"+ nanoff --target {target} --serialport {Port} --update",
            $"+ nanoff --target {target} --serialport {Port} --deploy --image /repo/firmware/PeerGate.Device.Esp32/bin/Release/PeerGate.Device.Esp32.bin",
            $"+ nanoff --filedeployment {work}/files.json",
            $"+ nanoff --serialport {Port} --networkdeployment {work}/network.json",
            $"+ espefuse.py -p {Port} summary",
            $"+ espefuse.py -p {Port} burn_block_data {block} {work}/device-id.bin",
            $"+ espefuse.py -p {Port} write_protect_efuse {block}",
        ];
        if (hmac)
        {
            expected.Add($"+ espefuse.py -p {Port} burn_key BLOCK_KEY0 {key} HMAC_UP");
        }

        CollectionAssert.AreEqual(expected, run.CommandLines, string.Join("\n", run.CommandLines));
        Assert.DoesNotContain("read_protect", run.Out);
        Assert.Contains($"(dry run: would ask you to type {Port} or BURN)", run.Out);
        Assert.Contains($"\"SourceFilePath\":\"{key}\"", run.Out, "the dry run shows the file deployment list");
        Assert.Contains($"\"DestinationFilePath\":\"I:\\\\peergate-ca.pem\",\"SourceFilePath\":\"{ca}\"", run.Out);
        Assert.IsEmpty(run.Calls, "a tool was run");
        Assert.IsFalse(Directory.Exists(work), "the dry run made its work folder");
        Assert.IsFalse(File.Exists(key), "the dry run generated a key");
        Assert.AreEqual(string.Empty, run.Error);
    }

    [TestMethod]
    [DataRow("firmware", "+ nanoff --target ESP32_C3 --serialport /dev/ttyFAKE0 --update")]
    [DataRow("deploy", "+ nanoff --target ESP32_C3 --serialport /dev/ttyFAKE0 --deploy --image /tmp/my' app.bin")]
    public void EachStepOnItsOwnPrintsItsCommandLine(string command, string expected)
    {
        using var sandbox = new FlashSandbox();

        var run = sandbox.Flash(command, "--dry-run", "--port", Port, "--target", "ESP32_C3", "--image", "/tmp/my' app.bin");

        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.All);
        var quoted = expected.Replace("/tmp/my' app.bin", "'/tmp/my'\\'' app.bin'", StringComparison.Ordinal);
        CollectionAssert.AreEqual(new[] { quoted }, run.CommandLines);
    }

    [TestMethod]
    public void IdentityAloneWithAnEfuseKeyPrintsTheBurnsInOrder()
    {
        using var sandbox = new FlashSandbox();
        var key = sandbox.PathOf("device.key");

        var run = sandbox.Flash("identity", "--dry-run", "--port", Port, "--target", "ESP32_S3_QUAD", "--burn-key", "--key-file", key, "--key-block", "BLOCK_KEY3", "--work-dir", sandbox.PathOf("w"));

        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.All);
        CollectionAssert.AreEqual(
            new[] { $"+ espefuse.py -p {Port} summary", $"+ espefuse.py -p {Port} burn_key BLOCK_KEY3 {key} HMAC_UP" },
            run.CommandLines);
        Assert.Contains($"the 32-byte Device Key from {key} into BLOCK_KEY3, purpose HMAC_UP", run.Out);
    }

    [TestMethod]
    public void DryRunShowsTheGeneratedConfigWithTheUdpServerAndLabOnlyPlainHttpLines()
    {
        using var sandbox = new FlashSandbox();
        var work = sandbox.PathOf("work");

        var run = sandbox.Flash(
            "config", "--dry-run", "--port", Port, "--service-url", "http://10.0.0.2:5080", "--allocation-keys", "acme",
            "--group-id", "factory-1", "--udp-server", "10.0.0.2:5090", "--allow-plain-http", "--work-dir", work);

        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.All);
        Assert.Contains(
            $"+ write {work}/peergate.conf (peergate.conf)\n" +
            "    # written by peergate-flash config\n" +
            "    ServiceUrl=http://10.0.0.2:5080\n" +
            "    AllocationKeys=acme\n" +
            "    GroupId=factory-1\n" +
            "    UdpServer=10.0.0.2:5090\n" +
            "    # lab only: plain http:// to servers on other hosts\n" +
            "    AllowPlainHttp=true\n",
            run.Out);
        Assert.Contains("warning: --allow-plain-http: lab only", run.Error);
        CollectionAssert.AreEqual(new[] { $"+ nanoff --filedeployment {work}/files.json" }, run.CommandLines);
        Assert.IsEmpty(run.Calls);
        Assert.IsFalse(Directory.Exists(work), "the dry run made its work folder");
    }

    [TestMethod]
    public void DryRunNeverShowsTheWifiPassword()
    {
        using var sandbox = new FlashSandbox();
        var password = sandbox.PathOf("wifi.txt");
        File.WriteAllText(password, "hunter2-secret\n");

        var run = sandbox.Flash(
            "config", "--dry-run", "--port", Port, "--service-url", "https://pg.example.com", "--allocation-keys", "acme",
            "--wifi-ssid", "lab", "--wifi-password-file", password);

        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.All);
        Assert.DoesNotContain("hunter2", run.All);
        Assert.Contains("network.json (Wi-Fi settings; holds the password, deleted after use)", run.Out);
        Assert.Contains("/tmp/peergate-flash.DRYRUN", run.Out.Replace(sandbox.PathOf("tmp"), "/tmp", StringComparison.Ordinal));
    }
}
