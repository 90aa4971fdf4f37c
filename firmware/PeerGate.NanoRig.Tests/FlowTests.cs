using System.Globalization;
using System.Text.RegularExpressions;

namespace PeerGate.NanoRig.Tests;

/// <summary>
/// The device core's flows on the real interpreter (Programs/Flows): the allocation chain with its cache and
/// fallback, challenge-response authentication, registration kept fresh, trigger polling and dispatch, permits, the
/// connection client, the peer handshake and encrypted channel over the managed crypto, session limits, the callee's
/// listener, announced sessions, reverse connect, UDP registration, the wake and the keepalive's fallback, the relayed
/// and punched rendezvous paths; then the
/// managed heap with one session across poll cycles, frames, keepalives and handshakes. Built from the board's own sources
/// (the device core, the shared protocol, its NanoJsonCodec) with the .nfproj's references; the program runs once.
/// </summary>
[TestClass]
public sealed partial class FlowTests
{
    /// <summary>Fewer passes than this means tests were lost on the way: the run fails even with 0 failed.</summary>
    public const int MinimumPassed = 49;

    private static readonly Lazy<StepResult> Run = new(RunProgram);

    [TestMethod]
    [Timeout(480_000, CooperativeCancellation = true)]
    public void EveryFlowPassesOnTheInterpreter()
    {
        StepResult run = Completed();
        Match closing = ClosingLine().Match(run.Output);
        string failures = string.Join(Environment.NewLine, run.Output.Split('\n').Where(l => l.StartsWith("FAIL ", StringComparison.Ordinal)));

        Assert.AreEqual("0", closing.Groups["failed"].Value, failures + Environment.NewLine + run.Output);
        Assert.IsTrue(int.Parse(closing.Groups["passed"].Value, CultureInfo.InvariantCulture) >= MinimumPassed, $"fewer than {MinimumPassed} flows ran{Environment.NewLine}{run.Output}");
    }

    [TestMethod]
    [DataRow("heap: the core registered with one session")]
    [DataRow("heap: no growth per poll cycle")]
    [DataRow("heap: no growth per frame")]
    [DataRow("heap: no growth per keepalive")]
    [DataRow("heap: no growth per handshake")]
    [Timeout(480_000, CooperativeCancellation = true)]
    public void TheHeapHoldsItsBudget(string check)
    {
        StepResult run = Completed();
        string[] heap = run.Output.Split('\n').Where(l => l.StartsWith("heap ", StringComparison.Ordinal)).ToArray();
        Console.WriteLine(string.Join(Environment.NewLine, heap));

        Assert.IsTrue(run.Output.Contains("\nok " + check + "\n", StringComparison.Ordinal), $"{check}{Environment.NewLine}{string.Join(Environment.NewLine, heap)}{Environment.NewLine}{run.Output}");
    }

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
        // The board's code is one library and the test program another: together they pass the MetadataProcessor's
        // limit of one assembly's byte-code table, which the board's own application stays under.
        string[] board =
        [
            .. rig.Board.SourcesUnder("shared-protocol/PeerGate.Protocol"),
            .. rig.Board.SourcesUnder("firmware/PeerGate.Device"),
            .. rig.Board.SourcesUnder("firmware/PeerGate.Device.Esp32/Platform").Where(s => Path.GetFileName(s).StartsWith("NanoJson", StringComparison.Ordinal)),
        ];
        string library = rig.Compile("Flows/PeerGate.Board.dll", board, debug: false);
        string[] sources =
        [
            "-r:" + library,

            // The interpreter's managed AES and HMAC behind IPeerCrypto and the signer, compiled from where they live.
            .. Directory.GetFiles(Path.Combine(root, "firmware", "PeerGate.Interpreter", "Crypto"), "*.cs").Order(StringComparer.Ordinal),
            .. Directory.GetFiles(Path.Combine(root, "firmware", "PeerGate.NanoRig", "Programs", "Crypto"), "*.cs").Order(StringComparer.Ordinal),
            .. Directory.GetFiles(Path.Combine(root, "firmware", "PeerGate.NanoRig", "Programs", "Flows"), "*.cs").Order(StringComparer.Ordinal),
        ];
        string libraryPe = rig.MakePe(library);
        string exe = rig.Compile("Flows/Flows.exe", sources, debug: false);
        return rig.Run(rig.MakePe(exe), timeoutSeconds: 400, libraryPe);
    }

    [GeneratedRegex(@"(?m)^flows: (?<passed>\d+) passed, (?<failed>\d+) failed$")]
    private static partial Regex ClosingLine();
}
