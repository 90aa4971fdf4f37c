using System.Text;

namespace PeerGate.NanoRig;

/// <summary>One message vector: its name, the protocol class it is and its bytes.</summary>
public sealed record MessageVector(string Name, string TypeName, string Json);

/// <summary>
/// The message vectors of shared-protocol/vectors/messages and vectors/escapes as C# for the interpreter program
/// (which has no file system): the class MessageVectors with their names, types and texts, each vector holding
/// \u002B (or the escape of &amp; or &lt;) also in its raw form, and problem.json.
/// </summary>
public static class MessageVectorSource
{
    /// <summary>vectors/messages (named by their class) and vectors/escapes (named escapes/Class).</summary>
    public static IReadOnlyList<MessageVector> Load(string repoRoot)
    {
        string vectors = Path.Combine(repoRoot, "shared-protocol", "vectors");
        return Directory.GetFiles(Path.Combine(vectors, "messages"), "*.json")
            .Order(StringComparer.Ordinal)
            .Select(path => new MessageVector(Path.GetFileNameWithoutExtension(path), Path.GetFileNameWithoutExtension(path), File.ReadAllText(path)))
            .Concat(Directory.GetFiles(Path.Combine(vectors, "escapes"), "*.json")
                .Order(StringComparer.Ordinal)
                .Select(path => new MessageVector("escapes/" + Path.GetFileNameWithoutExtension(path), Path.GetFileNameWithoutExtension(path), File.ReadAllText(path))))
            .ToArray();
    }

    /// <summary>
    /// The text with the escapes of + &amp; &lt; written as the characters themselves, as nanoFramework.Json and
    /// other writers send them: the same message, so it must read to the same one.
    /// </summary>
    public static string RawForm(string json) =>
        json.Replace("\\u002B", "+", StringComparison.Ordinal).Replace("\\u003C", "<", StringComparison.Ordinal).Replace("\\u0026", "&", StringComparison.Ordinal);

    public static string Generate(string repoRoot, IReadOnlyList<MessageVector> vectors)
    {
        MessageVector[] escaped = vectors.Where(v => RawForm(v.Json) != v.Json).ToArray();
        var source = new StringBuilder();
        source.AppendLine("using System;");
        source.AppendLine("namespace PeerGate.NanoRig.JsonVectors");
        source.AppendLine("{");
        source.AppendLine("    public static class MessageVectors");
        source.AppendLine("    {");
        Array(source, "string", "Names", vectors.Select(v => Literal(v.Name)));
        Array(source, "Type", "Types", vectors.Select(v => $"typeof(PeerGate.Protocol.{v.TypeName})"));
        Array(source, "string", "Json", vectors.Select(v => Literal(v.Json)));
        Array(source, "string", "EscapedNames", escaped.Select(v => Literal(v.Name + "+raw")));
        Array(source, "Type", "EscapedTypes", escaped.Select(v => $"typeof(PeerGate.Protocol.{v.TypeName})"));
        Array(source, "string", "Escaped", escaped.Select(v => Literal(RawForm(v.Json))));
        Array(source, "string", "EscapedExpected", escaped.Select(v => Literal(v.Json)));
        string problem = File.ReadAllText(Path.Combine(repoRoot, "shared-protocol", "vectors", "problem.json"));
        source.AppendLine($"        public static readonly string ProblemJson = {Literal(problem)};");
        source.AppendLine("    }");
        source.AppendLine("}");
        return source.ToString();
    }

    /// <summary>The names of the vectors the program also reads in their raw form ("NAME+raw").</summary>
    public static IEnumerable<string> EscapedNames(IReadOnlyList<MessageVector> vectors) =>
        vectors.Where(v => RawForm(v.Json) != v.Json).Select(v => v.Name + "+raw");

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
