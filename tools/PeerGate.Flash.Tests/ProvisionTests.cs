using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using PeerGate.Operator.Cli;

using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Protocol.Host.Provisioning;
using PeerGate.Server.Testing;

namespace PeerGate.Flash.Tests;

/// <summary>
/// peergate-op provision against a real server (Kestrel on 127.0.0.1, a SQLite file): the enrollment it
/// makes authenticates with the key in the folder, and peergate-flash config --from takes the folder.
/// </summary>
[TestClass]
public sealed class ProvisionTests
{
    private const string Port = "/dev/ttyFAKE0";
    private const string Ca = "-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAK\n-----END CERTIFICATE-----\n";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [TestMethod]
    public async Task AnIndividualDeviceIsEnrolledAndItsFolderFlashedFrom()
    {
        await using var server = await TestServer.StartAsync();
        using var sandbox = new FlashSandbox();
        var folder = sandbox.PathOf("provisioned/dev-1");
        var ca = sandbox.PathOf("ca.pem");
        File.WriteAllText(ca, Ca);
        var deviceId = TestDevice.NewDeviceId();

        var said = await OperatorAsync(
            server, "provision", deviceId.ToLowerInvariant(), "--out", folder, "--service-url", "https://pg.example.com", "--allocation-keys", "acme,sensor-v2",
            "--name", "TERM1", "--ca-file", ca, "--udp-server", "203.0.113.10:5081");

        // The folder: the contract's four files, owner-only, in an owner-only folder.
        CollectionAssert.AreEquivalent(
            new[] { "peergate.conf", "peergate.key", "peergate-ca.pem", "provision.json" },
            Directory.GetFiles(folder).Select(Path.GetFileName).ToArray());
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        foreach (var file in Directory.GetFiles(folder))
        {
            Assert.AreEqual(OwnerOnly, File.GetUnixFileMode(file), file);
        }

        Assert.AreEqual(
            "# written by peergate-op provision\nServiceUrl=https://pg.example.com\nAllocationKeys=acme,sensor-v2\nName=TERM1\nUdpServer=203.0.113.10:5081\n",
            File.ReadAllText(Path.Combine(folder, "peergate.conf")));
        Assert.AreEqual(Ca, File.ReadAllText(Path.Combine(folder, "peergate-ca.pem")));
        var key = File.ReadAllBytes(Path.Combine(folder, "peergate.key"));
        Assert.HasCount(32, key);

        // The manifest names the enrollment and pins each file; it holds no secret.
        var manifestText = File.ReadAllText(Path.Combine(folder, "provision.json"));
        Assert.DoesNotContain(Convert.ToHexString(key), manifestText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToBase64String(key), manifestText);
        var manifest = ProvisioningFolder.Read(folder);
        Assert.AreEqual(deviceId, manifest.DeviceId);
        Assert.AreEqual("individual", manifest.Enrollment);
        Assert.IsNull(manifest.GroupId);
        Assert.IsNull(manifest.Derivation);
        Assert.AreEqual(server.Admin.Server.ToString(), manifest.Server);
        Assert.AreEqual("https://pg.example.com", manifest.ServiceUrl);
        Assert.AreEqual("2026-11-01T12:00:00Z", manifest.CreatedAt);
        using (var json = JsonDocument.Parse(manifestText))
        {
            Assert.AreEqual(1, json.RootElement.GetProperty("format").GetInt32());
            var hashes = json.RootElement.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("sha256").GetString()!);
            Assert.AreEqual(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(key)), hashes["peergate.key"]);
            Assert.HasCount(3, hashes);
        }

        // The server holds the same key: the device authenticates with the folder's key, under its name.
        using var http = server.CreateClient();
        var certificate = await new TestDevice(deviceId, key).AuthenticateAsync(http);
        Assert.IsNotNull(certificate.Certificate);
        Assert.AreEqual(deviceId, (await server.Admin.ListNamesAsync()).Single(n => n.Name == "TERM1").DeviceId);
        Assert.Contains($"enrolled device {deviceId} individually as TERM1", said);
        Assert.DoesNotContain(Convert.ToHexString(key), said, StringComparison.OrdinalIgnoreCase);

        // The flash tool takes the folder as it is.
        var run = sandbox.Flash("config", "--dry-run", "--port", Port, "--from", folder, "--work-dir", sandbox.PathOf("work"));
        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.All);
        Assert.Contains($"provisioning folder {folder}: device {deviceId}, enrolled individually", run.Out);
        Assert.Contains(
            $"{{\"SerialPort\":\"{Port}\",\"Files\":[" +
            $"{{\"DestinationFilePath\":\"I:\\\\peergate.conf\",\"SourceFilePath\":\"{folder}/peergate.conf\"}}," +
            $"{{\"DestinationFilePath\":\"I:\\\\peergate.key\",\"SourceFilePath\":\"{folder}/peergate.key\"}}," +
            $"{{\"DestinationFilePath\":\"I:\\\\peergate-ca.pem\",\"SourceFilePath\":\"{folder}/peergate-ca.pem\"}}]}}",
            run.Out);
        CollectionAssert.AreEqual(new[] { $"+ nanoff --filedeployment {sandbox.PathOf("work")}/files.json" }, run.CommandLines);
        Assert.IsEmpty(run.Calls);
    }

    [TestMethod]
    [DataRow(AuthProofs.GroupDerivationV2, null, DisplayName = "v2 group, derivation taken from the server")]
    [DataRow(AuthProofs.GroupDerivationV2, "v2", DisplayName = "v2 group, --derivation v2")]
    [DataRow(AuthProofs.GroupDerivationV1, "v1", DisplayName = "v1 group, --derivation v1")]
    [DataRow(AuthProofs.GroupDerivationV1, null, DisplayName = "v1 group, derivation taken from the server")]
    public async Task AGroupMembersKeyIsDerivedUnderTheGroupsDerivation(int derivation, string? given)
    {
        await using var server = await TestServer.StartAsync();
        using var sandbox = new FlashSandbox();
        var groupKey = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
        await server.Admin.EnrollGroupAsync("factory-1", Convert.ToHexString(groupKey), derivation);
        var groupKeyFile = sandbox.PathOf("group.key");
        File.WriteAllBytes(groupKeyFile, groupKey);
        var folder = sandbox.PathOf("member");
        var deviceId = TestDevice.NewDeviceId();
        string[] chosen = given is null ? [] : ["--derivation", given];

        var said = await OperatorAsync(server, ["provision", deviceId, "--out", folder, "--service-url", "https://pg.example.com", "--allocation-keys", "acme", "--group", "factory-1", "--group-key-file", groupKeyFile, .. chosen]);

        var key = File.ReadAllBytes(Path.Combine(folder, "peergate.key"));
        CollectionAssert.AreEqual(TestDevice.DeriveKey(groupKey, deviceId, derivation), key);
        var manifest = ProvisioningFolder.Read(folder);
        Assert.AreEqual("group", manifest.Enrollment);
        Assert.AreEqual("factory-1", manifest.GroupId);
        Assert.AreEqual("v" + derivation, manifest.Derivation);
        Assert.Contains("GroupId=factory-1\n", File.ReadAllText(Path.Combine(folder, "peergate.conf")));
        Assert.Contains("the group has no allowlist", said);
        Assert.IsFalse((await server.Admin.GetGroupAllowlistAsync("factory-1")).On, "provision turned the allowlist on");

        using var http = server.CreateClient();
        var certificate = await new TestDevice(deviceId, key, "factory-1").AuthenticateAsync(http);
        Assert.IsNotNull(certificate.Certificate);

        var run = sandbox.Flash("all", "--dry-run", "--port", Port, "--target", "ESP32_C3", "--from", folder, "--work-dir", sandbox.PathOf("work"));
        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.All);
        Assert.Contains($"member of group factory-1 (derivation v{derivation})", run.Out);
        Assert.Contains("== identity: skipped", run.Out);
    }

    [TestMethod]
    public async Task AMemberOfAGroupWithAnAllowlistIsPutOnIt()
    {
        await using var server = await TestServer.StartAsync();
        using var sandbox = new FlashSandbox();
        var group = await server.Admin.EnrollGroupAsync("factory-1");
        var other = TestDevice.NewDeviceId();
        await server.Admin.AllowInGroupAsync("factory-1", [other]);
        var groupKeyFile = sandbox.PathOf("group.key");
        File.WriteAllBytes(groupKeyFile, Convert.FromHexString(group.KeyHex));
        var deviceId = TestDevice.NewDeviceId();
        using var http = server.CreateClient();
        var member = new TestDevice(deviceId, TestDevice.DeriveKey(Convert.FromHexString(group.KeyHex), deviceId), "factory-1");
        using var before = await member.SendProofAsync(http, await member.ChallengeAsync(http));

        var said = await OperatorAsync(server, "provision", deviceId, "--out", sandbox.PathOf("m"), "--service-url", "https://pg.example.com", "--allocation-keys", "acme", "--group", "factory-1", "--group-key-file", groupKeyFile);

        Assert.AreEqual(System.Net.HttpStatusCode.Unauthorized, before.StatusCode, "off the allowlist before");
        Assert.Contains("put on the group's allowlist", said);
        CollectionAssert.AreEquivalent(new[] { other, deviceId }, (await server.Admin.GetGroupAllowlistAsync("factory-1")).DeviceIds);
        Assert.IsNotNull((await member.AuthenticateAsync(http)).Certificate);
    }

    [TestMethod]
    public async Task ADerivationOtherThanTheGroupsIsRefusedAndWritesNothing()
    {
        await using var server = await TestServer.StartAsync();
        using var sandbox = new FlashSandbox();
        await server.Admin.EnrollGroupAsync("factory-1");
        var groupKeyFile = sandbox.PathOf("group.key");
        File.WriteAllBytes(groupKeyFile, new byte[32]);
        var folder = sandbox.PathOf("member");

        var refused = await RunOperatorAsync(
            server, "provision", TestDevice.NewDeviceId(), "--out", folder, "--service-url", "https://pg.example.com", "--allocation-keys", "acme",
            "--group", "factory-1", "--group-key-file", groupKeyFile, "--derivation", "v1");

        Assert.AreEqual(ExitCodes.Usage, refused.Exit, refused.Error);
        Assert.Contains("group factory-1 derives its members' keys with v2, not v1", refused.Error);
        Assert.IsFalse(Directory.Exists(folder));
    }

    [TestMethod]
    public async Task ANonEmptyFolderIsRefusedUnlessForced()
    {
        await using var server = await TestServer.StartAsync();
        using var sandbox = new FlashSandbox();
        var folder = sandbox.PathOf("dev");
        var ca = sandbox.PathOf("ca.pem");
        File.WriteAllText(ca, Ca);
        var first = TestDevice.NewDeviceId();
        await OperatorAsync(server, "provision", first, "--out", folder, "--service-url", "https://pg.example.com", "--allocation-keys", "acme", "--ca-file", ca);
        var firstKey = File.ReadAllBytes(Path.Combine(folder, "peergate.key"));
        var second = TestDevice.NewDeviceId();

        var refused = await RunOperatorAsync(server, "provision", second, "--out", folder, "--service-url", "https://pg.example.com", "--allocation-keys", "acme");
        var untouched = File.ReadAllBytes(Path.Combine(folder, "peergate.key"));
        var devicesAfterRefusal = (await server.Admin.ListDevicesAsync()).Select(d => d.DeviceId).ToArray();
        await OperatorAsync(server, "provision", second, "--out", folder, "--service-url", "https://pg.example.com", "--allocation-keys", "acme", "--force");

        Assert.AreEqual(ExitCodes.Usage, refused.Exit, refused.Error);
        Assert.Contains("is not empty: refusing to overwrite it (--force replaces a provisioning folder)", refused.Error);
        CollectionAssert.AreEqual(firstKey, untouched);
        CollectionAssert.DoesNotContain(devicesAfterRefusal, second, "the refused run enrolled the device");
        var manifest = ProvisioningFolder.Read(folder);
        Assert.AreEqual(second, manifest.DeviceId);
        Assert.IsFalse(File.Exists(Path.Combine(folder, "peergate-ca.pem")), "the old CA survived a forced re-provisioning without one");
        CollectionAssert.AreNotEqual(firstKey, File.ReadAllBytes(Path.Combine(folder, "peergate.key")));
    }

    [TestMethod]
    public async Task ARefusedEnrollmentLeavesNoFolder()
    {
        await using var server = await TestServer.StartAsync();
        using var sandbox = new FlashSandbox();
        var deviceId = TestDevice.NewDeviceId();
        await server.Admin.EnrollDeviceAsync(deviceId);
        var folder = sandbox.PathOf("dev");

        var refused = await RunOperatorAsync(server, "provision", deviceId, "--out", folder, "--service-url", "https://pg.example.com", "--allocation-keys", "acme");

        Assert.AreEqual(ExitCodes.Failure, refused.Exit, refused.Error);
        Assert.Contains("(409)", refused.Error);
        Assert.IsFalse(Directory.Exists(folder), "a folder with a key the server does not hold was left");
    }

    [TestMethod]
    [DataRow(new[] { "--group", "factory-1" }, "--group needs --group-key-file", DisplayName = "group without its key")]
    [DataRow(new[] { "--derivation", "v2" }, "--derivation needs --group", DisplayName = "derivation of an individual device")]
    [DataRow(new[] { "--udp-server", "10.0.0.1" }, "--udp-server must be IPv4:PORT", DisplayName = "UDP server without a port")]
    [DataRow(new[] { "--ca-file", "/nonexistent/ca.pem" }, "no CA file at /nonexistent/ca.pem", DisplayName = "missing CA")]
    [DataRow(new[] { "--force", "yes" }, "Unrecognized command or argument 'yes'", DisplayName = "a flag takes no value")]
    [DataRow(new[] { "--colour", "red" }, "Unrecognized command or argument '--colour'", DisplayName = "unknown option")]
    public async Task BadOptionsAreRefusedBeforeTheServerIsAsked(string[] extra, string message)
    {
        await using var server = await TestServer.StartAsync();
        using var sandbox = new FlashSandbox();
        var folder = sandbox.PathOf("dev");
        var deviceId = TestDevice.NewDeviceId();

        var refused = await RunOperatorAsync(server, ["provision", deviceId, "--out", folder, "--service-url", "https://pg.example.com", "--allocation-keys", "acme", .. extra]);

        Assert.AreEqual(ExitCodes.Usage, refused.Exit, refused.Error);
        Assert.Contains(message, refused.Error);
        Assert.IsFalse(Directory.Exists(folder));
        Assert.IsEmpty(await server.Admin.ListDevicesAsync());
    }

    [TestMethod]
    public async Task AFolderChangedAfterProvisioningIsRefusedByTheFlashTool()
    {
        await using var server = await TestServer.StartAsync();
        using var sandbox = new FlashSandbox();
        var folder = sandbox.PathOf("dev");
        var deviceId = TestDevice.NewDeviceId();
        await OperatorAsync(server, "provision", deviceId, "--out", folder, "--service-url", "https://pg.example.com", "--allocation-keys", "acme");
        var key = Path.Combine(folder, "peergate.key");
        string[] config = ["config", "--dry-run", "--port", Port, "--from", folder];

        File.AppendAllText(Path.Combine(folder, "peergate.conf"), "AllowPlainHttp=true\n");
        var edited = sandbox.Flash(config);
        File.WriteAllText(Path.Combine(folder, "peergate.conf"), File.ReadAllText(Path.Combine(folder, "peergate.conf")).Replace("AllowPlainHttp=true\n", string.Empty, StringComparison.Ordinal));
        File.SetUnixFileMode(key, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var readable = sandbox.Flash(config);
        File.SetUnixFileMode(key, OwnerOnly);
        File.WriteAllText(Path.Combine(folder, "peergate-ca.pem"), Ca);
        var strayCa = sandbox.Flash(config);
        File.Delete(Path.Combine(folder, "peergate-ca.pem"));
        var otherDevice = sandbox.Flash([.. config, "--device-id", "0A1B2C3D4E5F"]);
        var fine = sandbox.Flash(config);
        File.Delete(Path.Combine(folder, "provision.json"));
        var unfinished = sandbox.Flash(config);

        Assert.AreEqual(ExitCodes.Failure, edited.ExitCode, edited.All);
        Assert.Contains("peergate.conf does not match its SHA-256 in provision.json", edited.Error);
        Assert.AreEqual(ExitCodes.Failure, readable.ExitCode, readable.All);
        Assert.Contains("peergate.key is readable or writable by others", readable.Error);
        Assert.AreEqual(ExitCodes.Failure, strayCa.ExitCode, strayCa.All);
        Assert.Contains("peergate-ca.pem is in", strayCa.Error);
        Assert.AreEqual(ExitCodes.Failure, otherDevice.ExitCode, otherDevice.All);
        Assert.Contains($"is not the device {folder} was provisioned for ({deviceId})", otherDevice.Error);
        Assert.AreEqual(ExitCodes.Ok, fine.ExitCode, fine.All);
        Assert.AreEqual(ExitCodes.Failure, unfinished.ExitCode, unfinished.All);
        Assert.Contains("has no provision.json", unfinished.Error);
        Assert.IsEmpty(sandbox.Runner.Calls);
    }

    [TestMethod]
    public async Task TheFolderKeyIsWhatIdentityBurns()
    {
        await using var server = await TestServer.StartAsync();
        using var sandbox = new FlashSandbox();
        var folder = sandbox.PathOf("dev");
        var deviceId = TestDevice.NewDeviceId();
        await OperatorAsync(server, "provision", deviceId, "--out", folder, "--service-url", "https://pg.example.com", "--allocation-keys", "acme");

        var run = sandbox.Flash("identity", "--port", Port, "--target", "ESP32_S3_QUAD", "--from", folder, "--burn-key", "--confirm", "BURN", "--work-dir", sandbox.PathOf("w"));

        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.All);
        CollectionAssert.AreEqual(
            new[] { $"espefuse.py -p {Port} summary", $"espefuse.py -p {Port} burn_key BLOCK_KEY0 {folder}/peergate.key HMAC_UP" },
            run.Calls.Select(c => c.ToString()).ToArray());
    }

    /// <summary>peergate-op provision as an operator runs it, on a fixed clock so the manifest's time is known; a non-zero exit throws.</summary>
    private static async Task<string> OperatorAsync(TestServer server, params string[] args)
    {
        var run = await RunOperatorAsync(server, args);
        return run.Exit == ExitCodes.Ok ? run.Output : throw new AssertFailedException($"peergate-op exited {run.Exit}: {run.Error}");
    }

    private static async Task<(int Exit, string Output, string Error)> RunOperatorAsync(TestServer server, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await OperatorCli.RunAsync(args, output, error, server.Admin, time: new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero)));
        return (exit, output.ToString(), error.ToString());
    }
}
