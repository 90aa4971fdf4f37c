using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;

namespace PeerGate.NanoRig.Tests;

/// <summary>
/// Every message vector read and written back on the real interpreter through the board's own JSON adapter
/// (NanoJsonCodec over nanoFramework.Json, built with the .nfproj's references): the bytes must be exactly the
/// vector's, which are exactly what the server's WireJson writes. The program runs once for all vectors.
/// </summary>
[TestClass]
public sealed partial class JsonVectorTests
{
    private static readonly Lazy<StepResult> Run = new(RunProgram);

    public static IEnumerable<object[]> Vectors() =>
        MessageVectorSource.Load(Rig.RepoRoot()).Select(v => new object[] { v.Name });

    [TestMethod]
    [DynamicData(nameof(Vectors))]
    [Timeout(180_000, CooperativeCancellation = true)]
    public void TheBoardWritesBackTheVectorBytes(string name)
    {
        StepResult run = Completed();
        MessageVector vector = MessageVectorSource.Load(Rig.RepoRoot()).Single(v => v.Name == name);

        string written = Written(run, name);

        Assert.AreEqual(vector.Json, written, $"{name}: the board wrote other bytes than the vector{Environment.NewLine}{Lines(run, name)}");
        Type type = typeof(Routes).Assembly.GetType("PeerGate.Protocol." + vector.TypeName)!;
        string host = JsonSerializer.Serialize(JsonSerializer.Deserialize(vector.Json, type, WireJson.Options), type, WireJson.Options);
        Assert.AreEqual(host, written, $"{name}: the board and the server's WireJson write other bytes");
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public void RawAndEscapedFormsReadToTheSameMessage()
    {
        StepResult run = Completed();
        string[] escaped = MessageVectorSource.EscapedNames(MessageVectorSource.Load(Rig.RepoRoot())).ToArray();
        Assert.IsTrue(escaped.Length > 0, "no vector holds \\u002B");

        foreach (string name in escaped)
        {
            Assert.IsTrue(run.Output.Contains("\nok " + name + "\n", StringComparison.Ordinal), $"{name}{Environment.NewLine}{Lines(run, name)}");
        }
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public void StringsAreEscapedAsTheServerEscapesThemAndReadBack()
    {
        StepResult run = Completed();
        var text = new StringBuilder();
        for (int c = 1; c < 128; c++)
        {
            text.Append((char)c);
        }

        text.Append("\u00e9\u20ac");
        string host = JsonSerializer.Serialize(new ChallengeRequest { DeviceId = text.ToString() }, WireJson.Options);

        Assert.AreEqual(host, Written(run, "escapes"));
        Assert.IsTrue(run.Output.Contains("\nok escapes\n", StringComparison.Ordinal), Lines(run, "escapes"));
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public void ProblemJsonIsReadIgnoringCase()
    {
        StepResult run = Completed();

        Assert.IsTrue(run.Output.Contains("\nok problem\n", StringComparison.Ordinal), Lines(run, "problem"));
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public void EveryCheckOfTheProgramPassed()
    {
        StepResult run = Completed();
        Match closing = ClosingLine().Match(run.Output);

        Assert.AreEqual("0", closing.Groups["failed"].Value, run.Output);
        Assert.AreEqual(
            MessageVectorSource.Load(Rig.RepoRoot()).Count + MessageVectorSource.EscapedNames(MessageVectorSource.Load(Rig.RepoRoot())).Count() + 2,
            int.Parse(closing.Groups["passed"].Value, System.Globalization.CultureInfo.InvariantCulture),
            run.Output);
    }

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
        IReadOnlyList<MessageVector> vectors = MessageVectorSource.Load(root);
        string generated = rig.WriteSource("JsonVectors/MessageVectors.cs", MessageVectorSource.Generate(root, vectors));
        string[] sources =
        [
            .. rig.Board.SourcesUnder("shared-protocol/PeerGate.Protocol"),
            .. rig.Board.SourcesUnder("firmware/PeerGate.Device"),
            .. rig.Board.SourcesUnder("firmware/PeerGate.Device.Esp32/Platform").Where(s => Path.GetFileName(s).StartsWith("NanoJson", StringComparison.Ordinal)),
            Path.Combine(root, "firmware", "PeerGate.NanoRig", "Programs", "JsonVectors", "Program.cs"),
            generated,
        ];
        string exe = rig.Compile("JsonVectors/JsonVectors.exe", sources, debug: false);
        return rig.Run(rig.MakePe(exe), timeoutSeconds: 60);
    }

    private static string Written(StepResult run, string name)
    {
        string prefix = "written " + name + " ";
        string? line = run.Output.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        Assert.IsNotNull(line, $"{name}: nothing written{Environment.NewLine}{Lines(run, name)}");
        return Encoding.UTF8.GetString(Convert.FromBase64String(line[prefix.Length..].Trim()));
    }

    private static string Lines(StepResult run, string name) =>
        string.Join(Environment.NewLine, run.Output.Split('\n').Where(l => l.Contains(" " + name, StringComparison.Ordinal)));

    [GeneratedRegex(@"(?m)^json: (?<passed>\d+) passed, (?<failed>\d+) failed$")]
    private static partial Regex ClosingLine();
}
