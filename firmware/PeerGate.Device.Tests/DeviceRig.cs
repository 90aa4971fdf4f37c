using PeerGate.Device.Tests.Fakes;
using PeerGate.Protocol;

namespace PeerGate.Device.Tests;

/// <summary>
/// One device in a fake network: a service server, an allocation chain of 1 to 4 levels, an
/// authentication server and its registry, all answering through <see cref="FakeInternet"/>.
/// </summary>
public sealed class DeviceRig
{
    public const string DeviceId = "A1B2C3D4E5F6";
    public const string ServiceUrl = "https://service.test";
    public const string AuthUrl = "https://auth.test";
    public const string RegistryUrl = "https://registry.test";

    public static readonly byte[] DeviceKey = Enumerable.Range(0, 32).Select(i => (byte)(0xA0 + i)).ToArray();

    private static readonly string[] AllKeys = ["maker", "model", "revision", "batch"];

    public FakeClock Clock { get; } = new();

    public FakeInternet Internet { get; } = new();

    public MemorySettings Settings { get; } = new();

    public FakeNetwork Network { get; } = new();

    public RecordingLog Log { get; } = new();

    public SeededRandom Random { get; } = new();

    public FakeLoadSource Load { get; } = new();

    public FakeAuthServer Auth { get; private set; } = null!;

    public FakeRegistry Registry { get; private set; } = null!;

    public FakeServiceServer Service { get; private set; } = null!;

    public List<FakeAllocationServer> Levels { get; } = [];

    public DeviceConfig Config { get; private set; } = null!;

    public byte[] SigningKey { get; set; } = DeviceKey;

    public static string LevelUrl(int level) => $"https://alloc{level}.test";

    public static DeviceRig WithChain(int levels, bool delegated = false)
    {
        var rig = new DeviceRig();
        var keys = AllKeys.Take(levels).ToArray();
        // The trigger channel runs on its own thread; these tests drive the agent alone on a fake clock.
        rig.Config = DeviceConfig.Parse(
            $"ServiceUrl={ServiceUrl}\nAllocationKeys={string.Join(",", keys)}\nDelegatedAllocation={(delegated ? "true" : "false")}\nKind=sensor\nTriggerChannel=false");

        rig.AddAuthServer(AuthUrl, RegistryUrl);
        rig.Service = new FakeServiceServer(new AllocationHop { Role = HopRoles.Allocation, Url = LevelUrl(1), Level = 1 }, AuthUrl);
        rig.Internet.Add(ServiceUrl, rig.Service);

        for (int level = 1; level <= levels; level++)
        {
            var next = level == levels
                ? new AllocationHop { Role = HopRoles.Authentication, Url = AuthUrl }
                : new AllocationHop { Role = HopRoles.Allocation, Url = LevelUrl(level + 1), Level = level + 1 };
            var server = new FakeAllocationServer(level, new Dictionary<string, AllocationHop> { [keys[level - 1]] = next });
            rig.Levels.Add(server);
            rig.Internet.Add(LevelUrl(level), server);
        }

        return rig;
    }

    /// <summary>Replaces the authentication server and its registry (the chain still points at <paramref name="authUrl"/>).</summary>
    public void AddAuthServer(string authUrl, string registryUrl)
    {
        Auth = new FakeAuthServer(DeviceId, DeviceKey, registryUrl) { Clock = Clock };
        Registry = new FakeRegistry(Auth) { Clock = Clock };
        Internet.Add(authUrl, Auth);
        Internet.Add(registryUrl, Registry);
    }

    public DeviceAgent NewAgent() =>
        new(new DevicePlatform(Clock, new FakeIdentity(DeviceId), new HmacSigner(SigningKey), Internet, new TestJsonCodec(), Settings, Network, Log, Random, new NoPeerNetwork(), new UnusedPeerCrypto(), Load), Config);

    public int ChainRequests() =>
        Internet.Requests.Count(r => r.Host == ServiceUrl || r.Host.StartsWith("https://alloc", StringComparison.Ordinal));
}
