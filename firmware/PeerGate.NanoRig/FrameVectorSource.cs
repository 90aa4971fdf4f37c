using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PeerGate.NanoRig;

/// <summary>
/// shared-protocol/vectors/peer/frames.json and limits.json as C# for the interpreter program (class
/// FrameVectorData), hex in lower case as the interpreter's Hex.Encode writes it.
/// </summary>
public static class FrameVectorSource
{
    /// <summary>How many frames the vectors hold, and so how many seal and open checks the program makes.</summary>
    public static int FrameCount(string repoRoot)
    {
        using JsonDocument frames = Read(repoRoot, "frames.json");
        return frames.RootElement.GetProperty("frames").GetArrayLength();
    }

    public static string Generate(string repoRoot)
    {
        using JsonDocument frames = Read(repoRoot, "frames.json");
        using JsonDocument limits = Read(repoRoot, "limits.json");
        JsonElement root = frames.RootElement;
        JsonElement keys = root.GetProperty("derivedKeys");
        JsonElement[] list = [.. root.GetProperty("frames").EnumerateArray()];

        var source = new StringBuilder();
        source.AppendLine("namespace PeerGate.NanoRig.FrameVectors");
        source.AppendLine("{");
        source.AppendLine("    public static class FrameVectorData");
        source.AppendLine("    {");
        Constant(source, "SessionKey", Hex(root, "sessionKey"));
        Constant(source, "CallerToCalleeEnc", Hex(keys.GetProperty("caller-to-callee"), "enc"));
        Constant(source, "CallerToCalleeMac", Hex(keys.GetProperty("caller-to-callee"), "mac"));
        Constant(source, "CalleeToCallerEnc", Hex(keys.GetProperty("callee-to-caller"), "enc"));
        Constant(source, "CalleeToCallerMac", Hex(keys.GetProperty("callee-to-caller"), "mac"));
        Array(source, "string", "Directions", list.Select(f => Quote(f.GetProperty("direction").GetString()!)));
        Array(source, "long", "Seqs", list.Select(f => f.GetProperty("seq").GetInt64().ToString(CultureInfo.InvariantCulture)));
        Array(source, "int", "Types", list.Select(f => f.GetProperty("type").GetInt32().ToString(CultureInfo.InvariantCulture)));
        Array(source, "string", "Ivs", list.Select(f => Quote(Hex(f, "iv"))));
        Array(source, "string", "Payloads", list.Select(f => Quote(Hex(f, "payload"))));
        Array(source, "string", "Frames", list.Select(f => Quote(Hex(f, "frame"))));
        JsonElement limit = limits.RootElement;
        Constant(source, "LimitsSessionKey", Hex(limit, "sessionKey"));
        Constant(source, "LimitsIv", Hex(limit, "iv"));
        Constant(source, "LimitsPayload", Hex(limit, "payload"));
        Constant(source, "LimitsFrame", Hex(limit, "frame"));
        source.AppendLine("    }");
        source.AppendLine("}");
        return source.ToString();
    }

    private static JsonDocument Read(string repoRoot, string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(repoRoot, "shared-protocol", "vectors", "peer", name)));

    private static string Hex(JsonElement element, string name) => element.GetProperty(name).GetString()!.ToLowerInvariant();

    private static string Quote(string text) => "\"" + text + "\"";

    private static void Constant(StringBuilder source, string name, string hex) =>
        source.AppendLine($"        public const string {name} = \"{hex}\";");

    private static void Array(StringBuilder source, string type, string name, IEnumerable<string> items)
    {
        source.AppendLine($"        public static readonly {type}[] {name} = new {type}[]");
        source.AppendLine("        {");
        foreach (string item in items)
        {
            source.AppendLine("            " + item + ",");
        }

        source.AppendLine("        };");
    }
}
