using System;
using PeerGate.Device;
using PeerGate.Device.Api;
using PeerGate.Device.Esp32.Platform;
using PeerGate.Protocol;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>
    /// One device in a scripted network: the service server, an allocation chain, an authentication server and
    /// its registry, answering through <see cref="ScriptedHttp"/> with bytes the board's own NanoJsonCodec writes
    /// (which the JSON vectors prove equal to the server's).
    /// </summary>
    public sealed class World
    {
        public const string DeviceId = "A1B2C3D4E5F6";
        public const string ServiceUrl = "https://service.test";
        public const string AuthUrl = "https://auth.test";
        public const string OtherAuthUrl = "https://auth2.test";
        public const string RegistryUrl = "https://registry.test";
        public const string TerminalId = "T-0001";
        public const string Token = "cert-1";

        public static readonly NanoJsonCodec Json = new NanoJsonCodec();

        public World()
        {
            DeviceKey = new byte[32];
            for (int i = 0; i < DeviceKey.Length; i++)
            {
                DeviceKey[i] = (byte)(0xA0 + i);
            }

            Clock = new FlowClock();
            Http = new ScriptedHttp();
            Settings = new MemorySettings();
            Network = new FixedNetwork();
            Log = new RecordingLog();
            Random = new SeededRandom(7);
            Peers = new MemoryPeerNetwork();
            Crypto = new FlowPeerCrypto(11);
            Load = new FixedLoad();
            Config = DeviceConfig.Parse("ServiceUrl=" + ServiceUrl + "\nAllocationKeys=maker,model\nKind=sensor\nTriggerChannel=false");
        }

        public byte[] DeviceKey { get; }

        public FlowClock Clock { get; }

        public ScriptedHttp Http { get; }

        public MemorySettings Settings { get; }

        public FixedNetwork Network { get; }

        public RecordingLog Log { get; }

        public SeededRandom Random { get; }

        public MemoryPeerNetwork Peers { get; }

        public FlowPeerCrypto Crypto { get; }

        public FixedLoad Load { get; }

        public DeviceConfig Config { get; set; }

        public static string Level(int level)
        {
            return "https://alloc" + level.ToString() + ".test";
        }

        public DeviceAgent NewAgent()
        {
            return new DeviceAgent(new DevicePlatform(Clock, new FixedIdentity(DeviceId), new ManagedSigner(DeviceKey), Http, Json, Settings, Network, Log, Random, Peers, Crypto, Load), Config);
        }

        public ApiClient Api()
        {
            return new ApiClient(Http, Json, 15000);
        }

        /// <summary>The chain of two levels: service entry, level 1, level 2, which names <paramref name="authUrl"/>.</summary>
        public void ExpectChain(string authUrl)
        {
            Http.Expect("GET", ServiceUrl + Routes.ServiceEntry, 200, Json.Serialize(Hop(HopRoles.Allocation, Level(1), 1)));
            Http.Expect("POST", Level(1) + Routes.AllocationResolve, 200, Json.Serialize(Hop(HopRoles.Allocation, Level(2), 2)));
            Http.Expect("POST", Level(2) + Routes.AllocationResolve, 200, Json.Serialize(Hop(HopRoles.Authentication, authUrl, 0)));
        }

        /// <summary>Challenge and proof at <paramref name="authUrl"/>; returns the proof step, whose sent body the test checks.</summary>
        public HttpStep ExpectAuthentication(string authUrl, byte[] nonce, long expiresAt)
        {
            ChallengeResponse challenge = new ChallengeResponse();
            challenge.NonceId = "n-1";
            challenge.Nonce = Convert.ToBase64String(nonce);
            challenge.ExpiresAt = Clock.UtcNowSeconds + 60;
            Http.Expect("POST", authUrl + Routes.AuthChallenge, 200, Json.Serialize(challenge));

            return Http.Expect("POST", authUrl + Routes.AuthProof, 200, Json.Serialize(Certificate(expiresAt)));
        }

        public HttpStep ExpectRegistration(long refreshAfter)
        {
            RegistrationResponse registered = new RegistrationResponse();
            registered.TerminalId = TerminalId;
            registered.ObservedIp = "203.0.113.7";
            registered.ObservedPort = 40000;
            registered.ExpiresAt = refreshAfter + 60;
            registered.RefreshAfter = refreshAfter;
            return Http.Expect("POST", RegistryUrl + Routes.Registrations, 200, Json.Serialize(registered));
        }

        public CertificateResponse Certificate(long expiresAt)
        {
            CertificateResponse certificate = new CertificateResponse();
            certificate.TerminalId = TerminalId;
            certificate.Certificate = Token;
            certificate.Serial = "1";
            certificate.ExpiresAt = expiresAt;
            certificate.RegistryUrl = RegistryUrl;
            return certificate;
        }

        public static string Problem(int status, string code)
        {
            return "{\"type\":\"about:blank\",\"title\":\"" + code + "\",\"status\":" + status.ToString() + ",\"code\":\"" + code + "\"}";
        }

        public static byte[] Pattern(int count, int salt)
        {
            byte[] bytes = new byte[count];
            for (int i = 0; i < count; i++)
            {
                bytes[i] = (byte)((i * 7) + salt);
            }

            return bytes;
        }

        private static AllocationHop Hop(string role, string url, int level)
        {
            AllocationHop hop = new AllocationHop();
            hop.Role = role;
            hop.Url = url;
            hop.Level = level;
            return hop;
        }
    }
}
