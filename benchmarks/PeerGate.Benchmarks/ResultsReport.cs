using System.Text;

namespace PeerGate.Benchmarks;

/// <summary>Prints every line beside its anchor and writes the same table as a markdown results file.</summary>
public static class ResultsReport
{
    public static void Print(IReadOnlyList<ResultLine> lines)
    {
        Console.WriteLine();
        Console.WriteLine($"  {"line",-38} {"PeerGate",-26} {"anchor",-34} {"ratio",-9} {"target",-8} verdict");
        foreach (var line in lines)
        {
            Console.WriteLine($"  {line.Name,-38} {line.PeerGate,-26} {line.Anchor,-34} {line.RatioText,-9} {line.Target,-8} {line.Verdict}");
        }
    }

    /// <summary>The markdown table; the caller adds the run's context (machine, load, command).</summary>
    /// <param name="images">Plots beside results.md, by title and file name, shown after the table.</param>
    public static string Markdown(IReadOnlyList<ResultLine> lines, IEnumerable<string> context, IEnumerable<(string Title, string File)>? images = null)
    {
        var text = new StringBuilder();
        text.AppendLine("# PeerGate benchmark results").AppendLine();
        foreach (var note in context)
        {
            text.AppendLine($"- {note}");
        }

        text.AppendLine().AppendLine("| line | PeerGate | anchor | ratio | target | verdict |").AppendLine("|---|---|---|---|---|---|");
        foreach (var line in lines)
        {
            text.AppendLine($"| {Cell(line.Name)} | {Cell(line.PeerGate)} | {Cell(line.Anchor)} | {line.RatioText} | {Cell(line.Target)} | {Cell(line.Verdict)} |");
        }

        foreach (var (title, file) in images ?? [])
        {
            text.AppendLine().AppendLine($"![{title}]({file})");
        }

        return text.ToString();
    }

    public static void Write(string directory, IReadOnlyList<ResultLine> lines, IEnumerable<string> context, IEnumerable<(string Title, string File)>? images = null)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "results.md");
        File.WriteAllText(path, Markdown(lines, context, images));
        Console.WriteLine($"  results written to {path}");
    }

    // A pipe inside a cell would end it.
    private static string Cell(string text) => text.Replace("|", "\\|");
}
