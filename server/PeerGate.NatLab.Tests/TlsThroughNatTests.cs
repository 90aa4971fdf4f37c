using PeerGate.Server.Testing;

namespace PeerGate.NatLab.Tests;

/// <summary>
/// The lab's server speaks TLS only on its public address, with a certificate from the lab's own CA:
/// a device behind a NAT that pins that CA gets through, one that pins another CA is refused before
/// it sends anything, and plain HTTP to the public address finds no listener.
/// </summary>
[TestClass]
public sealed class TlsThroughNatTests
{
    private string _dir = null!;

    [TestInitialize]
    public void CreateSandbox() => _dir = Directory.CreateTempSubdirectory("peergate-natlab-").FullName;

    [TestCleanup]
    public void DeleteSandbox() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task ADeviceBehindNatRegistersOverHttpsAndAnotherCaIsRefused()
    {
        var lab = await SharedLab.GetAsync();
        var segment = lab[NatKind.EndpointIndependent];
        using var server = await LabPeerGateServer.StartAsync(lab, _dir);
        StringAssert.StartsWith(server.Url, "https://");
        var device = await server.EnrollDeviceAsync("device");

        var run = await device.RunOnceAsync(segment.Host);

        Assert.IsTrue(run.Succeeded, run.Output + "\nserver:\n" + server.Process.Output);
        StringAssert.Contains(run.Output, "via " + server.Url);

        using var other = new TestCertificateAuthority("Not the lab CA");
        var config = await File.ReadAllLinesAsync(device.Config);
        await File.WriteAllLinesAsync(device.Config, config.Select(line => line.StartsWith("CaFile=", StringComparison.Ordinal) ? "CaFile=" + other.CertificatePath : line));

        var refused = await device.RunOnceAsync(segment.Host);

        Assert.IsFalse(refused.Succeeded, refused.Output);
        StringAssert.Contains(refused.Output, "untrusted CA");
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task PlainHttpToThePublicAddressGetsNoApi()
    {
        var lab = await SharedLab.GetAsync();
        var segment = lab[NatKind.EndpointIndependent];
        using var server = await LabPeerGateServer.StartAsync(lab, _dir);
        var device = await server.EnrollDeviceAsync("device", "AllowPlainHttp=true");
        var config = await File.ReadAllLinesAsync(device.Config);
        await File.WriteAllLinesAsync(device.Config, config.Select(line => line.StartsWith("ServiceUrl=", StringComparison.Ordinal) ? "ServiceUrl=" + server.Url.Replace("https://", "http://", StringComparison.Ordinal) : line));

        var run = await device.RunOnceAsync(segment.Host);

        Assert.IsFalse(run.Succeeded, run.Output);
        Assert.DoesNotContain("registered terminal", run.Output);
        StringAssert.Contains(run.Output, "connection_failed");
    }
}
