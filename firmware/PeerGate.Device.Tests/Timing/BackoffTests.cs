using PeerGate.Device.Tests.Fakes;
using PeerGate.Device.Timing;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Timing;

[TestClass]
public sealed class BackoffTests
{
    [TestMethod]
    public void DelaysGrowWithJitterAndStopAtTheCeiling()
    {
        var backoff = new Backoff(new SeededRandom(), 1000, 60_000);
        var expectedBase = 1000;

        for (int attempt = 0; attempt < 20; attempt++)
        {
            var delay = backoff.NextDelayMillis();

            Assert.IsGreaterThanOrEqualTo(expectedBase / 2, delay, $"attempt {attempt}");
            Assert.IsLessThanOrEqualTo(expectedBase, delay, $"attempt {attempt}");
            expectedBase = Math.Min(expectedBase * 2, 60_000);
        }

        Assert.AreEqual(20, backoff.Attempts);
    }

    [TestMethod]
    public void JitterSpreadsDevicesThatFailTogether()
    {
        var random = new SeededRandom();
        var delays = Enumerable.Range(0, 50).Select(_ => new Backoff(random, 1000, 60_000)).Select(b => b.NextDelayMillis()).ToHashSet();

        Assert.IsGreaterThan(10, delays.Count);
    }

    [TestMethod]
    public void ResetStartsAgainFromTheInitialDelay()
    {
        var backoff = new Backoff(new SeededRandom(), 1000, 60_000);
        for (int i = 0; i < 10; i++)
        {
            backoff.NextDelayMillis();
        }

        backoff.Reset();

        Assert.IsLessThanOrEqualTo(1000, backoff.NextDelayMillis());
        Assert.AreEqual(1, backoff.Attempts);
    }

    [TestMethod]
    public void BadBoundsAreRefused()
    {
        Assert.ThrowsExactly<ArgumentException>(() => new Backoff(new SeededRandom(), 0, 10));
        Assert.ThrowsExactly<ArgumentException>(() => new Backoff(new SeededRandom(), 100, 10));
    }

    [TestMethod]
    public void AgentBacksOffLongerAfterEachFailureUpToTheCeiling()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Internet.Remove(DeviceRig.ServiceUrl);
        rig.Clock.StopAtMillis = 3_600_000;

        var agent = rig.NewAgent();
        agent.Run(new ManualResetEvent(false));

        var sleeps = rig.Clock.Sleeps;
        Assert.IsGreaterThan(10, sleeps.Count);
        Assert.IsLessThanOrEqualTo(DeviceAgent.InitialBackoffMillis, sleeps[0]);
        Assert.IsGreaterThan(sleeps[0], sleeps[5]);
        Assert.IsTrue(sleeps.All(s => s <= DeviceAgent.BackoffCeilingMillis));
        Assert.IsGreaterThanOrEqualTo(DeviceAgent.BackoffCeilingMillis / 2, sleeps[^1]);
        Assert.AreEqual("connection_failed", agent.LastErrorCode);
        Assert.AreEqual(sleeps.Count, rig.Internet.CountTo(DeviceRig.ServiceUrl));
    }

    [TestMethod]
    public void RateLimitedAgentWaitsAtLeastAsLongAsTheServerSaid()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Auth.RefuseWith = ErrorCodes.RateLimited;
        rig.Auth.RefuseRetryAfter = 40;
        rig.Clock.StopAtMillis = 600_000;

        var agent = rig.NewAgent();
        agent.Run(new ManualResetEvent(false));

        var sleeps = rig.Clock.Sleeps;
        Assert.IsGreaterThan(3, sleeps.Count);
        Assert.IsTrue(sleeps.All(s => s >= 40_000), string.Join(", ", sleeps));
        Assert.AreEqual(ErrorCodes.RateLimited, agent.LastErrorCode);
    }

    [TestMethod]
    public void AgentRecoversWhenTheServerComesBack()
    {
        var rig = DeviceRig.WithChain(1);
        var service = rig.Service;
        rig.Internet.Remove(DeviceRig.ServiceUrl);
        rig.Clock.StopAtMillis = 120_000;
        rig.Clock.AfterSleep = now =>
        {
            if (now > 20_000)
            {
                rig.Internet.Add(DeviceRig.ServiceUrl, service);
            }
        };

        var agent = rig.NewAgent();
        agent.Run(new ManualResetEvent(false));

        Assert.IsNotEmpty(rig.Registry.Registrations);
        Assert.IsNull(agent.LastErrorCode);
    }
}
