using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Registry;

[TestClass]
public sealed class KeepingFreshTests
{
    [TestMethod]
    public void RegistrationCarriesCertificateAndDeclaredAddress()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Config.Discoverable = true;
        rig.Config.Capabilities = ["camera"];
        rig.Config.Attributes = ["room=lab"];
        rig.Config.Name = "TERM1";

        Assert.IsTrue(rig.NewAgent().RunOnce());

        var sent = rig.Internet.Requests.Single(r => r.Path == Routes.Registrations);
        Assert.AreEqual(rig.Auth.IssuedCertificates.Single(), sent.Bearer);
        var (_, request) = rig.Registry.Registrations.Single();
        Assert.AreEqual("T-0001", request.TerminalId);
        Assert.AreEqual("192.168.1.20", request.LocalIp);
        Assert.AreEqual(7000, request.LocalPort);
        Assert.IsTrue(request.Discoverable);
        Assert.AreEqual("sensor", request.Kind);
        CollectionAssert.AreEqual(new[] { "camera" }, request.Capabilities);
        CollectionAssert.AreEqual(new[] { "room=lab" }, request.Attributes);
        Assert.AreEqual("TERM1", request.Name);
    }

    [TestMethod]
    public void MalformedNameSetInCodeIsNeverSent()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Config.Name = "TERM1\u200b";

        Assert.IsFalse(rig.NewAgent().RunOnce());

        Assert.IsEmpty(rig.Registry.Registrations);
        Assert.IsFalse(rig.Internet.Requests.Any(r => r.Path == Routes.Registrations));
    }

    [TestMethod]
    public void ReRegistersAtRefreshAfterAndNotBefore()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Registry.RefreshSeconds = 60;
        rig.Clock.StopAtMillis = 250_000;

        rig.NewAgent().Run(new ManualResetEvent(false));

        var times = rig.Registry.Registrations.Select(r => r.At - FakeClock.Epoch).ToArray();
        CollectionAssert.AreEqual(new long[] { 0, 60, 120, 180, 240 }, times);
        Assert.AreEqual(1, rig.Auth.Challenges);
    }

    [TestMethod]
    public void RegistersAgainAtOnceWhenTheLocalAddressChanges()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Registry.RefreshSeconds = 600;
        rig.Clock.StopAtMillis = 100_000;
        rig.Clock.AfterSleep = now =>
        {
            if (now >= 32_000)
            {
                rig.Network.LocalIp = "192.168.1.77";
            }
        };

        rig.NewAgent().Run(new ManualResetEvent(false));

        Assert.HasCount(2, rig.Registry.Registrations);
        var (at, request) = rig.Registry.Registrations[1];
        Assert.AreEqual("192.168.1.77", request.LocalIp);
        Assert.IsLessThanOrEqualTo(32 + (DeviceAgent.AddressCheckMillis / 1000), at - FakeClock.Epoch);
        Assert.AreEqual(1, rig.Auth.Challenges);
    }

    [TestMethod]
    public void FetchesANewCertificateBeforeTheOldOneExpires()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Auth.CertificateLifetimeSeconds = 100;
        rig.Registry.RefreshSeconds = 1000;
        rig.Clock.StopAtMillis = 150_000;

        rig.NewAgent().Run(new ManualResetEvent(false));

        Assert.AreEqual(2, rig.Auth.Challenges);
        Assert.HasCount(2, rig.Registry.Registrations);
        Assert.AreEqual(90, rig.Registry.Registrations[1].At - FakeClock.Epoch);
        Assert.AreEqual(0, rig.ChainRequests() - 2, "the renewal uses the cached server");
    }

    [TestMethod]
    [DataRow(ErrorCodes.CertificateRevoked)]
    [DataRow(ErrorCodes.CertificateInvalid)]
    public void CertificateRefusedByTheRegistryLeadsToANewAuthentication(string code)
    {
        var rig = DeviceRig.WithChain(1);
        rig.Registry.RefreshSeconds = 60;
        rig.Clock.StopAtMillis = 90_000;
        string? refused = null;
        rig.Clock.AfterSleep = now =>
        {
            if (now >= 30_000 && refused is null)
            {
                refused = rig.Auth.IssuedCertificates.Single();
                if (code == ErrorCodes.CertificateRevoked)
                {
                    rig.Registry.Revoked.Add(refused);
                }
                else
                {
                    rig.Auth.IssuedCertificates.Clear();
                }
            }
        };

        var agent = rig.NewAgent();
        agent.Run(new ManualResetEvent(false));

        Assert.AreEqual(2, rig.Auth.Challenges);
        CollectionAssert.AreEqual(new long[] { 0, 60 }, rig.Registry.Registrations.Select(r => r.At - FakeClock.Epoch).ToArray());
        var bearers = rig.Internet.Requests.Where(r => r.Path == Routes.Registrations).Select(r => r.Bearer).ToArray();
        CollectionAssert.AreEqual(new[] { refused, refused, rig.Auth.IssuedCertificates.Last() }, bearers);
        Assert.IsTrue(rig.Log.Has("register.refused"));
        Assert.AreEqual(DeviceState.Stopped, agent.State);
    }

    [TestMethod]
    public void CertificateThatLooksExpiredByTheDeviceClockCausesNoRequestStorm()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Auth.CertificateLifetimeSeconds = -3600;
        rig.Registry.RefreshSeconds = 6000;
        rig.Clock.StopAtMillis = 600_000;

        rig.NewAgent().Run(new ManualResetEvent(false));

        Assert.AreEqual(600 / Device.Registry.Registrar.MinRenewalSeconds, rig.Auth.Challenges);
        Assert.IsTrue(rig.Log.Has("auth.short-lived"));
    }

    [TestMethod]
    public void LostNetworkIsWaitedForAndTheDeviceRegistersAgain()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Registry.RefreshSeconds = 600;
        rig.Clock.StopAtMillis = 200_000;
        rig.Clock.AfterSleep = now => rig.Network.LocalIp = now is >= 20_000 and < 40_000 ? null : "192.168.1.20";

        var agent = rig.NewAgent();
        agent.Run(new ManualResetEvent(false));

        Assert.IsTrue(rig.Log.Has("net.lost"));
        Assert.IsTrue(rig.Log.Has("net.down"));
        Assert.HasCount(2, rig.Registry.Registrations);
        Assert.AreEqual(DeviceState.Stopped, agent.State);
    }

    [TestMethod]
    public void StopEndsTheRunAtOnce()
    {
        var rig = DeviceRig.WithChain(1);
        var stop = new ManualResetEvent(true);
        var states = new List<DeviceState>();
        var agent = rig.NewAgent();
        agent.StateChanged += (_, state) => states.Add(state);

        agent.Run(stop);

        CollectionAssert.AreEqual(new[] { DeviceState.Stopped }, states);
        Assert.IsEmpty(rig.Internet.Requests);
    }

    [TestMethod]
    public void StateChangesFollowThePass()
    {
        var rig = DeviceRig.WithChain(2);
        var states = new List<DeviceState>();
        var agent = rig.NewAgent();
        agent.StateChanged += (_, state) => states.Add(state);

        Assert.IsTrue(agent.RunOnce());

        CollectionAssert.AreEqual(
            new[] { DeviceState.Locating, DeviceState.Authenticating, DeviceState.Registering, DeviceState.Registered },
            states);
    }
}
