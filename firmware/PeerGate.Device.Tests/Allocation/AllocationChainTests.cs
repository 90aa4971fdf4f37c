using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Allocation;

[TestClass]
public sealed class AllocationChainTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    [DataRow(4)]
    public void WalksEveryLevelWithItsOwnKeyAndRegisters(int levels)
    {
        var rig = DeviceRig.WithChain(levels);
        var agent = rig.NewAgent();

        Assert.IsTrue(agent.RunOnce(), agent.LastErrorCode);

        Assert.AreEqual(DeviceState.Registered, agent.State);
        Assert.AreEqual("T-0001", agent.TerminalId);
        Assert.AreEqual(DeviceRig.AuthUrl, agent.AuthServerUrl);
        for (int level = 0; level < levels; level++)
        {
            CollectionAssert.AreEqual(new[] { rig.Config.AllocationKeys[level] }, rig.Levels[level].KeysAsked);
        }

        Assert.AreEqual(1 + levels, rig.ChainRequests());
        Assert.AreEqual(DeviceRig.AuthUrl, rig.Settings.Read("auth-server"));
        Assert.HasCount(1, rig.Registry.Registrations);
    }

    [TestMethod]
    public void DelegatedAllocationAsksTheServiceServerOnce()
    {
        var rig = DeviceRig.WithChain(3, delegated: true);
        var agent = rig.NewAgent();

        Assert.IsTrue(agent.RunOnce(), agent.LastErrorCode);

        Assert.AreEqual(1, rig.ChainRequests());
        Assert.AreEqual(Routes.ServiceResolve, rig.Internet.Requests[0].Path);
        CollectionAssert.AreEqual(new[] { "maker", "model", "revision" }, rig.Service.DelegatedKeys.Single());
        Assert.AreEqual(DeviceRig.AuthUrl, rig.Settings.Read("auth-server"));
        Assert.AreEqual(DeviceState.Registered, agent.State);
    }

    [TestMethod]
    public void UnknownAllocationKeyIsSurfacedAndNothingIsCached()
    {
        var rig = DeviceRig.WithChain(2);
        rig.Config.AllocationKeys = ["maker", "no-such-model"];
        var agent = rig.NewAgent();

        Assert.IsFalse(agent.RunOnce());

        Assert.AreEqual(ErrorCodes.AllocationKeyUnknown, agent.LastErrorCode);
        Assert.IsNull(rig.Settings.Read("auth-server"));
        Assert.AreEqual(0, rig.Auth.Challenges);
    }

    [TestMethod]
    public void HopDeeperThanTheDeviceHasKeysIsAnUnexpectedAnswer()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Internet.Add(DeviceRig.LevelUrl(1), new Fakes.FixedReplyServer(200, """{"Role":"allocation","Url":"https://alloc2.test","Level":2}"""));
        var agent = rig.NewAgent();

        Assert.IsFalse(agent.RunOnce());

        Assert.AreEqual("unexpected_answer", agent.LastErrorCode);
        Assert.IsTrue(rig.Log.Has("chain.failed"));
    }

    [TestMethod]
    public void ChainThatLoopsBackIsCutOff()
    {
        var rig = DeviceRig.WithChain(2);
        rig.Internet.Add(DeviceRig.LevelUrl(2), new Fakes.FixedReplyServer(200, """{"Role":"allocation","Url":"https://alloc1.test","Level":1}"""));
        var agent = rig.NewAgent();

        Assert.IsFalse(agent.RunOnce());

        Assert.AreEqual("unexpected_answer", agent.LastErrorCode);
        Assert.AreEqual(3, rig.ChainRequests());
    }
}
