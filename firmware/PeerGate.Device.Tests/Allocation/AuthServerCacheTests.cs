using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Allocation;

[TestClass]
public sealed class AuthServerCacheTests
{
    private const string OldAuthUrl = "https://old-auth.test";

    [TestMethod]
    public void SecondBootGoesStraightToTheCachedServer()
    {
        var rig = DeviceRig.WithChain(3);
        Assert.IsTrue(rig.NewAgent().RunOnce());
        var chainRequestsOnFirstBoot = rig.ChainRequests();
        var cacheWrites = rig.Settings.Writes;

        var secondBoot = rig.NewAgent();
        Assert.IsTrue(secondBoot.RunOnce(), secondBoot.LastErrorCode);

        Assert.AreEqual(chainRequestsOnFirstBoot, rig.ChainRequests());
        Assert.AreEqual(cacheWrites, rig.Settings.Writes);
        Assert.AreEqual(DeviceRig.AuthUrl, secondBoot.AuthServerUrl);
        Assert.HasCount(2, rig.Registry.Registrations);
    }

    public static IEnumerable<object[]> CachedServerFailures() =>
    [
        ["connection refused", null!],
        ["server error", new FixedReplyServer(503, "")],
        ["route not found", new FixedReplyServer(404, "")],
        ["not a PeerGate server", new FixedReplyServer(200, "<html>welcome</html>")],
        ["unexpected JSON", new FixedReplyServer(200, """{"Hello":"world"}""")],
        ["device unknown there", new FixedReplyServer(404, """{"status":404,"code":"unknown_device"}""")],
        ["device not authenticated there", new FixedReplyServer(401, """{"status":401,"code":"authentication_failed"}""")],
    ];

    [TestMethod]
    [DynamicData(nameof(CachedServerFailures))]
    public void FailingCachedServerIsReplacedByAFreshWalk(string failure, FixedReplyServer? cachedServer)
    {
        var rig = DeviceRig.WithChain(2);
        rig.Settings.Write("auth-server", OldAuthUrl);
        if (cachedServer is not null)
        {
            rig.Internet.Add(OldAuthUrl, cachedServer);
        }

        var agent = rig.NewAgent();
        Assert.IsTrue(agent.RunOnce(), $"{failure}: {agent.LastErrorCode}");

        Assert.AreEqual(1, rig.Internet.CountTo(OldAuthUrl), failure);
        Assert.AreEqual(3, rig.ChainRequests(), failure);
        Assert.AreEqual(DeviceRig.AuthUrl, rig.Settings.Read("auth-server"), failure);
        Assert.AreEqual(DeviceRig.AuthUrl, agent.AuthServerUrl, failure);
        Assert.IsTrue(rig.Log.Has("auth.cache-failed"), failure);
    }

    [TestMethod]
    public void RefusalAtTheCachedServerIsSurfacedWithoutAWalk()
    {
        var rig = DeviceRig.WithChain(2);
        rig.Settings.Write("auth-server", DeviceRig.AuthUrl);
        rig.Auth.RefuseWith = ErrorCodes.DeviceDisabled;

        var agent = rig.NewAgent();
        Assert.IsFalse(agent.RunOnce());

        Assert.AreEqual(ErrorCodes.DeviceDisabled, agent.LastErrorCode);
        Assert.AreEqual(0, rig.ChainRequests());
    }

    [TestMethod]
    public void CacheIsNotWrittenWhenAuthenticationAfterTheWalkFails()
    {
        var rig = DeviceRig.WithChain(2);
        rig.Settings.Write("auth-server", OldAuthUrl);
        rig.SigningKey = new byte[32];

        var agent = rig.NewAgent();
        Assert.IsFalse(agent.RunOnce());

        Assert.AreEqual(ErrorCodes.AuthenticationFailed, agent.LastErrorCode);
        Assert.AreEqual(OldAuthUrl, rig.Settings.Read("auth-server"));
        Assert.IsNull(agent.AuthServerUrl);
    }

    [TestMethod]
    public void KeyRefusedEverywhereWalksOnceAndIsSurfaced()
    {
        var rig = DeviceRig.WithChain(2);
        rig.Settings.Write("auth-server", DeviceRig.AuthUrl);
        rig.SigningKey = new byte[32];

        var agent = rig.NewAgent();
        Assert.IsFalse(agent.RunOnce());

        // The cached server's answer could mean "moved elsewhere": one walk, then its server's answer stands.
        Assert.AreEqual(ErrorCodes.AuthenticationFailed, agent.LastErrorCode);
        Assert.AreEqual(3, rig.ChainRequests());
        Assert.AreEqual(2, rig.Auth.Challenges);
        Assert.AreEqual(DeviceRig.AuthUrl, rig.Settings.Read("auth-server"));
    }

    [TestMethod]
    public void CacheHoldingGarbageIsIgnored()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Settings.Write("auth-server", "not a url");

        var agent = rig.NewAgent();
        Assert.IsTrue(agent.RunOnce(), agent.LastErrorCode);

        Assert.AreEqual(DeviceRig.AuthUrl, rig.Settings.Read("auth-server"));
        Assert.IsTrue(rig.Log.Has("auth.cache-ignored"));
    }

    [TestMethod]
    public void FailedWalkKeepsTheOldCacheForTheNextBoot()
    {
        var rig = DeviceRig.WithChain(2);
        rig.Settings.Write("auth-server", OldAuthUrl);
        rig.Internet.Remove(DeviceRig.ServiceUrl);

        var agent = rig.NewAgent();
        Assert.IsFalse(agent.RunOnce());

        Assert.AreEqual("connection_failed", agent.LastErrorCode);
        Assert.AreEqual(OldAuthUrl, rig.Settings.Read("auth-server"));
        Assert.AreEqual(1, rig.Internet.CountTo(DeviceRig.ServiceUrl));
    }
}
