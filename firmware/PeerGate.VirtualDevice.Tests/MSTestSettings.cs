[assembly: Parallelize(Scope = ExecutionScope.MethodLevel)]

namespace PeerGate.VirtualDevice.Tests;

[TestClass]
public static class TestAssembly
{
    /// <summary>
    /// Virtual devices block thread-pool threads on synchronous HTTP (as the board does), while the
    /// servers they talk to run in the same process on the same pool. With tests in parallel the pool
    /// would grow only slowly and a device's request could wait out its HTTP timeout for a thread.
    /// </summary>
    [AssemblyInitialize]
    public static void GiveBlockingDevicesEnoughThreads(TestContext context)
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }
}
