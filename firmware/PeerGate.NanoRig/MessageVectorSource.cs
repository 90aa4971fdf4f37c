using System.Text;

namespace PeerGate.NanoRig;

/// <summary>One message vector: the protocol class it is (the file name up to its first dot) and its bytes.</summary>
public sealed record MessageVector(string Name, string TypeName, string Json);

/// <summary>
/// The message vectors of shared-protocol/vectors/messages as C# for the interpreter program (which has no file
/// system): the class MessageVectors with their names, types and texts, each vector containing + or / also
/// with those written as \uXXXX escapes, and problem.json.
/// </summary>
public static class MessageVectorSource
{
    public static IReadOnlyList<MessageVector> Load(string repoRoot) =>
        Directory.GetFiles(Path.Combine(repoRoot, "shared-protocol", "vectors", "messages"), "*.json")
            .Order(StringComparer.Ordinal)
            .Select(path =>
            {
                string name = Path.GetFileNameWithoutExtension(path);
                return new MessageVector(name, name.Split('.')[0], File.ReadAllText(path));
            })
            .ToArray();

    /// <summary>The text as System.Text.Json's default encoder would escape + (and the other HTML-sensitive characters).</summary>
    public static string Escape(string json) =>
        json.Replace("+", "\\u002B", StringComparison.Ordinal).Replace("<", "\\u003C", StringComparison.Ordinal).Replace("&", "\\u0026", StringComparison.Ordinal);

    public static string Generate(string repoRoot, IReadOnlyList<MessageVector> vectors)
    {
        MessageVector[] escaped = vectors.Where(v => Escape(v.Json) != v.Json).ToArray();
        var source = new StringBuilder();
        source.AppendLine("using System;");
        source.AppendLine("namespace PeerGate.NanoRig.JsonVectors");
        source.AppendLine("{");
        source.AppendLine("    public static class MessageVectors");
        source.AppendLine("    {");
        Array(source, "string", "Names", vectors.Select(v => Literal(v.Name)));
        Array(source, "Type", "Types", vectors.Select(v => $"typeof(PeerGate.Protocol.{v.TypeName})"));
        Array(source, "string", "Json", vectors.Select(v => Literal(v.Json)));
        Array(source, "string", "EscapedNames", escaped.Select(v => Literal(v.Name + "+escaped")));
        Array(source, "Type", "EscapedTypes", escaped.Select(v => $"typeof(PeerGate.Protocol.{v.TypeName})"));
        Array(source, "string", "Escaped", escaped.Select(v => Literal(Escape(v.Json))));
        Array(source, "string", "EscapedExpected", escaped.Select(v => Literal(v.Json)));
        string problem = File.ReadAllText(Path.Combine(repoRoot, "shared-protocol", "vectors", "problem.json"));
        source.AppendLine($"        public static readonly string ProblemJson = {Literal(problem)};");
        source.AppendLine("    }");
        source.AppendLine("}");
        return source.ToString();
    }

    /// <summary>The names of the vectors the program also reads in escaped form.</summary>
    public static IEnumerable<string> EscapedNames(IReadOnlyList<MessageVector> vectors) =>
        vectors.Where(v => Escape(v.Json) != v.Json).Select(v => v.Name + "+escaped");

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

    private static string Literal(string text) => "@\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
