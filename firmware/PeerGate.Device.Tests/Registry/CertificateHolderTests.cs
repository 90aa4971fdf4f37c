using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Registry;

/// <summary>The agent as the certificate holder of the trigger poller, permits and connections.</summary>
[TestClass]
public sealed class CertificateHolderTests
{
    [TestMethod]
    public void CertificateIsHeldOnceAuthenticated()
    {
        var rig = DeviceRig.WithChain(1);
        var agent = rig.NewAgent();
        Assert.IsNull(agent.Certificate);

        Assert.IsTrue(agent.AuthenticateOnce());

        Assert.AreEqual(rig.Auth.IssuedCertificates.Single(), agent.Certificate!.Certificate);
        Assert.AreEqual(0, rig.Registry.Registrations.Count, "authenticating alone does not register");
    }

    [TestMethod]
    public void RefusedCertificateIsReplacedOnTheNextCheck()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Registry.RefreshSeconds = 600;
        rig.Clock.StopAtMillis = 60_000;
        var agent = rig.NewAgent();
        CertificateResponse? refused = null;
        rig.Clock.AfterSleep = now =>
        {
            if (now >= 20_000 && refused is null)
            {
                refused = agent.Certificate;
                agent.CertificateRefused(refused!);
            }
        };

        agent.Run(new ManualResetEvent(false));

        Assert.AreEqual(2, rig.Auth.Challenges);
        Assert.AreNotEqual(refused!.Certificate, agent.Certificate!.Certificate);
        Assert.IsTrue(rig.Log.Has("auth.renew"));
    }

    [TestMethod]
    public void RefusalOfAnOlderCertificateIsIgnored()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Registry.RefreshSeconds = 600;
        rig.Clock.StopAtMillis = 90_000;
        var agent = rig.NewAgent();
        CertificateResponse? first = null;
        rig.Clock.AfterSleep = now =>
        {
            if (now >= 20_000 && first is null)
            {
                first = agent.Certificate;
                agent.CertificateRefused(first!);
            }
            else if (now >= 50_000 && first is not null)
            {
                // A slow request that used the first certificate reports its refusal late.
                agent.CertificateRefused(first);
            }
        };

        agent.Run(new ManualResetEvent(false));

        Assert.AreEqual(2, rig.Auth.Challenges, "one renewal for the refused certificate, none for the late report");
    }
}
