using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Server.Rendezvous;
using PeerGate.Server.Testing;
using PeerGate.Server.Triggers;
using PeerGate.VirtualDevice.Commands;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Scenarios;

/// <summary>`virtual-device run --udp` against a real server: UDP registration (F27) over real sockets.</summary>
[TestClass]
public sealed partial class UdpScenarioTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Cancel => TestContext.CancellationToken;

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task RunOnceWithUdpRegistersAndTheServerSeesTheDevicesSocketPort()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var device = await lab.AddDeviceAsync(listens: true, Cancel);

        var printed = "";
        var exit = await Task.Run(() => Cli.Run(["run", "--once", "--udp", "127.0.0.1:" + lab.Server.UdpPort, .. device.CliOptions], out printed), Cancel);

        Assert.AreEqual(Cli.Ok, exit, printed);
        var match = Mapping().Match(printed);
        Assert.IsTrue(match.Success, printed);
        var terminal = Terminal().Match(printed).Groups[1].Value;
        var mapping = lab.Server.Services.GetRequiredService<UdpMappings>().Find(terminal);
        Assert.IsNotNull(mapping, printed);
        Assert.AreEqual("127.0.0.1", mapping.ObservedIp);
        Assert.AreEqual(int.Parse(match.Groups["local"].Value, System.Globalization.CultureInfo.InvariantCulture), mapping.ObservedPort, "the server saw the device's socket");
        Assert.AreEqual(mapping.ObservedPort, int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture), "and told the device so");
        Assert.Contains("udp-mapping 127.0.0.1:", printed);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task ARunningDeviceWithUdpRegistersEveryPeriod()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var device = await lab.AddDeviceAsync(listens: true, Cancel);
        var terminal = await device.TerminalIdAsync();
        using var stop = new ManualResetEvent(false);
        var output = new StringWriter();
        var writer = TextWriter.Synchronized(output);
        var run = Task.Run(() => Cli.Run(["run", "--udp", "127.0.0.1:" + lab.Server.UdpPort, "--udp-period", "1", .. device.CliOptions], writer, writer, stop), Cancel);
        var mappings = lab.Server.Services.GetRequiredService<UdpMappings>();

        try
        {
            // The server asks for 25 s; the device's own 1 s is shorter and wins, so the counter keeps rising.
            Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => mappings.Find(terminal) is { Counter: >= 3 }, Cancel), output.ToString());
        }
        finally
        {
            stop.Set();
            Assert.AreEqual(Cli.Ok, await run.WaitAsync(TimeSpan.FromSeconds(30), Cancel));
        }

        Assert.Contains("udp-mapping 127.0.0.1:", output.ToString());
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task UdpServerInTheConfigRegistersLikeTheFlag()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var device = await lab.AddDeviceAsync(listens: true, Cancel, extraConfig: $"UdpServer=127.0.0.1:{lab.Server.UdpPort}\n");

        var printed = "";
        var exit = await Task.Run(() => Cli.Run(["run", "--once", .. device.CliOptions], out printed), Cancel);

        Assert.AreEqual(Cli.Ok, exit, printed);
        Assert.IsTrue(Mapping().IsMatch(printed), printed);
        var terminal = Terminal().Match(printed).Groups[1].Value;
        Assert.IsNotNull(lab.Server.Services.GetRequiredService<UdpMappings>().Find(terminal), printed);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task TheUdpFlagWinsOverTheConfig()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);

        // The config names a port nobody answers on; the flag names the server's.
        var device = await lab.AddDeviceAsync(listens: true, Cancel, extraConfig: $"UdpServer=127.0.0.1:{LoopbackPorts.Free()}\n");

        var printed = "";
        var exit = await Task.Run(() => Cli.Run(["run", "--once", "--udp", "127.0.0.1:" + lab.Server.UdpPort, .. device.CliOptions], out printed), Cancel);

        Assert.AreEqual(Cli.Ok, exit, printed);
        Assert.IsTrue(Mapping().IsMatch(printed), printed);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task ABadUdpServerInTheConfigIsReportedAndTheDeviceStillRegisters()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var device = await lab.AddDeviceAsync(listens: true, Cancel, extraConfig: "UdpServer=127.0.0.1:99999\n");

        var printed = "";
        var exit = await Task.Run(() => Cli.Run(["run", "--once", .. device.CliOptions], out printed), Cancel);

        Assert.AreEqual(Cli.Ok, exit, printed);
        Assert.Contains("registered terminal", printed);
        Assert.Contains("UdpServer must be IPv4:PORT", printed);
        Assert.IsFalse(Mapping().IsMatch(printed), printed);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task ATriggerQueuedForARunningUdpDeviceReachesItAsAVerifiedWake()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var device = await lab.AddDeviceAsync(listens: true, Cancel);
        var terminal = await device.TerminalIdAsync();
        using var stop = new ManualResetEvent(false);
        var output = new StringWriter();
        var writer = TextWriter.Synchronized(output);
        var run = Task.Run(() => Cli.Run(["run", "--udp", "127.0.0.1:" + lab.Server.UdpPort, "--udp-period", "1", .. device.CliOptions], writer, writer, stop), Cancel);
        var mappings = lab.Server.Services.GetRequiredService<UdpMappings>();
        long seq;

        try
        {
            Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => mappings.Find(terminal) is not null, Cancel), output.ToString());
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            seq = await lab.Server.Services.GetRequiredService<TriggerStore>().EnqueueAsync(terminal, new Trigger { Kind = TriggerKinds.StatusQuery, CreatedAt = now }, now + 60);
            lab.Server.Services.GetRequiredService<TriggerHub>().Wake(terminal);

            // Either the wake comes first and starts a fetch, or the long-poll's answer did and it is stale: verified both ways.
            Assert.IsTrue(
                await ConnectionLab.EventuallyAsync(() => output.ToString() is var text && (text.Contains($"udp-wake seq {seq}: fetching") || text.Contains($"udp-wake-ignored stale: seq {seq} ")), Cancel),
                output.ToString());
        }
        finally
        {
            stop.Set();
            Assert.AreEqual(Cli.Ok, await run.WaitAsync(TimeSpan.FromSeconds(30), Cancel));
        }

        Assert.DoesNotContain("bad tag", output.ToString());
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task ARunningUdpDeviceWhoseRegistrationsAreAcknowledgedHoldsNoLongPollAndSaysSo()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var device = await lab.AddDeviceAsync(listens: true, Cancel);
        var terminal = await device.TerminalIdAsync();
        using var stop = new ManualResetEvent(false);
        var output = new StringWriter();
        var writer = TextWriter.Synchronized(output);
        var run = Task.Run(() => Cli.Run(["run", "--udp", "127.0.0.1:" + lab.Server.UdpPort, "--udp-period", "1", "--udp-probe", lab.Server.UdpProbePort.ToString(), .. device.CliOptions], writer, writer, stop), Cancel);

        try
        {
            Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => output.ToString().Contains("trigger.channel udp"), Cancel), output.ToString());

            // A poll in flight when UDP took over ends by the server's poll timeout; then none is held,
            // and the registration made within the agent's 5 s check says udp.
            // Quiet for 2 s in a row: a long-polling device is between two polls for milliseconds only.
            var quietSamples = 0;
            string? channel = null;
            for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline && !(quietSamples >= 10 && channel == TriggerChannels.Udp);)
            {
                await Task.Delay(200, Cancel);
                quietSamples = lab.Server.IsPolling(terminal) ? 0 : quietSamples + 1;
                channel = (await lab.Server.Admin.ListDevicesAsync(Cancel)).Single(d => d.TerminalId == terminal).TriggerChannel;
            }

            Assert.IsGreaterThanOrEqualTo(10, quietSamples, "no long-poll is held: " + output);
            Assert.AreEqual(TriggerChannels.Udp, channel, output.ToString());
            StringAssert.Contains(output.ToString(), "udp-lifetime ");
        }
        finally
        {
            stop.Set();
            Assert.AreEqual(Cli.Ok, await run.WaitAsync(TimeSpan.FromSeconds(60), Cancel));
        }
    }

    [GeneratedRegex(@"udp mapping 127\.0\.0\.1:(?<port>\d+) from local port (?<local>\d+)")]
    private static partial Regex Mapping();

    [GeneratedRegex(@"registered terminal (\S+)")]
    private static partial Regex Terminal();
}
