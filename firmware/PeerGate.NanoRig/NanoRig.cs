using System.Diagnostics;
using PeerGate.NanoGuard.Toolchain;

namespace PeerGate.NanoRig;

/// <summary>What one step of the toolchain printed and how it ended.</summary>
public sealed record StepResult(string Step, int ExitCode, string Output)
{
    public override string ToString() => $"{Step} (exit {ExitCode}){Environment.NewLine}{Output}";
}

/// <summary>A toolchain step that refused: the message is what the tool printed.</summary>
public sealed class RigException(StepResult result) : Exception(result.ToString())
{
    public StepResult Result { get; } = result;
}

/// <summary>
/// Builds nanoFramework 1.x assemblies with the real toolchain (bin/nf-compile, bin/nf-pe, bin/nf-run; see its
/// README) in a scratch folder: compile as the .nfproj does, make the .pe with the real MetadataProcessor, run on
/// the interpreter. Every step is bounded by a timeout.
/// </summary>
public sealed class NanoRig : IDisposable
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(120);

    private NanoRig(NanoToolchain toolchain, BoardProject board, string workDir)
    {
        Toolchain = toolchain;
        Board = board;
        WorkDir = workDir;
    }

    public NanoToolchain Toolchain { get; }

    public BoardProject Board { get; }

    /// <summary>The scratch folder, removed by <see cref="Dispose"/>.</summary>
    public string WorkDir { get; }

    /// <summary>The rig over the toolchain found by NanoToolchain.Find, or null with the reason there is none.</summary>
    public static NanoRig? Create(string repoRoot, out string reason)
    {
        NanoToolchain? toolchain = NanoToolchain.Find(repoRoot, out reason);
        if (toolchain is null)
        {
            return null;
        }

        if (!File.Exists(Path.Combine(toolchain.Root, "bin", "nf-run")))
        {
            reason = $"{Path.Combine(toolchain.Root, "bin", "nf-run")} not found";
            return null;
        }

        BoardProject board = BoardProject.Load(repoRoot);
        string[] unknown = board.Defines.Where(d => d != "NANOFRAMEWORK_1_0").ToArray();
        if (unknown.Length > 0)
        {
            // nf-compile defines NANOFRAMEWORK_1_0 (and DEBUG with --debug) and nothing else.
            throw new NotSupportedException("nf.props defines " + string.Join(";", unknown) + ", which nf-compile cannot pass");
        }

        string work = Path.Combine(Path.GetTempPath(), "peergate-nanorig-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        return new NanoRig(toolchain, board, work);
    }

    /// <summary>
    /// Compiles <paramref name="sources"/> into WorkDir/<paramref name="fileName"/> (.exe or .dll) against the
    /// board's references, with its language version; Debug defines DEBUG as the Debug configuration does.
    /// <paramref name="entryPoint"/> names the class whose Main starts an .exe when the sources hold more than one
    /// (csc's -main, which nf-compile passes through).
    /// </summary>
    public string Compile(string fileName, IEnumerable<string> sources, bool debug, string? entryPoint = null)
    {
        string output = Path.Combine(WorkDir, fileName);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var arguments = new List<string> { output, "--lang", Board.LangVersion };
        foreach (string reference in Board.References)
        {
            arguments.Add("--ref");
            arguments.Add(reference);
        }

        if (debug)
        {
            arguments.Add("--debug");
        }

        if (entryPoint is not null)
        {
            arguments.Add("-main:" + entryPoint);
        }

        arguments.AddRange(sources);
        Require(Tool("nf-compile", arguments), output);
        return output;
    }

    /// <summary>The .pe the MetadataProcessor makes of an assembly; a refusal throws with its message.</summary>
    public string MakePe(string assembly)
    {
        string pe = Path.ChangeExtension(assembly, ".pe");
        StepResult result = Tool("nf-pe", [assembly, pe, Path.GetDirectoryName(assembly)!]);
        Require(result, pe);
        if (result.Output.Contains("error", StringComparison.OrdinalIgnoreCase) || result.Output.Contains("exception", StringComparison.OrdinalIgnoreCase))
        {
            throw new RigException(result with { Step = "nf-pe (printed an error)" });
        }

        return pe;
    }

    /// <summary>
    /// Runs <paramref name="pe"/> on the interpreter with the .pe of every board reference loaded first, then
    /// <paramref name="libraries"/> (the .pe of the program's own libraries, dependencies first). The exit
    /// code means nothing (it is 0 after an uncaught exception too): the caller reads the program's own lines.
    /// </summary>
    public StepResult Run(string pe, int timeoutSeconds, params string[] libraries)
    {
        var arguments = new List<string> { "--timeout", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (string reference in Board.References)
        {
            arguments.Add("--lib");
            arguments.Add(reference);
        }

        arguments.AddRange(libraries);
        arguments.Add(pe);
        return Tool("nf-run", arguments, TimeSpan.FromSeconds(timeoutSeconds + 30));
    }

    /// <summary>Writes a generated source file into WorkDir and returns its path.</summary>
    public string WriteSource(string fileName, string text)
    {
        string path = Path.Combine(WorkDir, fileName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        if (Directory.Exists(WorkDir))
        {
            Directory.Delete(WorkDir, recursive: true);
        }
    }

    private static void Require(StepResult result, string output)
    {
        if (result.ExitCode != 0 || !File.Exists(output))
        {
            throw new RigException(result);
        }
    }

    private StepResult Tool(string name, IReadOnlyList<string> arguments) => Tool(name, arguments, StepTimeout);

    private StepResult Tool(string name, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = WorkDir,
        };
        start.ArgumentList.Add(Path.Combine(Toolchain.Root, "bin", name));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new StepResult(name, -1, $"did not finish within {timeout.TotalSeconds} s{Environment.NewLine}{stdout.Result}{stderr.Result}");
        }

        process.WaitForExit();
        return new StepResult(name, process.ExitCode, stdout.Result + stderr.Result);
    }
}
