using System.Text.Json;

namespace PeerGate.Flash.Tests;

/// <summary>What a real run writes: the contents nanoff and the board read, and owner-only modes where a secret is.</summary>
[TestClass]
public sealed class GeneratedFilesTests
{
    private const string Port = "/dev/ttyFAKE0";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [TestMethod]
    public void ConfigWritesTheFilesNanoffUploadsOwnerOnly()
    {
        using var sandbox = new FlashSandbox();
        var work = sandbox.PathOf("work");
        var key = sandbox.PathOf("device.key");
        var ca = sandbox.PathOf("ca.pem");
        File.WriteAllText(ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
        var password = sandbox.PathOf("wifi.txt");
        File.WriteAllText(password, "pa\"ss\\word\nsecond line is ignored\n");
        string? network = null;
        UnixFileMode? networkMode = null;
        sandbox.Runner.OnCall = call =>
        {
            if (call.Arguments.Contains("--networkdeployment"))
            {
                var path = call.Arguments[^1];
                network = File.ReadAllText(path);
                networkMode = FlashSandbox.ModeOf(path);
            }
        };

        var run = sandbox.Flash(
            "config", "--port", Port, "--service-url", "https://pg.example.com", "--allocation-keys", "acme,sensor-v2", "--group-id", "factory-1",
            "--key-file", key, "--generate-key", "--ca-file", ca, "--wifi-ssid", "lab \"5\"", "--wifi-password-file", password, "--work-dir", work);

        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.All);
        Assert.AreEqual(32, new FileInfo(key).Length);
        Assert.AreEqual(OwnerOnly, FlashSandbox.ModeOf(key), "the Device Key");
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, FlashSandbox.ModeOf(work), "the work folder");
        var conf = Path.Combine(work, "peergate.conf");
        Assert.AreEqual("# written by peergate-flash config\nServiceUrl=https://pg.example.com\nAllocationKeys=acme,sensor-v2\nGroupId=factory-1\n", File.ReadAllText(conf));
        Assert.AreEqual(OwnerOnly, FlashSandbox.ModeOf(conf));

        var files = Path.Combine(work, "files.json");
        Assert.AreEqual(OwnerOnly, FlashSandbox.ModeOf(files));
        using (var list = JsonDocument.Parse(File.ReadAllText(files)))
        {
            Assert.AreEqual(Port, list.RootElement.GetProperty("SerialPort").GetString());
            var entries = list.RootElement.GetProperty("Files").EnumerateArray()
                .Select(e => e.GetProperty("DestinationFilePath").GetString() + " <- " + e.GetProperty("SourceFilePath").GetString()).ToArray();
            CollectionAssert.AreEqual(new[] { $"I:\\peergate.conf <- {conf}", $"I:\\peergate.key <- {key}", $"I:\\peergate-ca.pem <- {ca}" }, entries);
        }

        // The Wi-Fi JSON exists owner-only while nanoff reads it, escaped properly, and is gone after.
        Assert.AreEqual(OwnerOnly, networkMode);
        using (var wifi = JsonDocument.Parse(network!))
        {
            var client = wifi.RootElement.GetProperty("WirelessClient");
            Assert.AreEqual("lab \"5\"", client.GetProperty("SSID").GetString());
            Assert.AreEqual("pa\"ss\\word", client.GetProperty("Password").GetString());
        }

        Assert.IsFalse(File.Exists(Path.Combine(work, "network.json")), "network.json was left behind");
        Assert.DoesNotContain("pa\"ss", run.All);
        CollectionAssert.AreEqual(
            new[] { $"nanoff --filedeployment {files}", $"nanoff --serialport {Port} --networkdeployment {work}/network.json" },
            run.Calls.Select(c => c.ToString()).ToArray());
    }

    [TestMethod]
    public void TheWifiJsonIsDeletedEvenWhenNanoffFails()
    {
        using var sandbox = new FlashSandbox();
        var work = sandbox.PathOf("work");
        var password = sandbox.PathOf("wifi.txt");
        File.WriteAllText(password, "secret\n");
        sandbox.Runner.ExitCodes[$"nanoff --serialport {Port} --networkdeployment"] = 4;

        var run = sandbox.Flash(
            "config", "--port", Port, "--service-url", "https://pg.example.com", "--allocation-keys", "acme",
            "--wifi-ssid", "lab", "--wifi-password-file", password, "--work-dir", work);

        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.All);
        Assert.Contains("nanoff failed (exit code 4)", run.Error);
        Assert.IsFalse(File.Exists(Path.Combine(work, "network.json")), "the password was left behind");
    }

    [TestMethod]
    public void WithoutWorkDirTheFilesGoToAPrivateTemporaryFolder()
    {
        using var sandbox = new FlashSandbox();

        var run = sandbox.Flash("config", "--port", Port, "--service-url", "https://pg.example.com", "--allocation-keys", "acme");

        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.All);
        var work = Directory.GetDirectories(sandbox.PathOf("tmp"), "peergate-flash.*").Single();
        Assert.AreNotEqual("peergate-flash.DRYRUN", Path.GetFileName(work));
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, FlashSandbox.ModeOf(work));
        Assert.IsTrue(File.Exists(Path.Combine(work, "peergate.conf")));
    }

    [TestMethod]
    [DataRow(null, "groupDerivedDeviceKeyV2", DisplayName = "default: v2")]
    [DataRow("v2", "groupDerivedDeviceKeyV2", DisplayName = "v2")]
    [DataRow("v1", "groupDerivedDeviceKey", DisplayName = "v1, for groups enrolled before v2")]
    public void ConfigDerivesTheGroupKeyLikeTheServer(string? derivation, string expected)
    {
        using var sandbox = new FlashSandbox();
        using var vector = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "vectors", "auth-proof.json")));
        var root = vector.RootElement;
        var groupKey = sandbox.PathOf("group.key");
        File.WriteAllBytes(groupKey, Convert.FromHexString(root.GetProperty("groupKey").GetString()!));
        var key = sandbox.PathOf("device.key");
        File.WriteAllBytes(key, new byte[5]);
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var work = sandbox.PathOf("work");
        string[] chosen = derivation is null ? [] : ["--derivation", derivation];

        var run = sandbox.Flash(
        [
            "config", "--port", Port, "--service-url", "http://10.0.0.2:5080", "--allocation-keys", "acme",
            "--group-id", "factory-1", "--group-key-file", groupKey, "--device-id", root.GetProperty("deviceId").GetString()!,
            "--key-file", key, "--work-dir", work, .. chosen,
        ]);

        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.All);
        Assert.AreEqual(root.GetProperty(expected).GetString(), Convert.ToHexString(File.ReadAllBytes(key)));
        Assert.AreEqual(OwnerOnly, FlashSandbox.ModeOf(key), "a derived key replaces the old file, not its mode");
        Assert.Contains($"(derivation {derivation ?? "v2"})", run.Out);
        Assert.Contains("\"DestinationFilePath\":\"I:\\\\peergate.key\"", File.ReadAllText(Path.Combine(work, "files.json")));
        Assert.Contains("GroupId=factory-1", File.ReadAllText(Path.Combine(work, "peergate.conf")));
        Assert.Contains("warning: the board refuses a plain http:// server", run.Error);
        CollectionAssert.AreEqual(new[] { $"nanoff --filedeployment {work}/files.json" }, run.Calls.Select(c => c.ToString()).ToArray());
    }

    [TestMethod]
    public void GenerateKeyNeverOverwritesAKey()
    {
        using var sandbox = new FlashSandbox();
        var key = sandbox.PathOf("device.key");
        byte[] old = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
        File.WriteAllBytes(key, old);

        var run = sandbox.Flash("config", "--port", Port, "--service-url", "https://pg.example.com", "--allocation-keys", "acme", "--key-file", key, "--generate-key");

        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.All);
        Assert.Contains("exists; refusing to overwrite a Device Key", run.Error);
        CollectionAssert.AreEqual(old, File.ReadAllBytes(key));
        Assert.IsEmpty(run.Calls);
    }

    [TestMethod]
    [DataRow("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n", "holds a private key", DisplayName = "the CA's key by mistake")]
    [DataRow("not a certificate\n", "holds no PEM certificate", DisplayName = "not PEM")]
    public void TheCaFileMustBeACertificate(string content, string message)
    {
        using var sandbox = new FlashSandbox();
        var ca = sandbox.PathOf("ca.pem");
        File.WriteAllText(ca, content);

        var run = sandbox.Flash("config", "--port", Port, "--service-url", "https://pg.example.com", "--allocation-keys", "acme", "--ca-file", ca);

        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.All);
        Assert.Contains(message, run.Error);
        Assert.IsEmpty(run.Calls);
    }

    [TestMethod]
    public void DeployNeedsTheBuiltImage()
    {
        using var sandbox = new FlashSandbox();

        var run = sandbox.Flash("deploy", "--port", Port, "--target", "ESP32_C3");

        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.All);
        Assert.Contains("no /repo/firmware/PeerGate.Device.Esp32/bin/Release/PeerGate.Device.Esp32.bin: build firmware/PeerGate.Device.Esp32 first", run.Error);
        Assert.IsEmpty(run.Calls);
    }

    [TestMethod]
    public void AFailingStepStopsTheRun()
    {
        using var sandbox = new FlashSandbox();
        var image = sandbox.PathOf("app.bin");
        File.WriteAllBytes(image, [1]);
        sandbox.Runner.ExitCodes["nanoff --target ESP32_C3 --serialport /dev/ttyFAKE0 --update"] = 3;

        var run = sandbox.Flash("all", "--port", Port, "--target", "ESP32_C3", "--image", image, "--service-url", "https://pg.example.com", "--allocation-keys", "acme");

        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.All);
        Assert.Contains("nanoff failed (exit code 3)", run.Error);
        Assert.HasCount(1, run.Calls);
    }
}
