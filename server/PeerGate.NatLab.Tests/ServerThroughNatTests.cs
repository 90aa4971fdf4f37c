namespace PeerGate.NatLab.Tests;

/// <summary>
/// A real PeerGate server process in the lab's server namespace and a virtual device process behind a
/// NAT router: what the server records as the device's observed address is the router's public one.
/// </summary>
[TestClass]
public sealed class ServerThroughNatTests
{
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
        using var server = await LabPeerGateServer.StartAsync(lab, _dir);
        var device = await server.EnrollDeviceAsync("device");

        var run = await device.RunOnceAsync(segment.Host);

        Assert.IsTrue(run.Succeeded, run.Output + "\nserver:\n" + server.Process.Output);
        StringAssert.Contains(run.Output, "registered terminal");

        // The device declares its private address, the server saw the router's.
        var row = await server.DeviceRowAsync(device.DeviceId);
        Assert.IsNotNull(row, await server.OperatorAsync("devices"));
        var (declared, observed) = (row.Declared!, row.Observed!);
        StringAssert.StartsWith(declared, segment.Host.Address + ":", row.Json);
        StringAssert.StartsWith(observed, segment.PublicAddress + ":", row.Json);
        Assert.DoesNotContain(segment.Host.Address.ToString(), observed);
    }
}
