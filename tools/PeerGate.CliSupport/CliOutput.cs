using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace PeerGate.CliSupport;

/// <summary>
/// Where a command prints: lines, tables, JSON, and progress. Tables and progress are drawn with
/// Spectre.Console only when stdout is a terminal; redirected (a script, a test) a table is plain
/// columns two spaces apart, header first, one row per line and never wrapped, and no progress is
/// drawn at all, so what scripts parse does not depend on a terminal's width.
/// </summary>
public sealed class CliOutput
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly IAnsiConsole? _terminal;

    public CliOutput(TextWriter output, TextWriter error, bool json, bool? terminal = null)
    {
        Out = output;
        Error = error;
        Json = json;
        IsTerminal = terminal ?? (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected);
        if (IsTerminal)
        {
            _terminal = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(output),
                Ansi = AnsiSupport.Detect,
                ColorSystem = ColorSystemSupport.Detect,
                Interactive = InteractionSupport.Detect,
            });
        }
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>--json was given: print one JSON document and nothing else on stdout.</summary>
    public bool Json { get; }

    /// <summary>stdout is a terminal (not redirected).</summary>
    public bool IsTerminal { get; }

    /// <summary>Progress is drawn: a terminal, and not --json.</summary>
    public bool ShowsProgress => IsTerminal && !Json;

    /// <summary>A line for people; with --json it goes nowhere, since stdout holds the JSON alone.</summary>
    public void Line(string text)
    {
        if (!Json)
        {
            Out.WriteLine(text);
        }
    }

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    public static string ToJson<T>(T value) => JsonSerializer.Serialize(value, JsonOptions);

    /// <summary>Prints <paramref name="json"/> with --json, else the table of <paramref name="headers"/> and <paramref name="rows"/>.</summary>
    public void Table<T>(T json, string[] headers, IEnumerable<string[]> rows)
    {
        if (Json)
        {
            WriteJson(json);
            return;
        }

        Table(headers, rows);
    }

    public void Table(string[] headers, IEnumerable<string[]> rows)
    {
        if (_terminal is not null)
        {
            var table = new Table { Border = TableBorder.Rounded };
            foreach (var header in headers)
            {
                table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
            }

            foreach (var row in rows)
            {
                table.AddRow(row.Select(cell => (IRenderable)new Text(cell)).ToArray());
            }

            _terminal.Write(table);
            return;
        }

        PlainTable.Write(Out, headers, rows);
    }

    /// <summary>Runs <paramref name="work"/> under a spinner saying <paramref name="what"/>, on a terminal only.</summary>
    public T Status<T>(string what, Func<T> work) =>
        ShowsProgress ? _terminal!.Status().Start(Markup.Escape(what), _ => work()) : work();

    public async Task<T> StatusAsync<T>(string what, Func<Task<T>> work) =>
        ShowsProgress ? await _terminal!.Status().StartAsync(Markup.Escape(what), _ => work()) : await work();

    /// <summary>
    /// Runs <paramref name="work"/> with a progress bar per name in <paramref name="bars"/> (each with its
    /// total), on a terminal only; <paramref name="work"/> reports through the callback (bar index, value).
    /// </summary>
    public T Progress<T>(IReadOnlyList<(string Name, double Total)> bars, Func<Action<int, double>, T> work)
    {
        if (!ShowsProgress)
        {
            return work((_, _) => { });
        }

        return _terminal!.Progress().AutoClear(true).Start(context =>
        {
            var tasks = bars.Select(bar => context.AddTask(Markup.Escape(bar.Name), true, Math.Max(bar.Total, 1))).ToArray();
            return work((index, value) => tasks[index].Value = value);
        });
    }

    public async Task<T> ProgressAsync<T>(IReadOnlyList<(string Name, double Total)> bars, Func<Action<int, double>, Task<T>> work)
    {
        if (!ShowsProgress)
        {
            return await work((_, _) => { });
        }

        return await _terminal!.Progress().AutoClear(true).StartAsync(async context =>
        {
            var tasks = bars.Select(bar => context.AddTask(Markup.Escape(bar.Name), true, Math.Max(bar.Total, 1))).ToArray();
            return await work((index, value) => tasks[index].Value = value);
        });
    }
}

/// <summary>Rows as columns two spaces apart, the last column unpadded: what awk and the tests read.</summary>
public static class PlainTable
{
    public static void Write(TextWriter output, string[] headers, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { headers };
        all.AddRange(rows);
        var widths = headers.Select((_, column) => all.Max(row => row[column].Length)).ToArray();
        foreach (var row in all)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, column) => column == row.Length - 1 ? cell : cell.PadRight(widths[column]))).TrimEnd());
        }
    }
}
