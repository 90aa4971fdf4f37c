using PeerGate.VirtualDevice.Adapters;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Adapters;

[TestClass]
public sealed class ProcessLoadSourceTests
{
    [TestMethod]
    public void ForceBusyFileCountsWhileItExists()
    {
        using var temp = new TempFolder();
        var load = new ProcessLoadSource(temp.Path);
        Assert.IsFalse(load.ForcedBusy);

        File.WriteAllText(load.ForceBusyPath, "");
        Assert.IsTrue(load.ForcedBusy);

        File.Delete(load.ForceBusyPath);
        Assert.IsFalse(load.ForcedBusy);
    }

    [TestMethod]
    public void ForceBusyOptionHoldsWithoutTheFile()
    {
        using var temp = new TempFolder();

        Assert.IsTrue(new ProcessLoadSource(temp.Path, forceBusy: true).ForcedBusy);
    }

    [TestMethod]
    public void ReadingsAreInRange()
    {
        using var temp = new TempFolder();
        var load = new ProcessLoadSource(temp.Path);

        Assert.IsTrue(load.FreeHeapBytes > 0);
        Assert.IsTrue(load.LargestFreeBlockBytes > 0);
        Assert.IsTrue(load.CpuLoadPercent is >= 0 and <= 100);
    }
}
