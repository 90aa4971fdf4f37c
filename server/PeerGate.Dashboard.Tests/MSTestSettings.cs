// One browser at a time: chromium and the virtual devices share two cores with the server.
[assembly: DoNotParallelize]

namespace PeerGate.Dashboard.Tests;

[TestClass]
public static class TestAssembly
{
    /// <summary>Virtual devices block pool threads on synchronous HTTP while the server runs on the same pool (as in PeerGate.VirtualDevice.Tests).</summary>
    [AssemblyInitialize]
    public static void GiveBlockingDevicesEnoughThreads(TestContext context)
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }
}
