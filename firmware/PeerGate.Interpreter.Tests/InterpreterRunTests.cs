using System.Diagnostics;
using System.Text.RegularExpressions;
using PeerGate.Interpreter.Vectors;
using PeerGate.NanoGuard.Checking;
using PeerGate.NanoGuard.Toolchain;

namespace PeerGate.Interpreter.Tests;

/// <summary>
/// The same crypto built with the real nanoFramework toolchain and run on the real interpreter (run.sh), and kept
/// inside the 1.x subset. Without the toolchain the run reports "skipped", never a pass.
/// </summary>
[TestClass]
public sealed partial class InterpreterRunTests
{
    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public void VectorsPassOnTheRealInterpreter()
    {
        string root = RepoRoot();
        NanoToolchain? toolchain = NanoToolchain.Find(root, out string reason);
        if (toolchain is null)
        {
            Assert.Inconclusive($"skipped: no nanoFramework toolchain ({reason})");
        }

        string output = Path.Combine(Path.GetTempPath(), "peergate-interpreter-" + Guid.NewGuid().ToString("N"));
        try
        {
            (int exitCode, string stdout, string stderr) = Run(root, toolchain!, output, TimeSpan.FromSeconds(180));

            string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Match closing = ClosingLine().Match(lines.LastOrDefault() ?? "");
            Assert.IsTrue(closing.Success, $"no closing line (exit {exitCode}){Environment.NewLine}{stdout}{Environment.NewLine}{stderr}");
            Assert.AreEqual("0", closing.Groups["failed"].Value, stdout);
            Assert.IsTrue(int.Parse(closing.Groups["passed"].Value) > KnownAnswers.Count, "the vectors and the timed handshake: " + stdout);
            Assert.AreEqual(KnownAnswers.Count, lines.Count(l => l.StartsWith("ok ", StringComparison.Ordinal)), stdout);
            Assert.IsTrue(lines.Any(l => l.StartsWith("x25519: ", StringComparison.Ordinal)), stdout);
            Assert.IsTrue(lines.Any(l => l.StartsWith("heap: ", StringComparison.Ordinal)), stdout);
            Assert.AreEqual(0, exitCode, stderr);
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    [TestMethod]
    public void InterpreterCodeIsInsideTheSubset()
    {
        string root = RepoRoot();
        IReadOnlyList<string> files = SourceSet.Find(Path.Combine(root, "firmware", "PeerGate.Interpreter"), "Bench");
        Assert.IsTrue(files.Any(f => f.EndsWith("X25519.cs", StringComparison.Ordinal)), "no sources found");

        GuardReport report = NanoGuard.NanoGuard.Check(files);

        Assert.IsTrue(report.IsClean, string.Join(Environment.NewLine, report.Findings));
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string root, NanoToolchain toolchain, string output, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(root, "firmware", "PeerGate.Interpreter", "run.sh"));
        start.ArgumentList.Add("--out");
        start.ArgumentList.Add(output);
        start.Environment[NanoToolchain.EnvironmentVariable] = toolchain.Root;

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"run.sh did not finish within {timeout.TotalSeconds} s");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string RepoRoot() =>
        NanoToolchain.FindRepoRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("PeerGate.slnx not found above " + AppContext.BaseDirectory);

    [GeneratedRegex(@"^crypto: (?<passed>\d+) passed, (?<failed>\d+) failed$")]
    private static partial Regex ClosingLine();
}
