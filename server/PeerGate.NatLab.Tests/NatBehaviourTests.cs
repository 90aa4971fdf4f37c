using System.Net;

namespace PeerGate.NatLab.Tests;

/// <summary>
/// Each router of the lab does what its kind says, observed from the outside: the echo on the public
/// segment reports the address and port it saw.
/// </summary>
[TestClass]
public sealed class NatBehaviourTests
{
    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    [DataRow(NatKind.EndpointIndependent)]
    [DataRow(NatKind.Symmetric)]
    [DataRow(NatKind.ShortTimeout)]
    [DataRow(NatKind.Lossy)]
    public async Task UdpFromBehindTheNatArrivesFromTheRoutersPublicAddress(NatKind kind)
    {
        var lab = await SharedLab.GetAsync();
        var segment = lab[kind];
        var client = await LabClient.StartAsync(lab, segment.Host);

        // The lossy router may drop a probe: ten tries lose all of them once in about 170 000 runs.
        IPEndPoint? seen = null;
        for (var attempt = 0; attempt < 10 && seen is null; attempt++)
        {
            seen = await client.UdpAsync(SharedLab.ServerEcho.Udp);
        }

        Assert.IsNotNull(seen, client.ToString());
        Assert.AreEqual(segment.PublicAddress, seen.Address, "the server sees the router, not " + segment.Host.Address);
        Assert.AreNotEqual(segment.Host.Address, seen.Address);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    [DataRow(NatKind.EndpointIndependent)]
    [DataRow(NatKind.Symmetric)]
    [DataRow(NatKind.ShortTimeout)]
    [DataRow(NatKind.UdpBlocked)]
    [DataRow(NatKind.Lossy)]
    public async Task TcpFromBehindTheNatArrivesFromTheRoutersPublicAddress(NatKind kind)
    {
        var lab = await SharedLab.GetAsync();
        var segment = lab[kind];
        var client = await LabClient.StartAsync(lab, segment.Host);

        var seen = await client.TcpAsync(SharedLab.ServerEcho.Tcp);

        Assert.IsNotNull(seen, client.ToString());
        Assert.AreEqual(segment.PublicAddress, seen.Address, "the server sees the router, not " + segment.Host.Address);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task EndpointIndependentMappingShowsOnePortToEveryDestination()
    {
        var lab = await SharedLab.GetAsync();
        var segment = lab[NatKind.EndpointIndependent];
        var client = await LabClient.StartAsync(lab, segment.Host);

        var toServer = await client.UdpAsync(SharedLab.ServerEcho.Udp);
        var toRequester = await client.UdpAsync(SharedLab.RequesterEcho.Udp);

        Assert.IsNotNull(toServer, client.ToString());
        Assert.IsNotNull(toRequester, client.ToString());
        Assert.AreEqual(toServer, toRequester, "one mapping for both destinations");
        Assert.AreEqual(client.LocalPort, toServer.Port, "masquerade kept the host's own source port");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task SymmetricMappingShowsADifferentPortToEachDestination()
    {
        var lab = await SharedLab.GetAsync();
        var segment = lab[NatKind.Symmetric];
        var client = await LabClient.StartAsync(lab, segment.Host);

        var toServer = await client.UdpAsync(SharedLab.ServerEcho.Udp);
        var toRequester = await client.UdpAsync(SharedLab.RequesterEcho.Udp);
        var toServerAgain = await client.UdpAsync(SharedLab.ServerEcho.Udp);

        Assert.IsNotNull(toServer, client.ToString());
        Assert.IsNotNull(toRequester, client.ToString());
        Assert.AreEqual(segment.PublicAddress, toRequester.Address);
        // fully-random draws each port at random: the same draw twice is a 1 in ~64 000 chance.
        Assert.AreNotEqual(toServer.Port, toRequester.Port, "a fresh port per destination");
        Assert.AreEqual(toServer, toServerAgain, "a live mapping keeps its port");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ShortTimeoutMappingExpiresAndTheNextDatagramGetsANewPort()
    {
        var lab = await SharedLab.GetAsync();
        var segment = lab[NatKind.ShortTimeout];
        var client = await LabClient.StartAsync(lab, segment.Host);

        var first = await client.UdpAsync(SharedLab.ServerEcho.Udp);
        Assert.IsNotNull(first, client.ToString());
        StringAssert.Contains(await lab.ConntrackAsync(segment), $"sport={client.LocalPort}", "the router holds the mapping");

        // While the mapping lives the server can send through it.
        await SharedLab.ServerEcho.SendAsync(first, "while-open");
        Assert.AreEqual($"{SharedLab.ServerEcho.Udp} while-open", await client.WaitForDatagramAsync(TimeSpan.FromSeconds(2)));

        // The kernel's conntrack clock, not ours: no fake time reaches it, so this waits out the
        // router's real UDP timeout (3 s) and a margin for its garbage collection.
        await WaitUntilAsync(
            async () => !(await lab.ConntrackAsync(segment)).Contains($"sport={client.LocalPort}", StringComparison.Ordinal),
            TimeSpan.FromSeconds(NatLab.ShortMappingSeconds + 5));

        await SharedLab.ServerEcho.SendAsync(first, "after-expiry");
        Assert.IsNull(await client.WaitForDatagramAsync(TimeSpan.FromMilliseconds(500)), "the expired mapping still let a datagram in");

        var second = await client.UdpAsync(SharedLab.ServerEcho.Udp);
        Assert.IsNotNull(second, client.ToString());
        Assert.AreEqual(segment.PublicAddress, second.Address);
        // A random port of 20000-32767 each time: the same one twice is a 1 in 12 768 chance.
        Assert.AreNotEqual(first.Port, second.Port, "a new mapping after the timeout");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task TheUdpBlockingRouterPassesTcpButNoUdp()
    {
        var lab = await SharedLab.GetAsync();
        var segment = lab[NatKind.UdpBlocked];
        var client = await LabClient.StartAsync(lab, segment.Host);

        var tcp = await client.TcpAsync(SharedLab.ServerEcho.Tcp);
        var udp = await client.UdpAsync(SharedLab.ServerEcho.Udp);

        Assert.AreEqual(segment.PublicAddress, tcp?.Address, client.ToString());
        Assert.IsNull(udp, "UDP got through: " + client);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task TheLossyRouterLosesAboutAThirdOfTheUdp()
    {
        var lab = await SharedLab.GetAsync();
        var client = await LabClient.StartAsync(lab, lab[NatKind.Lossy].Host);
        const int sent = 300;

        var answered = await client.BurstAsync(SharedLab.ServerEcho.Udp, sent);

        // Expected 210 answered (30 % lost, one way); the standard deviation is about 8, so 20-40 %
        // loss is over four of them either side.
        var lost = (sent - answered) * 100.0 / sent;
        Assert.IsTrue(lost is >= 20 and <= 40, $"{answered} of {sent} answered ({lost:F0} % lost)");

        // The same burst through a router without loss loses nothing: the loss is the router's.
        var clean = await LabClient.StartAsync(lab, lab[NatKind.EndpointIndependent].Host);
        Assert.AreEqual(sent, await clean.BurstAsync(SharedLab.ServerEcho.Udp, sent));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            Assert.IsLessThan(deadline, DateTime.UtcNow, $"not within {limit.TotalSeconds} s");
            await Task.Delay(250);
        }
    }
}
