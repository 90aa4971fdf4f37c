using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests.Authentication;

[TestClass]
public sealed class AuthenticatorTests
{
    [TestMethod]
    [DataRow(ErrorCodes.AuthenticationFailed)]
    [DataRow(ErrorCodes.WrongKey)]
    [DataRow(ErrorCodes.DeviceDisabled)]
    [DataRow(ErrorCodes.NonceExpired)]
    [DataRow(ErrorCodes.RateLimited)]
    public void RefusalCodeIsSurfaced(string code)
    {
        var rig = DeviceRig.WithChain(1);
        rig.Auth.RefuseWith = code;
        var agent = rig.NewAgent();

        Assert.IsFalse(agent.RunOnce());

        Assert.AreEqual(code, agent.LastErrorCode);
        Assert.IsNull(agent.TerminalId);
        Assert.IsTrue(rig.Log.Has("auth.refused"));
        Assert.IsEmpty(rig.Registry.Registrations);
    }

    [TestMethod]
    public void WrongKeyIsRefusedByTheServer()
    {
        var rig = DeviceRig.WithChain(1);
        rig.SigningKey = new byte[32];
        var agent = rig.NewAgent();

        Assert.IsFalse(agent.RunOnce());

        Assert.AreEqual(ErrorCodes.AuthenticationFailed, agent.LastErrorCode);
    }

    [TestMethod]
    public void DeviceUnknownToTheChainsServerIsSurfaced()
    {
        var rig = DeviceRig.WithChain(1);
        rig.Internet.Add(DeviceRig.AuthUrl, new FakeAuthServer("FFFFFFFFFFFF", DeviceRig.DeviceKey, DeviceRig.RegistryUrl));
        var agent = rig.NewAgent();

        Assert.IsFalse(agent.RunOnce());

        Assert.AreEqual(ErrorCodes.AuthenticationFailed, agent.LastErrorCode);
        Assert.IsNull(agent.TerminalId);
    }

    [TestMethod]
    [DataRow("""{"NonceId":"n1","Nonce":"AAAA","ExpiresAt":1}""", DisplayName = "short nonce")]
    [DataRow("""{"NonceId":"n1","Nonce":"%%%","ExpiresAt":1}""", DisplayName = "nonce not Base64")]
    [DataRow("""{"NonceId":null,"Nonce":null,"ExpiresAt":1}""", DisplayName = "empty challenge")]
    [DataRow("null", DisplayName = "JSON null")]
    public void ChallengeThatIsNotUsableIsAnUnexpectedAnswer(string body)
    {
        var rig = DeviceRig.WithChain(1);
        rig.Internet.Add(DeviceRig.AuthUrl, new FixedReplyServer(200, body));
        var agent = rig.NewAgent();

        Assert.IsFalse(agent.RunOnce());

        Assert.AreEqual("unexpected_answer", agent.LastErrorCode);
        Assert.IsNull(rig.Settings.Read("auth-server"));
    }

    [TestMethod]
    public void GroupIdTravelsWithTheChallenge()
    {
        var rig = DeviceRig.WithChain(1);
        var platform = new DevicePlatform(rig.Clock, new FakeIdentity(DeviceRig.DeviceId, "factory-7"), new HmacSigner(DeviceRig.DeviceKey),
            rig.Internet, new TestJsonCodec(), rig.Settings, rig.Network, rig.Log, rig.Random, new NoPeerNetwork(), new UnusedPeerCrypto(), rig.Load);

        Assert.IsTrue(new DeviceAgent(platform, rig.Config).RunOnce());

        var challenge = rig.Internet.Requests.Single(r => r.Path == Routes.AuthChallenge);
        Assert.AreEqual("factory-7", FakeInternet.Read<ChallengeRequest>(challenge).GroupId);
    }

    [TestMethod]
    public void NoSecretReachesTheLog()
    {
        var rig = DeviceRig.WithChain(2);
        rig.Clock.StopAtMillis = 2 * 3600 * 1000;
        rig.Auth.CertificateLifetimeSeconds = 600;
        rig.Network.LocalIp = "10.0.0.5";
        rig.Clock.AfterSleep = now => rig.Network.LocalIp = now > 1800_000 ? "10.0.0.6" : "10.0.0.5";

        rig.NewAgent().Run(new ManualResetEvent(false));

        var secrets = new List<string> { Convert.ToHexString(DeviceRig.DeviceKey), Convert.ToBase64String(DeviceRig.DeviceKey) };
        secrets.AddRange(rig.Auth.IssuedCertificates);
        secrets.AddRange(rig.Auth.IssuedNonces);
        secrets.AddRange(rig.Auth.ReceivedProofs);
        Assert.IsGreaterThan(5, rig.Auth.IssuedCertificates.Count);
        Assert.IsNotEmpty(rig.Log.Lines);
        foreach (var line in rig.Log.Lines)
        {
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, line, StringComparison.OrdinalIgnoreCase, $"secret in log line: {line}");
            }
        }
    }
}
