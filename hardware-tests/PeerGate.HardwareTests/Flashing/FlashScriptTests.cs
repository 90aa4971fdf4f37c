using System.Diagnostics;
using System.Text.Json;
using PeerGate.HardwareTests.Rig;

namespace PeerGate.HardwareTests.Flashing;

/// <summary>
/// flash.sh against stand-in nanoff/espefuse tools that only record how they were called: the dry run
/// prints every command and runs nothing, and no eFuse is burned without the typed confirmation.
/// </summary>
[TestClass]
public sealed class FlashScriptTests
{
    private const string Port = "/dev/ttyFAKE0";

    private string _dir = null!;
    private string _toolLog = null!;

    [TestInitialize]
    public void CreateSandbox()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Inconclusive("flash.sh runs on Linux and macOS; flash.cmd is the Windows twin");
            return;
        }

        _dir = Directory.CreateTempSubdirectory("peergate-flash-test-").FullName;
        _toolLog = Path.Combine(_dir, "tool-calls.log");
        string bin = Directory.CreateDirectory(Path.Combine(_dir, "bin")).FullName;
        foreach (string tool in new[] { "nanoff", "espefuse.py" })
        {
            string path = Path.Combine(bin, tool);
            File.WriteAllText(path, $"#!/bin/sh\necho \"{tool} $*\" >> \"$TOOL_LOG\"\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [TestCleanup]
    public void DeleteSandbox()
    {
        if (_dir is not null && Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [TestMethod]
    public void DryRunOfAllPrintsEveryCommandAndRunsNothing()
    {
        string key = Path.Combine(_dir, "device.key");
        string work = Path.Combine(_dir, "work");

        Result result = Flash(
            "all", "--dry-run", "--port", Port, "--target", "ESP32_S3_QUAD",
            "--service-url", "https://pg.example.com", "--allocation-keys", "acme,sensor-v2",
            "--key-file", key, "--generate-key", "--ca-file", Path.Combine(_dir, "ca.pem"),
            "--wifi-ssid", "lab", "--wifi-password-file", Path.Combine(_dir, "wifi.txt"),
            "--device-id", "24A160C3D4E5", "--burn-key", "--work-dir", work);

        Assert.AreEqual(0, result.ExitCode, result.Output);
        string[] expected =
        [
            $"+ nanoff --target ESP32_S3_QUAD --serialport {Port} --update",
            $"+ nanoff --target ESP32_S3_QUAD --serialport {Port} --deploy --image ",
            $"+ nanoff --filedeployment {work}/files.json",
            $"+ nanoff --serialport {Port} --networkdeployment {work}/network.json",
            $"+ espefuse.py -p {Port} summary",
            $"+ espefuse.py -p {Port} burn_block_data BLOCK_USR_DATA {work}/device-id.bin",
            $"+ espefuse.py -p {Port} write_protect_efuse BLOCK_USR_DATA",
            $"+ espefuse.py -p {Port} burn_key BLOCK_KEY0 {key} HMAC_UP",
        ];
        foreach (string line in expected)
        {
            Assert.Contains(line, result.Output);
        }

        Assert.DoesNotContain("read_protect", result.Output);
        Assert.IsFalse(File.Exists(_toolLog), "a tool was run: " + (File.Exists(_toolLog) ? File.ReadAllText(_toolLog) : ""));
        Assert.IsFalse(Directory.Exists(work), "the dry run wrote its work folder");
        Assert.IsFalse(File.Exists(key), "the dry run generated a key");
    }

    [TestMethod]
    public void IdentityWithoutConfirmationBurnsNothing()
    {
        Result result = Flash("identity", "--port", Port, "--target", "ESP32_REV3", "--device-id", "24A160C3D4E5", "--work-dir", Path.Combine(_dir, "work"));

        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        CollectionAssert.AreEqual(new[] { $"espefuse.py -p {Port} summary" }, ToolCalls());
    }

    [TestMethod]
    public void WrongConfirmationBurnsNothing()
    {
        Result result = Flash("identity", "--port", Port, "--target", "ESP32_REV3", "--device-id", "24A160C3D4E5", "--confirm", "yes", "--work-dir", Path.Combine(_dir, "work"));

        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        Assert.Contains("nothing was burned", result.Output);
        CollectionAssert.AreEqual(new[] { $"espefuse.py -p {Port} summary" }, ToolCalls());
    }

    [TestMethod]
    public void ConfirmedIdentityBurnsBlock3AndWriteProtectsIt()
    {
        string work = Path.Combine(_dir, "work");

        Result result = Flash("identity", "--port", Port, "--target", "ESP32_REV3", "--device-id", "24A160C3D4E5", "--confirm", Port, "--work-dir", work);

        Assert.AreEqual(0, result.ExitCode, result.Output);
        CollectionAssert.AreEqual(
            new[]
            {
                $"espefuse.py -p {Port} summary",
                $"espefuse.py -p {Port} burn_block_data BLOCK3 {work}/device-id.bin",
                $"espefuse.py -p {Port} write_protect_efuse BLOCK3",
            },
            ToolCalls());
        CollectionAssert.AreEqual(Convert.FromHexString("24A160C3D4E5"), File.ReadAllBytes(Path.Combine(work, "device-id.bin")));
    }

    [TestMethod]
    public void KeyBurnIsRefusedOnTheOriginalEsp32()
    {
        string key = Path.Combine(_dir, "device.key");
        File.WriteAllBytes(key, new byte[32]);

        Result result = Flash("identity", "--port", Port, "--target", "ESP32_REV3", "--burn-key", "--key-file", key, "--confirm", "BURN");

        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        Assert.Contains("no HMAC peripheral", result.Output);
        Assert.IsFalse(File.Exists(_toolLog), "a tool was run");
    }

    [TestMethod]
    [DataRow(null, "groupDerivedDeviceKeyV2", DisplayName = "default: v2")]
    [DataRow("v2", "groupDerivedDeviceKeyV2", DisplayName = "v2")]
    [DataRow("v1", "groupDerivedDeviceKey", DisplayName = "v1, for groups enrolled before v2")]
    public void ConfigDerivesTheGroupKeyLikeTheServer(string? derivation, string expected)
    {
        RequireTool("openssl");
        RequireTool("xxd");
        using JsonDocument vector = JsonDocument.Parse(File.ReadAllText(RepoPaths.Vector("auth-proof.json")));
        JsonElement root = vector.RootElement;
        string groupKey = Path.Combine(_dir, "group.key");
        File.WriteAllBytes(groupKey, Convert.FromHexString(root.GetProperty("groupKey").GetString()!));
        string key = Path.Combine(_dir, "device.key");
        string work = Path.Combine(_dir, "work");
        string[] chosen = derivation is null ? [] : ["--derivation", derivation];

        Result result = Flash(
            [
                "config", "--port", Port, "--service-url", "http://10.0.0.2:5080", "--allocation-keys", "acme",
                "--group-id", "factory-1", "--group-key-file", groupKey, "--device-id", root.GetProperty("deviceId").GetString()!,
                "--key-file", key, "--work-dir", work, .. chosen,
            ]);

        Assert.AreEqual(0, result.ExitCode, result.Output);
        Assert.AreEqual(root.GetProperty(expected).GetString(), Convert.ToHexString(File.ReadAllBytes(key)));
        Assert.Contains($"(derivation {derivation ?? "v2"})", result.Output);
        string files = File.ReadAllText(Path.Combine(work, "files.json"));
        Assert.Contains("\"DestinationFilePath\":\"I:\\\\peergate.key\"", files);
        Assert.Contains("GroupId=factory-1", File.ReadAllText(Path.Combine(work, "peergate.conf")));
        CollectionAssert.AreEqual(new[] { $"nanoff --filedeployment {work}/files.json" }, ToolCalls());
    }

    [TestMethod]
    [DataRow("v3", true, "--derivation must be v1 or v2", DisplayName = "unknown derivation")]
    [DataRow("v1", false, "--derivation needs --group-key-file", DisplayName = "derivation without a group key")]
    public void WrongDerivationWritesNoKey(string derivation, bool withGroupKey, string message)
    {
        string groupKey = Path.Combine(_dir, "group.key");
        File.WriteAllBytes(groupKey, new byte[32]);
        string key = Path.Combine(_dir, "device.key");
        string[] source = withGroupKey ? ["--group-key-file", groupKey, "--device-id", "24A160C3D4E5"] : ["--generate-key"];

        Result result = Flash(
            [
                "config", "--port", Port, "--service-url", "http://10.0.0.2:5080", "--allocation-keys", "acme",
                "--key-file", key, "--work-dir", Path.Combine(_dir, "work"), "--derivation", derivation, .. source,
            ]);

        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        Assert.Contains(message, result.Output);
        Assert.IsFalse(File.Exists(key), "no key was written");
        Assert.IsFalse(File.Exists(_toolLog), "a tool was run");
    }

    [TestMethod]
    public void DryRunShowsTheUdpServerAndLabOnlyPlainHttpLines()
    {
        string work = Path.Combine(_dir, "work");

        Result result = Flash(
            "config", "--dry-run", "--port", Port, "--service-url", "http://10.0.0.2:5080", "--allocation-keys", "acme",
            "--udp-server", "10.0.0.2:5090", "--allow-plain-http", "--work-dir", work);

        Assert.AreEqual(0, result.ExitCode, result.Output);
        Assert.Contains("    UdpServer=10.0.0.2:5090\n", result.Output);
        Assert.Contains("    AllowPlainHttp=true\n", result.Output);
        Assert.Contains("lab only", result.Output);
        Assert.IsFalse(File.Exists(_toolLog), "a tool was run");
        Assert.IsFalse(Directory.Exists(work), "the dry run wrote its work folder");
    }

    [TestMethod]
    public void ConfigWritesUdpServerAndAllowPlainHttpTheDeviceReads()
    {
        string work = Path.Combine(_dir, "work");

        Result result = Flash(
            "config", "--port", Port, "--service-url", "http://10.0.0.2:5080", "--allocation-keys", "acme",
            "--udp-server", "10.0.0.2:5090", "--allow-plain-http", "--work-dir", work);

        Assert.AreEqual(0, result.ExitCode, result.Output);
        string[] lines = File.ReadAllLines(Path.Combine(work, "peergate.conf"));
        CollectionAssert.Contains(lines, "UdpServer=10.0.0.2:5090");
        CollectionAssert.Contains(lines, "AllowPlainHttp=true");
        CollectionAssert.AreEqual(new[] { $"nanoff --filedeployment {work}/files.json" }, ToolCalls());
    }

    [TestMethod]
    public void WithoutTheNewFlagsNoUdpOrPlainHttpLineIsWritten()
    {
        string work = Path.Combine(_dir, "work");

        Result result = Flash("config", "--port", Port, "--service-url", "https://pg.example.com", "--allocation-keys", "acme", "--work-dir", work);

        Assert.AreEqual(0, result.ExitCode, result.Output);
        string conf = File.ReadAllText(Path.Combine(work, "peergate.conf"));
        Assert.DoesNotContain("UdpServer", conf);
        Assert.DoesNotContain("AllowPlainHttp", conf);
    }

    [TestMethod]
    [DataRow("10.0.0.2", DisplayName = "no port")]
    [DataRow("10.0.0.2:0", DisplayName = "port 0")]
    [DataRow("10.0.0.2:65536", DisplayName = "port too big")]
    [DataRow("10.0.0.256:5090", DisplayName = "octet too big")]
    [DataRow("010.0.0.2:5090", DisplayName = "leading zero, octal to some parsers")]
    [DataRow("pg.example.com:5090", DisplayName = "host name")]
    [DataRow("10.0.0.2:5090;reboot", DisplayName = "trailing text")]
    public void BadUdpServerIsRefusedBeforeAnythingRuns(string value)
    {
        string work = Path.Combine(_dir, "work");

        Result result = Flash(
            "all", "--port", Port, "--target", "ESP32_REV3", "--service-url", "https://pg.example.com", "--allocation-keys", "acme",
            "--udp-server", value, "--work-dir", work);

        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        Assert.Contains("--udp-server must be IPv4:PORT", result.Output);
        Assert.IsFalse(File.Exists(_toolLog), "a tool was run");
        Assert.IsFalse(File.Exists(Path.Combine(work, "peergate.conf")), "a config was written");
    }

    [TestMethod]
    [DataRow("--udp-server", "10.0.0.2:5090", DisplayName = "--udp-server")]
    [DataRow("--allow-plain-http", null, DisplayName = "--allow-plain-http")]
    public void NewFlagsWithAnUploadedConfigFileAreRefused(string flag, string? value)
    {
        string conf = Path.Combine(_dir, "mine.conf");
        File.WriteAllText(conf, "ServiceUrl=https://pg.example.com\nAllocationKeys=acme\n");
        string[] option = value is null ? [flag] : [flag, value];

        Result result = Flash(["all", "--port", Port, "--target", "ESP32_REV3", "--config", conf, "--work-dir", Path.Combine(_dir, "work"), .. option]);

        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        Assert.Contains("with --config put UdpServer and AllowPlainHttp in", result.Output);
        Assert.IsFalse(File.Exists(_toolLog), "a tool was run");
    }

    private string[] ToolCalls() => File.Exists(_toolLog) ? File.ReadAllLines(_toolLog) : [];

    private static void RequireTool(string name)
    {
        bool found = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator)
            .Any(dir => File.Exists(Path.Combine(dir, name)));
        if (!found)
        {
            Assert.Inconclusive($"{name} is not installed");
        }
    }

    private Result Flash(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root(), "flash.sh"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PATH"] = Path.Combine(_dir, "bin") + Path.PathSeparator + "/usr/bin:/bin";
        start.Environment["TOOL_LOG"] = _toolLog;
        start.Environment["TMPDIR"] = _dir;

        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("flash.sh did not finish within 30 s");
        }

        return new Result(process.ExitCode, output.Result + error.Result);
    }

    private sealed record Result(int ExitCode, string Output);
}
