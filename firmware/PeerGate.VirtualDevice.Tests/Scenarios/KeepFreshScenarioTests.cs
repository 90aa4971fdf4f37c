using System.Security.Cryptography;
using PeerGate.Device;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Scenarios;

/// <summary>A running virtual device keeps its registration true to where it is (F9, F10).</summary>
[TestClass]
public sealed class KeepFreshScenarioTests
{
    private const string DeviceId = "24A160C3D4F0";

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task RunningDeviceRegistersItsNewAddressAtOnce()
    {
        var cancel = TestContext.CancellationToken;
        await using var server = await TestServer.StartAsync(new TestServerOptions { UseSystemClock = true });
        var key = RandomNumberGenerator.GetBytes(32);
        await server.Admin.EnrollDeviceAsync(DeviceId, Convert.ToHexString(key), cancellationToken: cancel);
        await server.Admin.SetServiceEntryAsync(new AllocationHop { Role = HopRoles.Allocation, Url = server.BaseUrl, Level = 1 }, cancel);
        await server.Admin.SetAllocationEntryAsync(new AllocationEntry(1, "acme", HopRoles.Authentication, server.BaseUrl, 0), cancel);
        using var device = new ScenarioDevice(DeviceId, key);
        var network = new MovableNetwork("127.0.0.1", 7000);
        var agent = device.Boot(DeviceConfig.Parse($"ServiceUrl={server.BaseUrl}\nAllocationKeys=acme"), out _, network);
        using var registered = new ManualResetEventSlim();
        agent.StateChanged += (_, state) =>
        {
            if (state == DeviceState.Registered)
            {
                registered.Set();
            }
        };

        using var stop = new ManualResetEvent(false);
        var run = Task.Factory.StartNew(() => agent.Run(stop), TaskCreationOptions.LongRunning);
        try
        {
            Assert.IsTrue(registered.Wait(TimeSpan.FromSeconds(30), cancel), device.Log);
            Assert.AreEqual("127.0.0.1", (await DeviceAsync(server)).LocalIp);

            network.LocalIp = "127.0.0.2";

            // The agent looks at its address every few seconds; allow a few rounds.
            var deadline = DateTime.UtcNow.AddSeconds(DeviceAgent.AddressCheckMillis * 4 / 1000);
            DeviceSummary summary;
            do
            {
                await Task.Delay(200, cancel);
                summary = await DeviceAsync(server);
            }
            while (summary.LocalIp != "127.0.0.2" && DateTime.UtcNow < deadline);

            Assert.AreEqual("127.0.0.2", summary.LocalIp, device.Log);
            Assert.IsTrue(summary.Online);
            Assert.Contains("address.changed", device.Log);
        }
        finally
        {
            stop.Set();
            await run.WaitAsync(TimeSpan.FromSeconds(30), cancel);
        }

        Assert.AreEqual(DeviceState.Stopped, agent.State);
    }

    private async Task<DeviceSummary> DeviceAsync(TestServer server) =>
        (await server.Admin.ListDevicesAsync(TestContext.CancellationToken)).Single(d => d.DeviceId == DeviceId);
}
