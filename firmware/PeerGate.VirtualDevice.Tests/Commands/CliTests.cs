using System.Security.Cryptography;
using PeerGate.Protocol;
using PeerGate.VirtualDevice.Commands;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Commands;

[TestClass]
public sealed class CliTests
{
    private const string KeyHex = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";

    [TestMethod]
    public void BurnWithAGeneratedKeyPrintsItOnceAndInfoNeverDoes()
    {
        using var temp = new TempFolder();

        var burn = Run("burn", "--image", temp.File("efuse"), "--device-id", "a1b2c3d4e5f6", "--generate-key");
        var info = Run("info", "--image", temp.File("efuse"));

        Assert.AreEqual(Cli.Ok, burn.Code, burn.Error);
        Assert.Contains("device-id A1B2C3D4E5F6", burn.Output);
        var key = burn.Output.Split('\n').Single(l => l.StartsWith("device-key ", StringComparison.Ordinal))["device-key ".Length..].Trim();
        Assert.HasCount(32, Convert.FromHexString(key));
        Assert.AreEqual(Cli.Ok, info.Code);
        Assert.Contains("device-id A1B2C3D4E5F6", info.Output);
        Assert.DoesNotContain(key, info.Output);
        Assert.DoesNotContain(key, info.Error);
    }

    [TestMethod]
    public void BurnWithAGivenKeyDoesNotEchoIt()
    {
        using var temp = new TempFolder();

        var burn = Run("burn", "--image", temp.File("efuse"), "--device-id", "A1B2C3D4E5F6", "--key", KeyHex, "--group", "factory-7");

        Assert.AreEqual(Cli.Ok, burn.Code, burn.Error);
        Assert.DoesNotContain(KeyHex, burn.Output);
        Assert.Contains("group factory-7", burn.Output);
    }

    [TestMethod]
    public void SecondBurnFailsWithExitCodeOne()
    {
        using var temp = new TempFolder();
        Run("burn", "--image", temp.File("efuse"), "--device-id", "A1B2C3D4E5F6", "--key", KeyHex);

        var again = Run("burn", "--image", temp.File("efuse"), "--device-id", "A1B2C3D4E5F6", "--generate-key");

        Assert.AreEqual(Cli.Failure, again.Code);
        Assert.Contains("already burned", again.Error);
        Assert.DoesNotContain("device-key", again.Output);
    }

    [TestMethod]
    [DataRow(null, "groupDerivedDeviceKeyV2", DisplayName = "default: v2")]
    [DataRow("v2", "groupDerivedDeviceKeyV2", DisplayName = "v2")]
    [DataRow("v1", "groupDerivedDeviceKey", DisplayName = "v1")]
    public void DeriveKeyMatchesTheGroupDerivationVector(string? derivation, string expected)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "PeerGate.slnx")))
        {
            root = root.Parent;
        }

        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(root!.FullName, "shared-protocol", "vectors", "auth-proof.json")));
        var vector = document.RootElement;
        string[] chosen = derivation is null ? [] : ["--derivation", derivation];

        var derived = Run(["derive-key", "--group-key", vector.GetProperty("groupKey").GetString()!, "--device-id", vector.GetProperty("deviceId").GetString()!.ToLowerInvariant(), .. chosen]);

        Assert.AreEqual(Cli.Ok, derived.Code, derived.Error);
        Assert.AreEqual(vector.GetProperty(expected).GetString(), derived.Output.Trim());
    }

    [TestMethod]
    [DataRow(new string[0], DisplayName = "no command")]
    [DataRow(new[] { "fly" }, DisplayName = "unknown command")]
    [DataRow(new[] { "info" }, DisplayName = "missing option")]
    [DataRow(new[] { "info", "--image" }, DisplayName = "option without value")]
    [DataRow(new[] { "info", "--image", "x", "--colour", "red" }, DisplayName = "unknown option")]
    [DataRow(new[] { "burn", "--image", "x", "--device-id", "A1B2C3D4E5F6" }, DisplayName = "no key source")]
    [DataRow(new[] { "burn", "--image", "x", "--device-id", "A1B2C3D4E5F6", "--key", "00", "--generate-key" }, DisplayName = "two key sources")]
    [DataRow(new[] { "derive-key", "--group-key", "zz", "--device-id", "A1B2C3D4E5F6" }, DisplayName = "key not hex")]
    [DataRow(new[] { "derive-key", "--group-key", KeyHex, "--device-id", "A1B2C3D4E5F6", "--derivation", "v3" }, DisplayName = "unknown derivation")]
    [DataRow(new[] { "burn", "--image", "x", "--device-id", "A1B2C3D4E5F6", "--key", "00" }, DisplayName = "short key")]
    [DataRow(new[] { "burn", "--image", "x", "--device-id", "12", "--generate-key" }, DisplayName = "short Device ID")]
    public void WrongUseExitsWithTwoAndOneLineWithoutTheUsage(string[] args)
    {
        var result = Run(args);

        Assert.AreEqual(Cli.Usage, result.Code, result.Error);
        Assert.AreEqual(string.Empty, result.Output);
        Assert.HasCount(1, result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), result.Error);
        Assert.StartsWith("error: ", result.Error);
        Assert.DoesNotContain("Usage:", result.Error);
    }

    [TestMethod]
    [DataRow(new[] { "burn", "--image", "x", "--device-id", "A1B2C3D4E5F6", "--key", "00" }, "error: --key must be 64 hex digits (32 bytes)", DisplayName = "key")]
    [DataRow(new[] { "burn", "--image", "x", "--device-id", "A1B2", "--generate-key" }, "error: --device-id must be 12 to 64 hex digits", DisplayName = "Device ID")]
    [DataRow(new[] { "burn", "--image", "x", "--device-id", "A1B2C3D4E5F6", "--generate-key", "--group", "a b" }, "error: --group must be 1 to 64 letters", DisplayName = "group")]
    [DataRow(new[] { "derive-key", "--group-key", "00", "--device-id", "A1B2C3D4E5F6" }, "error: --group-key must be 64 hex digits (32 bytes)", DisplayName = "group key")]
    [DataRow(new[] { "derive-key", "--group-key", KeyHex, "--device-id", "A1B2C3D4E5F6", "--derivation", "v3" }, "error: --derivation must be v1 or v2", DisplayName = "derivation")]
    public void ErrorsNameTheOptionAsTyped(string[] args, string expected)
    {
        using var temp = new TempFolder();
        var result = Run([.. args.Select(a => a == "x" ? temp.File("efuse") : a)]);

        Assert.AreEqual(Cli.Usage, result.Code, result.Error);
        Assert.StartsWith(expected, result.Error);
        Assert.IsFalse(File.Exists(temp.File("efuse")), "nothing is burned");
    }

    [TestMethod]
    public void RunWithABadConfigNamesTheLine()
    {
        using var temp = new TempFolder();
        Run("burn", "--image", temp.File("efuse"), "--device-id", "A1B2C3D4E5F6", "--key", KeyHex);
        File.WriteAllText(temp.File("device.conf"), "ServiceUrl=http://127.0.0.1:1\nAllocationKeys=acme\nColour=red\n");

        var result = Run("run", "--image", temp.File("efuse"), "--config", temp.File("device.conf"), "--once");

        Assert.AreEqual(Cli.Failure, result.Code);
        Assert.Contains("line 3", result.Error);
    }

    [TestMethod]
    public void RunOnceWithoutAServerExitsThreeWithTheProblemCode()
    {
        using var temp = new TempFolder();
        Run("burn", "--image", temp.File("efuse"), "--device-id", "A1B2C3D4E5F6", "--key", KeyHex);
        File.WriteAllText(temp.File("device.conf"), "ServiceUrl=http://127.0.0.1:1\nAllocationKeys=acme\nHttpTimeoutMillis=2000\n");

        var result = Run("run", "--image", temp.File("efuse"), "--config", temp.File("device.conf"), "--state", temp.File("state"), "--once");

        Assert.AreEqual(Cli.Unreachable, result.Code);
        Assert.Contains("connection_failed", result.Error);
        Assert.Contains("[A1B2C3D4E5F6] chain.failed", result.Output);
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Cli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
