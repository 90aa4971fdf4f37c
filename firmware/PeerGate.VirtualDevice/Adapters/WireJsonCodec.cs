using System.Text.Json;
using PeerGate.Device.Platform;
using PeerGate.Protocol.Host;

namespace PeerGate.VirtualDevice.Adapters;

/// <summary>System.Text.Json with the wire settings that match nanoFramework.Json on the board.</summary>
public sealed class WireJsonCodec : IJsonCodec
{
    // Problems come from ASP.NET with lower-case member names; everything else is case-sensitive like the board.
    private static readonly JsonSerializerOptions IgnoringCase = CreateIgnoringCase();

    public string Serialize(object message) => JsonSerializer.Serialize(message, message.GetType(), WireJson.Options);

    public object? Deserialize(string json, Type type) => JsonSerializer.Deserialize(json, type, WireJson.Options);

    public object? DeserializeIgnoringCase(string json, Type type) => JsonSerializer.Deserialize(json, type, IgnoringCase);

    private static JsonSerializerOptions CreateIgnoringCase()
    {
        var options = new JsonSerializerOptions(WireJson.Options) { PropertyNameCaseInsensitive = true };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
