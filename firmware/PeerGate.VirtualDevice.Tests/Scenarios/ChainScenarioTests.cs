using System.Security.Cryptography;
using PeerGate.Device;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;
using PeerGate.VirtualDevice.Commands;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Scenarios;

/// <summary>
/// Virtual devices (the real core with host adapters) against real servers on 127.0.0.1: the
/// allocation chain across instances, the cached authentication server and its fallback (F6-F9).
/// </summary>
[TestClass]
public sealed class ChainScenarioTests
{
    private const string DeviceId = "24A160C3D4E5";
    private const string Maker = "acme";
    private const string Model = "sensor-v2";

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task ThreeLevelChainCacheAndFallbackToANewAuthServer()
    {
        await using var a = await StartAsync("a");
        await using var b = await StartAsync("b");
        var c = await StartAsync("c");
        await using var d = await StartAsync("d");
        try
        {
            var key = RandomNumberGenerator.GetBytes(32);
            await c.Admin.EnrollDeviceAsync(DeviceId, Convert.ToHexString(key), cancellationToken: Cancel);
            await d.Admin.EnrollDeviceAsync(DeviceId, Convert.ToHexString(key), cancellationToken: Cancel);
            await BuildChainAsync(a, b, authUrl: c.BaseUrl);
            using var device = new ScenarioDevice(DeviceId, key);
            var config = Config(a, delegated: false);

            // First boot: the whole chain, A -> A -> B -> C.
            var first = device.Boot(config, out var firstTransport);
            Assert.IsTrue(await Task.Run(first.RunOnce, Cancel), $"{first.LastErrorCode}\n{device.Log}");
            Assert.AreEqual(c.BaseUrl, first.AuthServerUrl);
            Assert.AreEqual(c.BaseUrl, device.CachedAuthServer);
            Assert.AreEqual(1, firstTransport.CountPath(Routes.ServiceEntry));
            Assert.AreEqual(2, firstTransport.CountPath(Routes.AllocationResolve));
            var registered = (await c.Admin.ListDevicesAsync(Cancel)).Single(s => s.DeviceId == DeviceId);
            Assert.AreEqual(first.TerminalId, registered.TerminalId);
            Assert.AreEqual("127.0.0.1", registered.LocalIp);
            Assert.IsTrue(registered.Online);

            // Second boot: straight to the cached C, no chain request at all.
            var second = device.Boot(config, out var secondTransport);
            Assert.IsTrue(await Task.Run(second.RunOnce, Cancel), $"{second.LastErrorCode}\n{device.Log}");
            Assert.AreEqual(0, secondTransport.CountHost(a.BaseUrl) + secondTransport.CountHost(b.BaseUrl));
            Assert.AreEqual(first.TerminalId, second.TerminalId);

            // C goes away and the operator points level 2 at D: the device walks again and moves.
            await c.StopAsync();
            await b.Admin.SetAllocationEntryAsync(new AllocationEntry(2, Model, HopRoles.Authentication, d.BaseUrl, 0), Cancel);
            var third = device.Boot(config, out var thirdTransport);
            Assert.IsTrue(await Task.Run(third.RunOnce, Cancel), $"{third.LastErrorCode}\n{device.Log}");
            Assert.AreEqual(d.BaseUrl, third.AuthServerUrl);
            Assert.AreEqual(d.BaseUrl, device.CachedAuthServer);
            Assert.AreEqual(1, thirdTransport.CountPath(Routes.ServiceEntry));
            Assert.IsTrue((await d.Admin.ListDevicesAsync(Cancel)).Single(s => s.DeviceId == DeviceId).Online);
            Assert.Contains("auth.cache-failed", device.Log);
            Assert.DoesNotContain(Convert.ToHexString(key), device.Log);
        }
        finally
        {
            await c.DisposeAsync();
        }
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task DelegatedAllocationReachesTheSameAuthServer()
    {
        await using var a = await StartAsync("a");
        await using var b = await StartAsync("b");
        await using var c = await StartAsync("c");
        var key = RandomNumberGenerator.GetBytes(32);
        await c.Admin.EnrollDeviceAsync(DeviceId, Convert.ToHexString(key), cancellationToken: Cancel);
        await BuildChainAsync(a, b, authUrl: c.BaseUrl);
        using var device = new ScenarioDevice(DeviceId, key);

        var agent = device.Boot(Config(a, delegated: true), out var transport);
        Assert.IsTrue(await Task.Run(agent.RunOnce, Cancel), $"{agent.LastErrorCode}\n{device.Log}");

        Assert.AreEqual(c.BaseUrl, agent.AuthServerUrl);
        Assert.AreEqual(c.BaseUrl, device.CachedAuthServer);
        Assert.AreEqual(1, transport.CountPath(Routes.ServiceResolve));
        Assert.AreEqual(0, transport.CountPath(Routes.ServiceEntry) + transport.CountPath(Routes.AllocationResolve));
        Assert.IsTrue((await c.Admin.ListDevicesAsync(Cancel)).Single(s => s.DeviceId == DeviceId).Online);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task GroupEnrolledDeviceAuthenticatesAndRegisters()
    {
        await using var a = await StartAsync("a");
        var group = await a.Admin.EnrollGroupAsync("factory-7", cancellationToken: Cancel);
        await a.Admin.SetServiceEntryAsync(new AllocationHop { Role = HopRoles.Allocation, Url = a.BaseUrl, Level = 1 }, Cancel);
        await a.Admin.SetAllocationEntryAsync(new AllocationEntry(1, Maker, HopRoles.Authentication, a.BaseUrl, 0), Cancel);

        // The factory derives the member key from the group key, as virtual-device derive-key does.
        var output = new StringWriter();
        Assert.AreEqual(Cli.Ok, Cli.Run(["derive-key", "--group-key", group.KeyHex, "--device-id", DeviceId], output, new StringWriter()));
        using var device = new ScenarioDevice(DeviceId, Convert.FromHexString(output.ToString().Trim()), "factory-7");

        var agent = device.Boot(Config(a, delegated: false, keys: Maker), out _);
        Assert.IsTrue(await Task.Run(agent.RunOnce, Cancel), $"{agent.LastErrorCode}\n{device.Log}");

        Assert.AreEqual(DeviceState.Registered, agent.State);
        Assert.IsNotNull(agent.TerminalId);
        Assert.AreEqual(a.BaseUrl, device.CachedAuthServer);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task WrongKeyIsRefusedWithItsCodeAndNothingIsCached()
    {
        await using var a = await StartAsync("a");
        await a.Admin.EnrollDeviceAsync(DeviceId, Convert.ToHexString(RandomNumberGenerator.GetBytes(32)), cancellationToken: Cancel);
        await a.Admin.SetServiceEntryAsync(new AllocationHop { Role = HopRoles.Allocation, Url = a.BaseUrl, Level = 1 }, Cancel);
        await a.Admin.SetAllocationEntryAsync(new AllocationEntry(1, Maker, HopRoles.Authentication, a.BaseUrl, 0), Cancel);
        using var device = new ScenarioDevice(DeviceId, RandomNumberGenerator.GetBytes(32));

        var agent = device.Boot(Config(a, delegated: false, keys: Maker), out _);
        Assert.IsFalse(await Task.Run(agent.RunOnce, Cancel));

        // The server does not say whether the device is unknown or its key is wrong.
        Assert.AreEqual(ErrorCodes.AuthenticationFailed, agent.LastErrorCode);
        Assert.IsNull(device.CachedAuthServer);
        Assert.IsNull(agent.TerminalId);
    }

    private CancellationToken Cancel => TestContext.CancellationToken;

    private static Task<TestServer> StartAsync(string issuer) =>
        TestServer.StartAsync(new TestServerOptions { UseSystemClock = true, IssuerName = issuer });

    /// <summary>Service entry on A -> level 1 on A -> level 2 on B -> authentication at <paramref name="authUrl"/>.</summary>
    private async Task BuildChainAsync(TestServer a, TestServer b, string authUrl)
    {
        await a.Admin.SetServiceEntryAsync(new AllocationHop { Role = HopRoles.Allocation, Url = a.BaseUrl, Level = 1 }, Cancel);
        await a.Admin.SetAllocationEntryAsync(new AllocationEntry(1, Maker, HopRoles.Allocation, b.BaseUrl, 2), Cancel);
        await b.Admin.SetAllocationEntryAsync(new AllocationEntry(2, Model, HopRoles.Authentication, authUrl, 0), Cancel);
    }

    private static DeviceConfig Config(TestServer service, bool delegated, string keys = Maker + "," + Model) =>
        DeviceConfig.Parse($"""
            ServiceUrl={service.BaseUrl}
            AllocationKeys={keys}
            DelegatedAllocation={(delegated ? "true" : "false")}
            Kind=sensor
            HttpTimeoutMillis=10000
            """);
}
