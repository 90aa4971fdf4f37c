using System.Text;

namespace PeerGate.Flash.Tests;

/// <summary>One call the tool made to a process: the tool's name (as found on the fake PATH) and its arguments.</summary>
public sealed record ToolCall(string Tool, string[] Arguments)
{
    public override string ToString() => Tool + " " + string.Join(' ', Arguments);
}

/// <summary>A process runner that runs nothing: it records each call and answers the exit code it was given.</summary>
public sealed class RecordingRunner : IProcessRunner
{
    private readonly object _lock = new();
    private readonly List<ToolCall> _calls = [];

    /// <summary>The tools that are "installed"; by default nanoff and espefuse.py (esptool v4).</summary>
    public HashSet<string> Installed { get; } = ["nanoff", "espefuse.py"];

    /// <summary>The exit code of the first call whose text starts with the key (e.g. "espefuse.py -p P summary").</summary>
    public Dictionary<string, int> ExitCodes { get; } = [];

    /// <summary>Runs at each call, to look at the files while the tool "has" them (network.json is deleted after).</summary>
    public Action<ToolCall>? OnCall { get; set; }

    public IReadOnlyList<ToolCall> Calls
    {
        get
        {
            lock (_lock)
            {
                return [.. _calls];
            }
        }
    }

    public string? Find(string tool) => Installed.Contains(tool) ? "/fake/bin/" + tool : null;

    public int Run(string path, IReadOnlyList<string> arguments)
    {
        var call = new ToolCall(Path.GetFileName(path), [.. arguments]);
        lock (_lock)
        {
            _calls.Add(call);
        }

        OnCall?.Invoke(call);
        var text = call.ToString();
        return ExitCodes.FirstOrDefault(e => text.StartsWith(e.Key, StringComparison.Ordinal)).Value;
    }
}

/// <summary>A terminal with a person who types the given answers, or no terminal at all.</summary>
public sealed class ScriptedInput(bool interactive, params string[] answers) : IConfirmationInput
{
    private readonly Queue<string> _answers = new(answers);

    public int Prompts { get; private set; }

    public bool IsInteractive => interactive;

    public string? ReadLine()
    {
        Prompts++;
        return _answers.TryDequeue(out var answer) ? answer : null;
    }
}

/// <summary>What one run of the tool printed and answered.</summary>
public sealed record FlashRun(int ExitCode, string Out, string Error, IReadOnlyList<ToolCall> Calls)
{
    /// <summary>The "+ tool ..." lines: the command lines the run printed (a dry run prints them instead of running them).</summary>
    public string[] CommandLines => Out.Split('\n').Where(l => l.StartsWith("+ ", StringComparison.Ordinal) && !l.StartsWith("+ write", StringComparison.Ordinal) && !l.StartsWith("+ wrote", StringComparison.Ordinal)
        && !l.StartsWith("+ derive", StringComparison.Ordinal) && !l.StartsWith("+ generate", StringComparison.Ordinal)).ToArray();

    public string All => Out + Error;
}

/// <summary>A temporary folder per test and the tool run in process against a recorder.</summary>
public sealed class FlashSandbox : IDisposable
{
    public FlashSandbox()
    {
        Folder = Directory.CreateTempSubdirectory("peergate-flash-test-").FullName;
    }

    public string Folder { get; }

    public RecordingRunner Runner { get; } = new();

    public string PathOf(string name) => Path.Combine(Folder, name);

    public FlashRun Flash(params string[] args) => Flash(new ScriptedInput(false), args);

    public FlashRun Flash(IConfirmationInput input, params string[] args)
    {
        var output = new StringWriter(new StringBuilder()) { NewLine = "\n" };
        var error = new StringWriter(new StringBuilder()) { NewLine = "\n" };
        var environment = new FlashEnvironment
        {
            Out = output,
            Error = error,
            Runner = Runner,
            Input = input,
            RepositoryRoot = "/repo",
            TempFolder = PathOf("tmp"),
        };
        Directory.CreateDirectory(environment.TempFolder);
        var code = FlashCommandLine.Run(args, environment);
        return new FlashRun(code, output.ToString(), error.ToString(), Runner.Calls);
    }

    public static UnixFileMode ModeOf(string path) => File.GetUnixFileMode(path);

    public void Dispose()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }
}
