using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Server.Triggers;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Scenarios;

/// <summary>The trigger channel between real virtual devices and a real server (F21).</summary>
[TestClass]
public sealed class TriggerScenarioTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Cancel => TestContext.CancellationToken;

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task TriggerQueuedWhileTheDeviceWasOfflineIsDeliveredOnceAfterItReturns()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var device = await lab.AddDeviceAsync(listens: true, Cancel);
        var agent = await device.StartAsync(Cancel);
        var terminalId = agent.TerminalId!;
        device.Stop();

        // Queued while nobody polls: the queue, not a wake-up, carries it.
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await lab.Server.Services.GetRequiredService<TriggerStore>().EnqueueAsync(
            terminalId,
            new Trigger { Kind = TriggerKinds.SessionOffer, CreatedAt = now, SessionId = "S-OFFLINE", PeerTerminalId = "T-CALLER", PeerLocalIp = "127.0.0.1", PeerLocalPort = 9, Password = Convert.ToBase64String(new byte[16]), Key = Convert.ToBase64String(new byte[32]), ExpiresAt = now + 300 },
            now + 300);

        var back = await device.StartAsync(Cancel);
        Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => back.Offers.Find("S-OFFLINE") is not null, Cancel), device.Log);
        device.Stop();

        // A second reboot: the cursor in flash says it was handled, the server has it acknowledged.
        var again = await device.StartAsync(Cancel);
        Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => again.Poller.Polls >= 2, Cancel), device.Log);
        device.Stop();

        Assert.AreEqual(1, Occurrences(device.Log, "trigger.session-offer session S-OFFLINE"), device.Log);
        Assert.IsNull(again.Offers.Find("S-OFFLINE"), "the rebooted device was not given the offer again");
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task SecondPollerForTheSameDeviceSupersedesTheFirst()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var device = await lab.AddDeviceAsync(listens: false, Cancel);
        var first = await device.StartAsync(Cancel);

        // The same device powered on a second time (e.g. a second process over the same image).
        var second = device.Device.Boot(device.Config, out _);
        using var stopSecond = new ManualResetEvent(false);
        var run = Task.Factory.StartNew(() => second.Run(stopSecond), TaskCreationOptions.LongRunning);
        try
        {
            Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => first.Poller.Superseded, Cancel), device.Log);
            Assert.IsFalse(first.Poller.IsRunning);
            Assert.IsFalse(second.Poller.Superseded);
            Assert.Contains("trigger.superseded", device.Log);
        }
        finally
        {
            stopSecond.Set();
            await run.WaitAsync(ConnectionLab.WaitLimit, Cancel);
        }
    }

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
