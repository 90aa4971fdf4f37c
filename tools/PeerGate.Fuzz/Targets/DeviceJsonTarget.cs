using System.Text;
using System.Text.Json;
using PeerGate.Fuzz.Engine;
using PeerGate.Protocol;
using PeerGate.VirtualDevice.Adapters;

namespace PeerGate.Fuzz.Targets;

/// <summary>
/// The device's decoding of server answers through its host IJsonCodec: every message type (byte 0
/// picks it; its top bit picks the case-insensitive reading problems use). A value or JsonException.
/// </summary>
public sealed class DeviceJsonTarget : FuzzTarget
{
    private readonly WireJsonCodec _codec = new();
    private readonly Type[] _types = [.. typeof(ErrorCodes).Assembly.GetTypes()
        .Where(t => t.Namespace == "PeerGate.Protocol" && t.IsClass && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null && t.GetProperties().Length > 0)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)];

    public override string Name => "device-json";

    public override string Description => "WireJsonCodec.Deserialize(IgnoringCase) of every protocol message: a value or JsonException";

    public override bool IsJson => true;

    public override IEnumerable<byte[]> Seeds()
    {
        var vectors = Vectors.Messages().ToDictionary(m => m.Type, m => m.Json);
        foreach (var type in _types)
        {
            if (vectors.TryGetValue(type.Name, out var json))
            {
                yield return Selector.Named(type.Name, json);
            }
        }

        yield return Selector.Named("~" + nameof(Problem), File.ReadAllBytes(Path.Combine(Vectors.Folder, "problem.json")));
    }

    public override string Run(byte[] input)
    {
        // "~Name" reads case-insensitively, as problem+json answers are read.
        var names = _types.Select(t => t.Name).Concat(_types.Select(t => "~" + t.Name)).ToArray();
        var index = Selector.Pick(input, names, out var bodyOffset);
        if (index < 0)
        {
            return "no-type";
        }

        var type = _types[index % _types.Length];
        var ignoreCase = index >= _types.Length;
        var json = Encoding.UTF8.GetString(input, bodyOffset, input.Length - bodyOffset);
        try
        {
            var value = ignoreCase ? _codec.DeserializeIgnoringCase(json, type) : _codec.Deserialize(json, type);
            Keys.Expect(value is null || value.GetType() == type, "decoded another type");
            return type.Name + (value is null ? ":null" : ":read");
        }
        catch (JsonException)
        {
            return type.Name + ":refused";
        }
    }
}
