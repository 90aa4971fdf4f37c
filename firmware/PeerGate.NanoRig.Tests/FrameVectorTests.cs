using System.Text.Json;
using System.Text.RegularExpressions;

namespace PeerGate.NanoRig.Tests;

/// <summary>
/// The frame vectors on the real interpreter: the managed AES-256-CBC and HMAC-SHA256 of
/// firmware/PeerGate.Interpreter/Crypto proven against FIPS 197, SP 800-38A and RFC 4231 there first, then every
/// frame of shared-protocol/vectors/peer sealed and opened through the shared FrameCodec (built with the board's
/// references and language version) over them, byte for byte. The program runs once for all of them.
/// </summary>
[TestClass]
public sealed partial class FrameVectorTests
{
    private static readonly Lazy<StepResult> Run = new(RunProgram);

    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public void ManagedAesAndHmacPassTheirPublishedVectorsOnTheInterpreter()
    {
        StepResult run = Completed();

        foreach (string check in new[]
        {
            "aes256 fips197 c.3 encrypt", "aes256 fips197 c.3 decrypt", "aes256 sp800-38a f.2.5 cbc encrypt",
            "aes256 sp800-38a f.2.6 cbc decrypt in place", "hmac rfc4231 1", "hmac rfc4231 2", "hmac rfc4231 6", "hmac rfc4231 7",
        })
        {
            AssertOk(run, check);
        }
    }

    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public void EveryVectorFrameIsSealedAndOpenedByteForByteOnTheInterpreter()
    {
        StepResult run = Completed();
        using JsonDocument vector = JsonDocument.Parse(File.ReadAllText(Path.Combine(Rig.RepoRoot(), "shared-protocol", "vectors", "peer", "frames.json")));
        int frames = 0;

        foreach (JsonElement frame in vector.RootElement.GetProperty("frames").EnumerateArray())
        {
            string name = $"frame {frame.GetProperty("direction").GetString()} {frame.GetProperty("seq").GetInt64()}";
            AssertOk(run, name + " sealed");
            AssertOk(run, name + " opened type");
            AssertOk(run, name + " opened payload");
            frames++;
        }

        Assert.AreEqual(FrameVectorSource.FrameCount(Rig.RepoRoot()), frames);
        foreach (string direction in new[] { "caller-to-callee", "callee-to-caller" })
        {
            AssertOk(run, "derived enc " + direction);
            AssertOk(run, "derived mac " + direction);
        }

        AssertOk(run, "limits frame sealed");
        Match closing = ClosingLine().Match(run.Output);
        Assert.AreEqual("0", closing.Groups["failed"].Value, run.Output);
    }

    private static void AssertOk(StepResult run, string check) =>
        Assert.IsTrue(run.Output.Contains("\nok " + check + "\n", StringComparison.Ordinal), $"{check}{Environment.NewLine}{run.Output}");

    /// <summary>The run, which counts only with the program's own closing line.</summary>
    private static StepResult Completed()
    {
        Rig.Require();
        StepResult run = Run.Value;
        Assert.IsTrue(ClosingLine().IsMatch(run.Output), $"no closing line: the program did not run to its end{Environment.NewLine}{run}");
        return run;
    }

    private static StepResult RunProgram()
    {
        NanoRig rig = Rig.Require();
        string root = rig.Board.RepoRoot;
        string interpreter = Path.Combine(root, "firmware", "PeerGate.Interpreter");
        string programs = Path.Combine(root, "firmware", "PeerGate.NanoRig", "Programs", "FrameVectors");
        string[] sources =
        [
            .. rig.Board.SourcesUnder("shared-protocol/PeerGate.Protocol"),

            // The interpreter's managed crypto and its vectors, compiled from where they live.
            .. new[] { "Crypto", "Vectors", "Handshake" }.SelectMany(d => Directory.GetFiles(Path.Combine(interpreter, d), "*.cs")).Order(StringComparer.Ordinal),
            .. Directory.GetFiles(programs, "*.cs").Order(StringComparer.Ordinal),
            .. Directory.GetFiles(Path.Combine(root, "firmware", "PeerGate.NanoRig", "Programs", "Crypto"), "*.cs").Order(StringComparer.Ordinal),
            rig.WriteSource("FrameVectors/FrameVectorData.cs", FrameVectorSource.Generate(root)),
        ];
        string exe = rig.Compile("FrameVectors/FrameVectors.exe", sources, debug: false);
        return rig.Run(rig.MakePe(exe), timeoutSeconds: 120);
    }

    [GeneratedRegex(@"(?m)^frames: (?<passed>\d+) passed, (?<failed>\d+) failed$")]
    private static partial Regex ClosingLine();
}
