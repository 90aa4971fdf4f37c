using PeerGate.Device.Api;
using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Api;

/// <summary>
/// Plain http:// only to loopback or with AllowPlainHttp, and never a step down from https: in the
/// config, at every hop of the chain, in the delegated answer, in the certificate's registry URL and
/// in the cached authentication server. Nothing is sent to a refused URL.
/// </summary>
[TestClass]
public sealed class TransportRuleTests
{
    [TestMethod]
    [DataRow("https://auth.example", null, false, null)]
    [DataRow("http://auth.example", null, false, FailureCodes.PlainHttpRefused)]
    [DataRow("http://auth.example", null, true, null)]
    [DataRow("http://127.0.0.1:5080", null, false, null)]
    [DataRow("http://127.9.8.7", null, false, null)]
    [DataRow("http://localhost:5080/", null, false, null)]
    [DataRow("http://[::1]:5080", null, false, null)]
    [DataRow("http://127.evil.example", null, false, FailureCodes.PlainHttpRefused)]
    [DataRow("http://127.0.0.1.evil.example", null, false, FailureCodes.PlainHttpRefused)]
    [DataRow("http://127.0.0.1@evil.example", null, false, FailureCodes.PlainHttpRefused)]
    [DataRow("http://localhost.evil.example", null, false, FailureCodes.PlainHttpRefused)]
    [DataRow("ftp://auth.example", null, true, FailureCodes.PlainHttpRefused)]
    [DataRow("http://auth.example", "http://service.example", true, null)]
    [DataRow("http://auth.example", "https://service.example", true, FailureCodes.TlsDowngrade)]
    [DataRow("http://127.0.0.1:5080", "https://service.example", true, FailureCodes.TlsDowngrade)]
    [DataRow("https://auth.example", "http://127.0.0.1", false, null)]
    public void TheRule(string url, string? learnedFrom, bool allowPlainHttp, string? refusedWith)
    {
        Assert.AreEqual(refusedWith, TransportRule.Refusal(url, learnedFrom, allowPlainHttp)?.Code);
    }

    [TestMethod]
    public void ConfigRefusesAPlainHttpServiceUrlOutsideTheLab()
    {
        var refused = Assert.ThrowsExactly<ArgumentException>(() => DeviceConfig.Parse("ServiceUrl=http://service.example\nAllocationKeys=maker"));
        StringAssert.Contains(refused.Message, "AllowPlainHttp");

        Assert.IsTrue(DeviceConfig.Parse("ServiceUrl=http://service.example\nAllocationKeys=maker\nAllowPlainHttp=true").AllowPlainHttp);
        Assert.IsFalse(DeviceConfig.Parse("ServiceUrl=http://127.0.0.1:5080\nAllocationKeys=maker").AllowPlainHttp);
        Assert.IsFalse(DeviceConfig.Parse("ServiceUrl=https://service.example\nAllocationKeys=maker").AllowPlainHttp);
    }

    [TestMethod]
    public void APlainHttpChainIsRefusedWithoutTheLabSettingAndWalkedWithIt()
    {
        var rig = PlainChain();
        rig.Config.AllowPlainHttp = false;

        Assert.IsFalse(rig.NewAgent().RunOnce());
        Assert.AreEqual(FailureCodes.PlainHttpRefused, rig.NewAgent().RunOnceCode());
        Assert.IsEmpty(rig.Internet.Requests, "nothing sent over plain HTTP");

        rig.Config.AllowPlainHttp = true;
        var agent = rig.NewAgent();
        Assert.IsTrue(agent.RunOnce(), agent.LastErrorCode);
        Assert.AreEqual(DeviceState.Registered, agent.State);
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public void AnHttpsHopThatNamesPlainHttpNextBreaksTheChain(int hop)
    {
        var rig = DeviceRig.WithChain(3);
        rig.Config.AllowPlainHttp = true; // a step down is refused even in a lab
        var plain = hop == 3 ? "http://auth.test" : $"http://alloc{hop + 1}.test";
        var next = hop == 3
            ? new AllocationHop { Role = HopRoles.Authentication, Url = plain }
            : new AllocationHop { Role = HopRoles.Allocation, Url = plain, Level = hop + 1 };
        if (hop == 0)
        {
            rig.Internet.Add(DeviceRig.ServiceUrl, new FakeServiceServer(next));
        }
        else
        {
            rig.Internet.Add(DeviceRig.LevelUrl(hop), new FakeAllocationServer(hop, new Dictionary<string, AllocationHop> { [rig.Config.AllocationKeys[hop - 1]] = next }));
        }

        var decoy = new FakeAuthServer(DeviceRig.DeviceId, DeviceRig.DeviceKey, DeviceRig.RegistryUrl);
        rig.Internet.Add(plain, decoy);
        var agent = rig.NewAgent();

        Assert.IsFalse(agent.RunOnce());

        Assert.AreEqual(FailureCodes.TlsDowngrade, agent.LastErrorCode);
        Assert.AreEqual(0, rig.Internet.CountTo(plain), "nothing sent to the plain URL");
        Assert.AreEqual(0, rig.Auth.Challenges);
        Assert.IsNull(rig.Settings.Read("auth-server"));
        Assert.IsTrue(rig.Log.Lines.Any(line => line.StartsWith("chain.failed " + FailureCodes.TlsDowngrade, StringComparison.Ordinal)));
    }

    [TestMethod]
    public void ADelegatedAnswerThatStepsDownIsRefused()
    {
        var rig = DeviceRig.WithChain(2, delegated: true);
        rig.Internet.Add(DeviceRig.ServiceUrl, new FakeServiceServer(new AllocationHop { Role = HopRoles.Allocation, Url = DeviceRig.LevelUrl(1), Level = 1 }, "http://auth.test"));
        var agent = rig.NewAgent();

        Assert.IsFalse(agent.RunOnce());

        Assert.AreEqual(FailureCodes.TlsDowngrade, agent.LastErrorCode);
        Assert.AreEqual(0, rig.Internet.CountTo("http://auth.test"));
    }

    [TestMethod]
    public void ACertificateThatNamesAPlainHttpRegistryIsNotUsed()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Config.AllowPlainHttp = true;
        rig.AddAuthServer(DeviceRig.AuthUrl, "http://registry.test");
        var agent = rig.NewAgent();

        Assert.IsFalse(agent.RunOnce());

        Assert.AreEqual(FailureCodes.TlsDowngrade, agent.LastErrorCode);
        Assert.AreEqual(0, rig.Internet.CountTo("http://registry.test"), "the certificate never went to the plain registry");
        Assert.IsEmpty(rig.Registry.Registrations);
        Assert.IsNull(agent.Certificate);
    }

    [TestMethod]
    public void ACachedPlainHttpAuthServerIsIgnoredOutsideTheLab()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Settings.Write("auth-server", "http://old-auth.example");
        var agent = rig.NewAgent();

        Assert.IsTrue(agent.RunOnce(), agent.LastErrorCode);

        Assert.AreEqual(0, rig.Internet.CountTo("http://old-auth.example"));
        Assert.AreEqual(DeviceRig.AuthUrl, rig.Settings.Read("auth-server"));
    }

    [TestMethod]
    public void EveryRequestGoesThroughTheRule()
    {
        var internet = new FakeInternet();
        internet.Add("http://server.example", new FixedReplyServer(200, "{}"));
        var client = new ApiClient(internet, new TestJsonCodec(), 1000);

        var refused = Assert.ThrowsExactly<ApiException>(() => client.Send("http://server.example", Routes.Registrations, new RegistrationRequest(), "certificate"));

        Assert.AreEqual(FailureCodes.PlainHttpRefused, refused.Code);
        Assert.IsEmpty(internet.Requests);
    }

    /// <summary>The rig's chain with every server on plain http:// at names, not loopback.</summary>
    private static DeviceRig PlainChain()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Internet.Remove(DeviceRig.ServiceUrl);
        rig.Config.ServiceUrl = "http://service.lab";
        rig.Internet.Add("http://service.lab", new FakeServiceServer(new AllocationHop { Role = HopRoles.Allocation, Url = "http://alloc1.lab", Level = 1 }));
        rig.Internet.Add("http://alloc1.lab", new FakeAllocationServer(1, new Dictionary<string, AllocationHop> { ["maker"] = new() { Role = HopRoles.Authentication, Url = "http://auth.lab" } }));
        rig.AddAuthServer("http://auth.lab", "http://registry.lab");
        return rig;
    }
}

internal static class AgentExtensions
{
    public static string RunOnceCode(this DeviceAgent agent)
    {
        agent.RunOnce();
        return agent.LastErrorCode;
    }
}
