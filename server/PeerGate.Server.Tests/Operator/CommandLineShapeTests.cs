using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;
using PeerGate.CliSupport;
using PeerGate.Operator.Cli;
using PeerGate.Protocol;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Operator;

/// <summary>
/// How peergate-op behaves as a command line: help and version everywhere, one-line errors that name
/// what was typed, the documented exit codes (docs/operating.md), JSON for scripts, completion.
/// </summary>
[TestClass]
public sealed class CommandLineShapeTests
{
    private static readonly string Version = typeof(OperatorCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

    [TestMethod]
    public async Task EveryCommandAnswersHelpAndVersionWithExitZero()
    {
        // Walks the tree, so a command added later is covered without touching this test.
        var commands = CliHost.Walk(OperatorCli.CreateRootCommand()).ToArray();
        Assert.IsGreaterThan(30, commands.Length);
        foreach (var (path, _) in commands)
        {
            var help = await Op.ResultAsync(null!, [.. path, "--help"]);
            var version = await Op.ResultAsync(null!, [.. path, "--version"]);

            Assert.AreEqual(0, help.Exit, $"{string.Join(' ', path)} --help: {help.Error}");
            StringAssert.Contains(help.Output, "Usage:", string.Join(' ', path));

            // Named as the tool, not as the process running it (here a test host).
            StringAssert.Contains(help.Output, string.Join(' ', ["peergate-op", .. path]), string.Join(' ', path));
            Assert.AreEqual(string.Empty, help.Error);
            Assert.AreEqual(0, version.Exit, $"{string.Join(' ', path)} --version: {version.Error}");
            Assert.AreEqual(Version, version.Output.Trim());
        }
    }

    [TestMethod]
    public async Task TheInstalledToolAnswersHelpAndVersion()
    {
        var help = await RunProcessAsync("--help");
        var version = await RunProcessAsync("--version");
        var subcommand = await RunProcessAsync("group", "allow", "--help");

        Assert.AreEqual(0, help.Exit, help.Output);
        StringAssert.Contains(help.Output, "enroll");
        Assert.AreEqual(0, version.Exit, version.Output);
        Assert.AreEqual(Version, version.Output.Trim());
        Assert.AreEqual(0, subcommand.Exit, subcommand.Output);
        StringAssert.Contains(subcommand.Output, "<GroupId> <DeviceId>...");
    }

    [TestMethod]
    [DataRow(new[] { "enroll", "device", "24A160C3D4E5", "--key", "00" }, "error: --key must be 64 hex digits (32 bytes)", DisplayName = "short key")]
    [DataRow(new[] { "enroll", "group", "factory-7", "--key", "XYZ" }, "error: --key must be 64 hex digits (32 bytes)", DisplayName = "group key not hex")]
    [DataRow(new[] { "enroll", "device", "24A160C3" }, "error: DeviceId '24A160C3' must be 12 to 64 hex digits", DisplayName = "short Device ID")]
    [DataRow(new[] { "enroll", "device", "24A160C3D4E5", "--group", "a b" }, "error: --group 'a b' must be 1 to 64 letters", DisplayName = "bad group")]
    [DataRow(new[] { "attempts", "--limit", "0" }, "error: --limit must be a whole number from 1 to 1000", DisplayName = "limit out of range")]
    [DataRow(new[] { "sessions", "--limit", "many" }, "error: --limit must be a whole number from 1 to 1000", DisplayName = "limit not a number")]
    [DataRow(new[] { "alloc", "entry", "set", "--level", "1", "--key", "acme", "--role", "relay", "--url", "http://a.example" }, "error: --role must be allocation or authentication", DisplayName = "unknown role")]
    [DataRow(new[] { "alloc", "service-entry", "--url", "alloc.example" }, "error: --url must be an absolute http or https URL", DisplayName = "relative URL")]
    [DataRow(new[] { "session-policy", "T1", "--max-seconds", "-1" }, "error: --max-seconds must be a whole number", DisplayName = "negative seconds")]
    [DataRow(new[] { "names", "bind", "TERM 1", "24A160C3D4E5" }, "error: Name 'TERM 1' must be", DisplayName = "bad device name")]
    [DataRow(new[] { "group" }, "error: group needs one of: show, cap", DisplayName = "group alone")]
    [DataRow(new[] { "--server", "not a url", "devices" }, "error: --server must be an absolute http or https URL", DisplayName = "bad server")]
    public async Task BadUsageExitsTwoWithOneLineNamingTheOptionAndSendsNothing(string[] args, string expected)
    {
        await using var server = await TestServer.StartAsync();

        // Through the server's own client, or (for --server) through one made from the options.
        var (exit, output, error) = args[0] == "--server"
            ? await RunUnconnectedAsync([.. args, "--token", "x"])
            : await Op.ResultAsync(server, args);

        Assert.AreEqual(ExitCodes.Usage, exit, error);
        Assert.AreEqual(string.Empty, output);
        Assert.AreEqual(1, error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, error);
        StringAssert.StartsWith(error, expected);
        Assert.DoesNotContain("KeyHex", error);
        Assert.DoesNotContain("Usage:", error);
        Assert.IsEmpty(await server.Admin.ListDevicesAsync());
        Assert.IsEmpty(await server.Admin.ListGroupsAsync());
    }

    [TestMethod]
    public async Task ARefusalExitsOneWithTheServersCodeAndTitle()
    {
        await using var server = await TestServer.StartAsync();

        var error = await Op.FailsAsync(server, ExitCodes.Failure, "revoke", "group", "nobody");

        StringAssert.StartsWith(error, $"error: refused by the server: {ErrorCodes.NotFound} (404): ");
    }

    [TestMethod]
    public async Task AnUnreachableServerExitsThree()
    {
        // A port that was just free: nothing listens there.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var (exit, output, error) = await RunUnconnectedAsync(["--server", $"http://127.0.0.1:{port}", "--token", "x", "devices"]);

        Assert.AreEqual(ExitCodes.Unreachable, exit, error);
        Assert.AreEqual(string.Empty, output);
        StringAssert.StartsWith(error, "error: cannot reach the server");
        Assert.AreEqual(1, error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, error);
    }

    [TestMethod]
    public async Task JsonOutputParsesWithCamelCaseNamesAndIsoTimes()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.EnrollAsync(server, "lab");
        var certificate = await device.AuthenticateAsync(http);
        using (await TestDevice.SendRegistrationAsync(http, certificate.Certificate, Devices.Registration(certificate.TerminalId)))
        {
        }

        await Op.RunAsync(server, "names", "reserve", "lobby");
        await Op.RunAsync(server, "alloc", "service-entry", "--url", "http://alloc1.example:5080");

        using var devices = JsonDocument.Parse(await Op.RunAsync(server, "devices", "--json"));
        using var groups = JsonDocument.Parse(await Op.RunAsync(server, "--json", "groups"));
        using var names = JsonDocument.Parse(await Op.RunAsync(server, "names", "--json"));
        using var alloc = JsonDocument.Parse(await Op.RunAsync(server, "alloc", "list", "--json"));
        using var attempts = JsonDocument.Parse(await Op.RunAsync(server, "attempts", "--json"));
        using var sessions = JsonDocument.Parse(await Op.RunAsync(server, "sessions", "--json"));
        using var enrolled = JsonDocument.Parse(await Op.RunAsync(server, "enroll", "device", "24a160c3d4e6", "--json"));

        var row = devices.RootElement[0];
        Assert.AreEqual(device.DeviceId, row.GetProperty("deviceId").GetString());
        Assert.AreEqual("lab", row.GetProperty("groups")[0].GetString());
        var lastSeen = row.GetProperty("lastSeen").GetString()!;
        StringAssert.Matches(lastSeen, new System.Text.RegularExpressions.Regex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"));
        Assert.AreEqual(server.Time!.GetUtcNow().ToUnixTimeSeconds(), DateTimeOffset.Parse(lastSeen, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds());
        Assert.AreEqual("lab", groups.RootElement[0].GetProperty("groupId").GetString());
        Assert.AreEqual("reserved", names.RootElement[0].GetProperty("state").GetString());
        Assert.AreEqual("http://alloc1.example:5080", alloc.RootElement.GetProperty("serviceEntry").GetProperty("url").GetString());
        Assert.AreEqual(JsonValueKind.Array, attempts.RootElement.ValueKind);
        Assert.AreEqual(JsonValueKind.Array, sessions.RootElement.ValueKind);
        Assert.AreEqual("24A160C3D4E6", enrolled.RootElement.GetProperty("deviceId").GetString());
        Assert.AreEqual(64, enrolled.RootElement.GetProperty("key").GetString()!.Length);
    }

    [TestMethod]
    public async Task TheSuggestDirectiveCompletesCommandsAndOptions()
    {
        var commands = await Op.ResultAsync(null!, ["[suggest:9]", " group al"]);
        var options = await Op.ResultAsync(null!, ["[suggest:17]", " attempts --li"]);

        Assert.AreEqual(0, commands.Exit, commands.Error);
        CollectionAssert.AreEqual(new[] { "allow", "allow-any", "allowlist" }, Lines(commands.Output).Where(l => !l.StartsWith('-')).Take(3).ToArray());
        CollectionAssert.Contains(Lines(options.Output), "--limit");
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<(int Exit, string Output, string Error)> RunUnconnectedAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await OperatorCli.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private static async Task<(int Exit, string Output)> RunProcessAsync(params string[] args)
    {
        var result = await ChildProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "peergate-op.dll"), .. args], TimeSpan.FromSeconds(60));
        return (result.Exit, result.All);
    }
}
