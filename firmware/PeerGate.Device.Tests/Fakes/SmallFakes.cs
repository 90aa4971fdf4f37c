using System.Security.Cryptography;
using System.Text.Json;
using PeerGate.Device.Platform;
using PeerGate.Protocol.Host;

namespace PeerGate.Device.Tests.Fakes;

public sealed class FakeIdentity(string deviceId, string? groupId = null) : IDeviceIdentity
{
    public string DeviceId { get; } = deviceId;

    public string? GroupId { get; } = groupId;
}

public sealed class HmacSigner(byte[] key) : IDeviceSigner
{
    public byte[] Sign(byte[] message) => HMACSHA256.HashData(key, message);
}

public sealed class MemorySettings : ISettingsStore
{
    public Dictionary<string, string> Values { get; } = [];

    public int Writes { get; private set; }

    public string? Read(string name) => Values.TryGetValue(name, out var value) ? value : null;

    public void Write(string name, string value)
    {
        Values[name] = value;
        Writes++;
    }

    public void Delete(string name) => Values.Remove(name);
}

public sealed class FakeNetwork : INetworkInfo
{
    public string? LocalIp { get; set; } = "192.168.1.20";

    public int ListenPort { get; set; } = 7000;

    public int Waits { get; private set; }

    public bool WaitConnected(int timeoutMillis)
    {
        Waits++;
        return LocalIp is not null;
    }
}

public sealed class RecordingLog : IDeviceLog
{
    public List<string> Lines { get; } = [];

    public void Event(string name, string detail) => Lines.Add(name + " " + detail);

    public bool Has(string name) => Lines.Any(line => line.StartsWith(name + " ", StringComparison.Ordinal));
}

/// <summary>Seeded randomness; the seed is printed so a failing run can be replayed.</summary>
public sealed class SeededRandom : IRandomSource
{
    private readonly Random _random;

    public SeededRandom(int? seed = null)
    {
        Seed = seed ?? Random.Shared.Next();
        Console.WriteLine($"random seed: {Seed}");
        _random = new Random(Seed);
    }

    public int Seed { get; }

    public int Next(int maxExclusive) => _random.Next(maxExclusive);

    public void NextBytes(byte[] buffer) => _random.NextBytes(buffer);
}

/// <summary>The host codec the virtual device uses, restated here so the core tests need no host adapters.</summary>
public sealed class TestJsonCodec : IJsonCodec
{
    private static readonly JsonSerializerOptions IgnoringCase = new(WireJson.Options) { PropertyNameCaseInsensitive = true };

    public string Serialize(object message) => JsonSerializer.Serialize(message, message.GetType(), WireJson.Options);

    public object? Deserialize(string json, Type type) => JsonSerializer.Deserialize(json, type, WireJson.Options);

    public object? DeserializeIgnoringCase(string json, Type type) => JsonSerializer.Deserialize(json, type, IgnoringCase);
}

/// <summary>Secret-shaped arrays that are not all zero, so a test can see them wiped.</summary>
public static class Secrets
{
    public static byte[] Filled(int length) => Enumerable.Repeat((byte)0xA5, length).ToArray();
}
