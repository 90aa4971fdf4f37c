using System.Text.Json;

namespace PeerGate.Fuzz.Engine;

/// <summary>The fixed wire vectors (shared-protocol/vectors, copied beside the binary): the seeds.</summary>
public static class Vectors
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "vectors");

    public static JsonElement Read(string relativePath)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, relativePath)));
        return document.RootElement.Clone();
    }

    public static byte[] Hex(JsonElement element, string name) => Convert.FromHexString(element.GetProperty(name).GetString()!);

    /// <summary>Every message vector as (type name, UTF-8 JSON).</summary>
    public static IEnumerable<(string Type, byte[] Json)> Messages() =>
        Directory.GetFiles(Path.Combine(Folder, "messages"), "*.json")
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => (Path.GetFileNameWithoutExtension(f), File.ReadAllBytes(f)));
}
