using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests;

/// <summary>
/// The whole run's set-up: on the PostgreSQL run (PEERGATE_TEST_STORAGE=postgres) a server that cannot
/// get its database reports its test skipped with the reason, and the one cluster stops at the end.
/// </summary>
[TestClass]
public static class TestRun
{
    [AssemblyInitialize]
    public static void Start(TestContext context) => TestStorage.Skip = reason => Assert.Inconclusive(reason);

    [AssemblyCleanup]
    public static async Task StopAsync() => await TestStorage.StopAsync();
}
