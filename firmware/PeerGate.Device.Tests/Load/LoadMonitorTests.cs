using PeerGate.Device.Load;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Load;

[TestClass]
public sealed class LoadMonitorTests
{
    private readonly FakeLoadSource _source = new();

    [TestMethod]
    public void QuietDeviceIsAcceptableAndReportsItsReadings()
    {
        var reply = Monitor().Assess(5);

        Assert.AreEqual(AcceptStatus.Acceptable, reply.Status);
        Assert.IsNull(reply.Reason);
        Assert.AreEqual(0, reply.RetryAfterSeconds);
        Assert.AreEqual(5, reply.Seq);
        Assert.AreEqual(_source.CpuLoadPercent, reply.CpuLoadPercent);
        Assert.AreEqual(_source.LargestFreeBlockBytes, reply.LargestFreeBlockBytes);
        Assert.AreEqual(DeviceConfig.DefaultSessionLimit, reply.SessionLimit);
    }

    [TestMethod]
    public void ReadingsOutsideTheProtocolRangesAreSentClamped()
    {
        _source.CpuLoadPercent = 250;
        _source.FreeHeapBytes = -5;
        _source.LargestFreeBlockBytes = -1;

        var reply = Monitor().Assess(1);

        Assert.AreEqual(FieldRanges.MaxPercent, reply.CpuLoadPercent);
        Assert.AreEqual(0, reply.FreeHeapBytes);
        Assert.AreEqual(0, reply.LargestFreeBlockBytes);
    }

    [TestMethod]
    public void ForcedBusyWinsOverEverything()
    {
        _source.ForcedBusy = true;
        _source.CpuLoadPercent = 100;

        AssertBusy(Monitor().Assess(1), BusyReasons.Forced, LoadMonitor.ForcedRetryAfterSeconds);
    }

    [TestMethod]
    public void DeviceInItsOnlySessionIsBusyInSession()
    {
        var monitor = Monitor();
        monitor.SessionStarted();

        var reply = monitor.Assess(1);

        AssertBusy(reply, BusyReasons.InSession, LoadMonitor.SessionRetryAfterSeconds);
        Assert.AreEqual(1, reply.ActiveSessions);
        monitor.SessionEnded();
        Assert.AreEqual(AcceptStatus.Acceptable, monitor.Assess(2).Status);
    }

    [TestMethod]
    public void DeviceAtItsSessionLimitIsBusySessionLimit()
    {
        var monitor = Monitor("SessionLimit=3");
        monitor.SessionStarted();
        monitor.SessionStarted();
        Assert.AreEqual(AcceptStatus.Acceptable, monitor.Assess(1).Status);

        monitor.SessionStarted();

        AssertBusy(monitor.Assess(2), BusyReasons.SessionLimit, LoadMonitor.SessionRetryAfterSeconds);
    }

    [TestMethod]
    public void UnpairedSessionEndDoesNotMakeExtraRoom()
    {
        var monitor = Monitor();
        monitor.SessionEnded();
        monitor.SessionStarted();

        AssertBusy(monitor.Assess(1), BusyReasons.InSession, LoadMonitor.SessionRetryAfterSeconds);
    }

    [TestMethod]
    public void SmallLargestNativeBlockIsBusyLowNativeMemory()
    {
        _source.LargestFreeBlockBytes = DeviceConfig.DefaultMinNativeBlockBytes - 1;

        AssertBusy(Monitor().Assess(1), BusyReasons.LowNativeMemory, LoadMonitor.MemoryRetryAfterSeconds);
    }

    [TestMethod]
    public void LowManagedHeapIsBusyLowHeap()
    {
        _source.FreeHeapBytes = 4000;

        AssertBusy(Monitor("MinFreeHeapBytes=5000").Assess(1), BusyReasons.LowHeap, LoadMonitor.MemoryRetryAfterSeconds);
    }

    [TestMethod]
    public void HighCpuLoadIsBusyCpuLoad()
    {
        _source.CpuLoadPercent = 71;

        AssertBusy(Monitor("MaxCpuLoadPercent=70").Assess(1), BusyReasons.CpuLoad, LoadMonitor.CpuRetryAfterSeconds);
        _source.CpuLoadPercent = 70;
        Assert.AreEqual(AcceptStatus.Acceptable, Monitor("MaxCpuLoadPercent=70").Assess(2).Status);
    }

    [TestMethod]
    public void ThresholdsOutsideTheirRangeAreRefusedByTheConfig()
    {
        Assert.Throws<ArgumentException>(() => Monitor("MaxCpuLoadPercent=101"));
        Assert.Throws<ArgumentException>(() => Monitor("SessionLimit=0"));
    }

    private LoadMonitor Monitor(string extra = "") =>
        new(_source, DeviceConfig.Parse("ServiceUrl=https://service.test\nAllocationKeys=acme\n" + extra));

    private static void AssertBusy(TriggerReply reply, string reason, int retryAfter)
    {
        Assert.AreEqual(AcceptStatus.Busy, reply.Status);
        Assert.AreEqual(reason, reply.Reason);
        Assert.AreEqual(retryAfter, reply.RetryAfterSeconds);
    }
}
