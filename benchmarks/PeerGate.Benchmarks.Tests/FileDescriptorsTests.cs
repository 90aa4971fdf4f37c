namespace PeerGate.Benchmarks.Tests;

/// <summary>An idle-device line that cannot hold a socket per device says so with the limit instead of running out of files midway.</summary>
[TestClass]
public sealed class FileDescriptorsTests
{
    [TestMethod]
    public void AFewSocketsFitAndMoreThanTheLimitAreRefusedWithIt()
    {
        var limit = FileDescriptors.Limit() ?? long.MaxValue;
        if (limit > int.MaxValue / 2)
        {
            Assert.Inconclusive("no finite open-file limit in /proc here");
        }

        Assert.IsNull(FileDescriptors.Shortfall(10));
        var shortfall = FileDescriptors.Shortfall((int)limit);
        Assert.IsNotNull(shortfall);
        StringAssert.Contains(shortfall, "ulimit -n");
        StringAssert.Contains(shortfall, limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.IsTrue(FileDescriptors.Open() > 0);
    }
}
