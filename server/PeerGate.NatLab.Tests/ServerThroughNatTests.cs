using System.Security.Cryptography;

namespace PeerGate.NatLab.Tests;

/// <summary>
/// A real PeerGate server process in the lab's server namespace and a virtual device process behind a
/// NAT router: what the server records as the device's observed address is the router's public one.
/// </summary>
[TestClass]
public sealed class ServerThroughNatTests
{
    private const int Port = 5080;

    private string _dir = null!;

    [TestInitialize]
    public void CreateSandbox() => _dir = Directory.CreateTempSubdirectory("peergate-natlab-").FullName;

    [TestCleanup]
    public void DeleteSandbox() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task ADeviceBehindEndpointIndependentNatIsRecordedAtTheRoutersPublicAddress()
    {
        var lab = await SharedLab.GetAsync();
        var segment = lab[NatKind.EndpointIndependent];
        var url = $"http://{lab.Server.Address}:{Port}";
        var data = Path.Combine(_dir, "data");

        // Plain HTTP to another host is for a lab only: the server's AllowPlainHttp and the device's
        // own AllowPlainHttp both say so (loopback, where peergate-op talks to it, needs neither).
        using var server = lab.StartDotnet(lab.Server, LabBinaries.Server,
        [
            "--urls", $"{url};http://127.0.0.1:{Port}",
            $"--PeerGate:DataDirectory={data}",
            "--PeerGate:AllowPlainHttp=true",
            $"--PeerGate:PublicBaseUrl={url}",
            $"--PeerGate:RegistryUrl={url}",
        ]);
        Assert.IsNotNull(await server.WaitForLineAsync(line => line.Contains("Application started.", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), server.Output);

        await OperatorAsync(lab, "alloc", "service-entry", "--url", url, "--level", "1");
        await OperatorAsync(lab, "alloc", "entry", "set", "--level", "1", "--key", "acme", "--role", "authentication", "--url", url);

        var deviceId = RandomNumberGenerator.GetHexString(12);
        var image = Path.Combine(_dir, "device.efuse");
        var burned = await Command.RunCheckedAsync(NatLab.DotnetHost(), [LabBinaries.VirtualDevice, "burn", "--image", image, "--device-id", deviceId, "--generate-key"]);
        var key = burned.Split('\n').Single(line => line.StartsWith("device-key ", StringComparison.Ordinal))["device-key ".Length..].Trim();
        await OperatorAsync(lab, "enroll", "device", deviceId, "--key", key);

        var config = Path.Combine(_dir, "device.conf");
        await File.WriteAllTextAsync(config, $"""
            ServiceUrl={url}
            AllowPlainHttp=true
            AllocationKeys=acme
            DelegatedAllocation=false
            Discoverable=false
            Kind=sensor
            HttpTimeoutMillis=10000

            """);

        var run = await lab.ExecDotnetAsync(segment.Host, LabBinaries.VirtualDevice,
            ["run", "--image", image, "--config", config, "--state", Path.Combine(_dir, "state"), "--once"], TimeSpan.FromSeconds(60));
        Assert.IsTrue(run.Succeeded, run.Output + "\nserver:\n" + server.Output);
        StringAssert.Contains(run.Output, "registered terminal");

        var devices = await OperatorAsync(lab, "devices");
        var row = devices.Split('\n').Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .SingleOrDefault(columns => columns.Length > 4 && columns[0] == deviceId);
        Assert.IsNotNull(row, devices);

        // DEVICE TERMINAL GROUPS DECLARED OBSERVED ...: the device declares its private address, the
        // server saw the router's.
        var declared = row[3];
        var observed = row[4];
        StringAssert.StartsWith(declared, segment.Host.Address + ":", devices);
        StringAssert.StartsWith(observed, segment.PublicAddress + ":", devices);
        Assert.DoesNotContain(segment.Host.Address.ToString(), observed);
    }

    /// <summary>peergate-op inside the server's namespace, over loopback with the generated admin token.</summary>
    private async Task<string> OperatorAsync(NatLab lab, params string[] arguments)
    {
        var result = await lab.ExecDotnetAsync(lab.Server, LabBinaries.Operator,
            ["--server", $"http://127.0.0.1:{Port}", "--token-file", Path.Combine(_dir, "data", "admin-token"), .. arguments], TimeSpan.FromSeconds(30));
        Assert.IsTrue(result.Succeeded, $"peergate-op {string.Join(' ', arguments)}: {result.Output}");
        return result.Output;
    }
}
