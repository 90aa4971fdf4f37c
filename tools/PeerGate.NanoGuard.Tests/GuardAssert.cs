using PeerGate.NanoGuard.Checking;

namespace PeerGate.NanoGuard.Tests;

internal static class GuardAssert
{
    public const string SamplePath = "Sample.cs";

    public static GuardReport CheckSample(string code) => NanoGuard.Check([(SamplePath, code)]);

    /// <summary>Asserts the sample has a finding with <paramref name="ruleId"/> on <paramref name="line"/>.</summary>
    public static void Finds(string code, string ruleId, int line)
    {
        GuardReport report = CheckSample(code);
        bool found = report.Findings.Any(f => f.RuleId == ruleId && f.Line == line && f.Path == SamplePath);
        Assert.IsTrue(found, $"expected {ruleId} on line {line}; got:{Environment.NewLine}{report}");
    }
}
