using System;
using PeerGate.Device;
using PeerGate.Device.Allocation;
using PeerGate.Device.Api;
using PeerGate.Device.Registry;
using PeerGate.Protocol;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>The agent's pass from the allocation chain to a registration, as AllocationChainTests, AuthServerCacheTests, AuthenticatorTests and KeepingFreshTests drive it on .NET.</summary>
    public static class AgentFlows
    {
        public static void Register(Runner runner)
        {
            runner.Add("chain walk, challenge-response and registration", ChainWalkAuthenticatesAndRegisters);
            runner.Add("cached authentication server skips the chain", CachedServerSkipsTheChain);
            runner.Add("cached server unreachable falls back to the chain", UnreachableCacheWalksTheChain);
            runner.Add("cached server that forgot the device falls back to the chain", ForgottenDeviceWalksTheChain);
            runner.Add("a refused proof is not retried elsewhere", DisabledDeviceStops);
            runner.Add("a chain hop to plain http is refused", PlainHttpHopIsRefused);
            runner.Add("registration kept fresh: refresh, address change, renewal", RegistrationIsKeptFresh);
            runner.Add("a registry that refuses the certificate gets a new one", RefusedCertificateIsRenewed);
        }

        private static byte[] Nonce()
        {
            byte[] nonce = new byte[AuthProofs.NonceLength];
            for (int i = 0; i < nonce.Length; i++)
            {
                // 0xFB.. makes '+' and '/' in the Base64 the server escapes as \u002B.
                nonce[i] = (byte)(0xF8 + i);
            }

            return nonce;
        }

        private static void ChainWalkAuthenticatesAndRegisters()
        {
            World world = new World();
            byte[] nonce = Nonce();
            world.ExpectChain(World.AuthUrl);
            HttpStep proof = world.ExpectAuthentication(World.AuthUrl, nonce, world.Clock.UtcNowSeconds + 3600);
            HttpStep registration = world.ExpectRegistration(world.Clock.UtcNowSeconds + 300);
            DeviceAgent agent = world.NewAgent();

            Check.True(agent.RunOnce(), "registered: " + agent.LastErrorCode);

            world.Http.Verify();
            Check.Equal(World.TerminalId, agent.TerminalId, "terminal");
            Check.Equal(World.AuthUrl, agent.AuthServerUrl, "auth server");
            Check.Equal(World.AuthUrl, world.Settings.Read(AuthServerLocator.CacheName), "cached");
            ProofRequest sent = (ProofRequest)World.Json.Deserialize(proof.SentBody, typeof(ProofRequest));
            Check.Equal(World.DeviceId, sent.DeviceId, "proof device");
            Check.Equal("n-1", sent.NonceId, "proof nonce id");
            Check.Equal(Convert.ToBase64String(ManagedSigner.Mac(world.DeviceKey, AuthProofs.Message(nonce, World.DeviceId), 0, AuthProofs.Message(nonce, World.DeviceId).Length)), sent.Proof, "HMAC proof");
            Check.Equal(World.Token, registration.SentBearer, "registration bearer");
            RegistrationRequest request = (RegistrationRequest)World.Json.Deserialize(registration.SentBody, typeof(RegistrationRequest));
            Check.Equal("192.168.1.20", request.LocalIp, "local ip");
            Check.Equal(7000, request.LocalPort, "local port");
            Check.Equal("203.0.113.7", agent.Dialer.OwnObservedIp, "observed ip kept for the dialer");
        }

        private static void CachedServerSkipsTheChain()
        {
            World world = new World();
            world.Settings.Write(AuthServerLocator.CacheName, World.AuthUrl);
            int writes = world.Settings.Writes;
            world.ExpectAuthentication(World.AuthUrl, Nonce(), world.Clock.UtcNowSeconds + 3600);
            world.ExpectRegistration(world.Clock.UtcNowSeconds + 300);

            Check.True(world.NewAgent().RunOnce(), "registered");

            world.Http.Verify();
            Check.Equal(writes, world.Settings.Writes, "the cache is not rewritten");
        }

        private static void UnreachableCacheWalksTheChain()
        {
            World world = new World();
            world.Settings.Write(AuthServerLocator.CacheName, World.OtherAuthUrl);
            world.Http.ExpectFailure("POST", World.OtherAuthUrl + Routes.AuthChallenge);
            world.ExpectChain(World.AuthUrl);
            world.ExpectAuthentication(World.AuthUrl, Nonce(), world.Clock.UtcNowSeconds + 3600);
            world.ExpectRegistration(world.Clock.UtcNowSeconds + 300);

            Check.True(world.NewAgent().RunOnce(), "registered");

            world.Http.Verify();
            Check.Equal(World.AuthUrl, world.Settings.Read(AuthServerLocator.CacheName), "the cache follows the walk");
            Check.True(world.Log.Has("auth.cache-failed"), "logged");
        }

        private static void ForgottenDeviceWalksTheChain()
        {
            World world = new World();
            world.Settings.Write(AuthServerLocator.CacheName, World.OtherAuthUrl);
            world.Http.Expect("POST", World.OtherAuthUrl + Routes.AuthChallenge, 401, World.Problem(401, ErrorCodes.AuthenticationFailed));
            world.ExpectChain(World.AuthUrl);
            world.ExpectAuthentication(World.AuthUrl, Nonce(), world.Clock.UtcNowSeconds + 3600);
            world.ExpectRegistration(world.Clock.UtcNowSeconds + 300);

            Check.True(world.NewAgent().RunOnce(), "registered");

            world.Http.Verify();
            Check.Equal(World.AuthUrl, world.Settings.Read(AuthServerLocator.CacheName), "cache");
        }

        private static void DisabledDeviceStops()
        {
            World world = new World();
            world.Settings.Write(AuthServerLocator.CacheName, World.AuthUrl);
            world.Http.Expect("POST", World.AuthUrl + Routes.AuthChallenge, 403, World.Problem(403, ErrorCodes.DeviceDisabled));
            DeviceAgent agent = world.NewAgent();

            Check.True(!agent.RunOnce(), "not registered");

            world.Http.Verify();
            Check.Equal(ErrorCodes.DeviceDisabled, agent.LastErrorCode, "code");
            Check.Equal(World.AuthUrl, world.Settings.Read(AuthServerLocator.CacheName), "cache kept");
        }

        private static void PlainHttpHopIsRefused()
        {
            World world = new World();
            world.Http.Expect("GET", World.ServiceUrl + Routes.ServiceEntry, 200, "{\"Role\":\"allocation\",\"Url\":\"http://alloc1.test\",\"Level\":1}");
            DeviceAgent agent = world.NewAgent();

            Check.True(!agent.RunOnce(), "not registered");

            world.Http.Verify();
            Check.True(agent.LastErrorCode != null && agent.LastErrorCode.Length > 0, "a failure code");
            Check.True(world.Settings.Read(AuthServerLocator.CacheName) == null, "nothing cached");
        }

        private static void RegistrationIsKeptFresh()
        {
            World world = new World();
            Registrar registrar = new Registrar(world.Api(), world.Config, world.Network, world.Clock, world.Log);
            registrar.UseCertificate(world.Certificate(world.Clock.UtcNowSeconds + 1000));
            world.ExpectRegistration(world.Clock.UtcNowSeconds + 300);
            registrar.Register();
            Check.True(registrar.NextAction() == RegistrarAction.Wait, "fresh");
            Check.Equal(300000, registrar.MillisUntilDue(600000), "due at the refresh");

            world.Clock.Advance(300000);
            Check.True(registrar.NextAction() == RegistrarAction.Register, "refresh due");
            world.ExpectRegistration(world.Clock.UtcNowSeconds + 5);
            registrar.Register();
            Check.Equal(RegistrarMinimum(), registrar.MillisUntilDue(600000), "a refresh sooner than the minimum waits the minimum");

            world.Network.LocalIp = "192.168.1.21";
            Check.True(registrar.NextAction() == RegistrarAction.Register, "a new address registers at once");
            world.Network.LocalIp = null;
            Check.True(registrar.NextAction() == RegistrarAction.NetworkLost, "no address");
            world.Network.LocalIp = "192.168.1.20";

            world.Clock.Advance(600000);
            Check.True(registrar.NextAction() == RegistrarAction.Reauthenticate, "at 90 % of the lifetime the certificate is renewed");
            world.Http.Verify();
        }

        private static int RegistrarMinimum()
        {
            return Registrar.MinRefreshSeconds * 1000;
        }

        private static void RefusedCertificateIsRenewed()
        {
            World world = new World();
            world.Settings.Write(AuthServerLocator.CacheName, World.AuthUrl);
            world.ExpectAuthentication(World.AuthUrl, Nonce(), world.Clock.UtcNowSeconds + 3600);
            world.Http.Expect("POST", World.RegistryUrl + Routes.Registrations, 401, World.Problem(401, ErrorCodes.CertificateExpired));
            world.ExpectAuthentication(World.AuthUrl, Nonce(), world.Clock.UtcNowSeconds + 3600);
            world.ExpectRegistration(world.Clock.UtcNowSeconds + 300);
            DeviceAgent agent = world.NewAgent();

            Check.True(agent.RunOnce(), "registered after one renewal: " + agent.LastErrorCode);
            world.Http.Verify();
        }
    }
}
