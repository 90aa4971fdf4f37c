using System.Text.Json;
using System.Text.Json.Serialization;

namespace PeerGate.Protocol.Host;

/// <summary>
/// System.Text.Json settings that read and write exactly what nanoFramework.Json does on the board:
/// property names as declared (PascalCase), case-sensitive, nulls written, numbers as numbers.
/// Host-only (not part of the nanoFramework subset).
/// </summary>
public static class WireJson
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = null,
            PropertyNameCaseInsensitive = false,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            NumberHandling = JsonNumberHandling.Strict,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
            MaxDepth = 8,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
