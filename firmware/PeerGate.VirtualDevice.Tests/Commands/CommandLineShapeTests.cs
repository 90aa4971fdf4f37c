using System.Reflection;
using System.Text.Json;
using PeerGate.CliSupport;
using PeerGate.VirtualDevice.Commands;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Commands;

/// <summary>
/// How virtual-device behaves as a command line: help and version on every command, the exit codes
/// of docs/virtual-device.md, JSON for scripts, times as dates.
/// </summary>
[TestClass]
public sealed class CommandLineShapeTests
{
    private const string KeyHex = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void EveryCommandAnswersHelpAndVersionWithExitZero()
    {
        var version = typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

        // Walks the tree, so a command added later is covered without touching this test.
        var commands = CliHost.Walk(Cli.CreateRootCommand()).ToArray();
        Assert.IsGreaterThan(10, commands.Length);
        foreach (var (path, _) in commands)
        {
            var help = Run([.. path, "--help"]);
            var shown = Run([.. path, "--version"]);

            Assert.AreEqual(Cli.Ok, help.Code, $"{string.Join(' ', path)} --help: {help.Error}");
            Assert.Contains("Usage:", help.Output, string.Join(' ', path));
            Assert.Contains(string.Join(' ', ["virtual-device", .. path]), help.Output, "named as the tool, not the test host");
            Assert.AreEqual(Cli.Ok, shown.Code, $"{string.Join(' ', path)} --version: {shown.Error}");
            Assert.AreEqual(version, shown.Output.Trim());
        }

        Assert.AreEqual(Cli.Ok, Run("help").Code);
    }

    [TestMethod]
    public void BurnInfoAndDeriveKeyPrintJson()
    {
        using var temp = new TempFolder();

        var burn = Run("burn", "--image", temp.File("efuse"), "--device-id", "a1b2c3d4e5f6", "--generate-key", "--group", "lab", "--json");
        var info = Run("info", "--image", temp.File("efuse"), "--json");
        var derived = Run("derive-key", "--group-key", KeyHex, "--device-id", "A1B2C3D4E5F6", "--json");

        Assert.AreEqual(Cli.Ok, burn.Code, burn.Error);
        using var burned = JsonDocument.Parse(burn.Output);
        Assert.AreEqual("A1B2C3D4E5F6", burned.RootElement.GetProperty("deviceId").GetString());
        Assert.AreEqual("lab", burned.RootElement.GetProperty("groupId").GetString());
        Assert.AreEqual(64, burned.RootElement.GetProperty("deviceKey").GetString()!.Length);
        using var shown = JsonDocument.Parse(info.Output);
        Assert.AreEqual("A1B2C3D4E5F6", shown.RootElement.GetProperty("deviceId").GetString());
        Assert.IsFalse(shown.RootElement.TryGetProperty("deviceKey", out _), "info never shows the key");
        using var key = JsonDocument.Parse(derived.Output);
        Assert.AreEqual("v2", key.RootElement.GetProperty("derivation").GetString());
        Assert.AreEqual(64, key.RootElement.GetProperty("deviceKey").GetString()!.Length);
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task ConnectAndSessionsPrintDatesAndJsonNeverUnixSeconds()
    {
        var cancel = TestContext.CancellationToken;
        await using var lab = await ConnectionLab.StartAsync(cancel);
        var callee = await lab.AddDeviceAsync(listens: true, cancel);
        var caller = await lab.AddDeviceAsync(listens: false, cancel);
        var calleeAgent = await callee.StartAsync(cancel);
        var callerId = await caller.TerminalIdAsync();
        Assert.AreEqual(Cli.Ok, Cli.Run(["permit", "add", "terminal:" + callerId, .. callee.CliOptions], out var permitted), permitted);

        var text = Run(["connect", calleeAgent.TerminalId!, "--message", "hello", .. caller.CliOptions]);
        var json = Run(["connect", calleeAgent.TerminalId!, "--message", "hello again", "--json", .. caller.CliOptions]);
        var sessions = Run(["sessions", .. caller.CliOptions]);
        var sessionsJson = Run(["sessions", "--json", .. caller.CliOptions]);
        var permits = Run(["permit", "show", "--json", .. callee.CliOptions]);

        Assert.AreEqual(Cli.Ok, text.Code, text.Output + text.Error);
        var dated = new System.Text.RegularExpressions.Regex(@"ends at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z, byte limit");
        Assert.MatchesRegex(dated, text.Output);
        Assert.AreEqual(Cli.Ok, json.Code, json.Output + json.Error);
        using var report = JsonDocument.Parse(json.Output);
        Assert.IsTrue(report.RootElement.GetProperty("bytesMatch").GetBoolean());
        Assert.AreEqual(calleeAgent.TerminalId, report.RootElement.GetProperty("calleeTerminalId").GetString());
        Assert.EndsWith("Z", report.RootElement.GetProperty("sessionEndsAt").GetString()!);
        Assert.AreEqual(0, report.RootElement.GetProperty("exitCode").GetInt32());
        Assert.AreEqual(Cli.Ok, sessions.Code, sessions.Error);
        Assert.MatchesRegex(dated, sessions.Output);
        using var listed = JsonDocument.Parse(sessionsJson.Output);
        Assert.AreEqual(2, listed.RootElement.GetArrayLength());
        Assert.AreEqual(JsonValueKind.String, listed.RootElement[0].GetProperty("endsAt").ValueKind);
        using var table = JsonDocument.Parse(permits.Output);
        Assert.AreEqual("terminal", table.RootElement.GetProperty("entries")[0].GetProperty("kind").GetString());
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task ARefusedCallExitsOneAndAnUnreachableServerThree()
    {
        var cancel = TestContext.CancellationToken;
        await using var lab = await ConnectionLab.StartAsync(cancel);
        var callee = await lab.AddDeviceAsync(listens: true, cancel);
        var stranger = await lab.AddDeviceAsync(listens: false, cancel);
        var calleeAgent = await callee.StartAsync(cancel);

        var refused = Run(["connect", calleeAgent.TerminalId!, "--message", "let me in", .. stranger.CliOptions]);

        Assert.AreEqual(Cli.Failure, refused.Code, refused.Output + refused.Error);
        Assert.Contains("denied: permission_denied", refused.Output);
        Assert.Contains("\nerror: connect failed: permission_denied\n", "\n" + refused.Error);
    }

    [TestMethod]
    [DataRow("sessions", DisplayName = "sessions")]
    [DataRow("connect", DisplayName = "connect")]
    [DataRow("permit", DisplayName = "permit show")]
    public void AnUnreachableServerExitsThree(string command)
    {
        using var temp = new TempFolder();
        Run("burn", "--image", temp.File("efuse"), "--device-id", "A1B2C3D4E5F6", "--key", KeyHex);
        File.WriteAllText(temp.File("device.conf"), "ServiceUrl=http://127.0.0.1:1\nAllocationKeys=acme\nHttpTimeoutMillis=2000\n");
        string[] words = command switch
        {
            "connect" => ["connect", "T-1", "--message", "hi"],
            "permit" => ["permit", "show"],
            _ => [command],
        };

        var result = Run([.. words, "--image", temp.File("efuse"), "--config", temp.File("device.conf"), "--state", temp.File("state")]);

        Assert.AreEqual(Cli.Unreachable, result.Code, result.Output + result.Error);
        Assert.Contains("connection_failed", result.Error);
        Assert.StartsWith("error: ", result.Error.Split('\n').First(l => l.StartsWith("error: ", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void TablesAreDrawnOnATerminalAndPlainWhenRedirected()
    {
        string[] headers = ["DEVICE", "STATE"];
        string[][] rows = [["24A160C3D4E5", "online [x]"], ["24A160C3D4E6", "offline"]];
        var drawn = new StringWriter();
        var plain = new StringWriter();

        new CliOutput(drawn, TextWriter.Null, json: false, terminal: true).Table(headers, rows);
        new CliOutput(plain, TextWriter.Null, json: false, terminal: false).Table(headers, rows);

        Assert.Contains("online [x]", drawn.ToString(), "cells are text, not markup");
        Assert.Contains("─", drawn.ToString());
        Assert.AreEqual("DEVICE        STATE\n24A160C3D4E5  online [x]\n24A160C3D4E6  offline\n", plain.ToString().ReplaceLineEndings("\n"));
        Assert.AreEqual("2026-12-02 04:51:07Z", CliTime.Human(DateTimeOffset.Parse("2026-12-02T04:51:07Z", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.AreEqual("\"2026-12-02T04:51:07Z\"", CliOutput.ToJson(CliTime.Json(DateTimeOffset.Parse("2026-12-02T04:51:07Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds())));
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Cli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
