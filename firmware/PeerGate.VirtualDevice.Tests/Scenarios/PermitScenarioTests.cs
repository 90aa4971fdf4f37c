using PeerGate.VirtualDevice.Commands;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Scenarios;

/// <summary>The permit commands against a real server (F14, F16).</summary>
[TestClass]
public sealed class PermitScenarioTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task PermitCommandsEditShowAndSetThePolicy()
    {
        await using var lab = await ConnectionLab.StartAsync(TestContext.CancellationToken);
        var device = await lab.AddDeviceAsync(listens: false, TestContext.CancellationToken);

        var created = Run(["permit", "create", "group:lab", "add", "terminal:T-0002", "name:TERM1", .. device.CliOptions]);
        Assert.AreEqual(Cli.Ok, created.Code, created.Text);
        Assert.Contains("complete: 3 entries", created.Text);

        var deleted = Run(["permit", "delete", "name:TERM1", .. device.CliOptions]);
        Assert.AreEqual(Cli.Ok, deleted.Code, deleted.Text);
        Assert.Contains("complete: 2 entries", deleted.Text);

        Assert.AreEqual(Cli.Ok, Run(["permit", "policy", "--uniform-denial", "on", .. device.CliOptions]).Code);

        var shown = Run(["permit", "show", .. device.CliOptions]);
        Assert.AreEqual(Cli.Ok, shown.Code, shown.Text);
        Assert.Contains("uniform denial on", shown.Text);
        Assert.Contains("  group:lab", shown.Text);
        Assert.Contains("  terminal:T-0002", shown.Text);
        Assert.DoesNotContain("TERM1", shown.Text);
    }

    private static (int Code, string Text) Run(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Cli.Run(args, output, error);
        return (code, output + error.ToString());
    }
}
