namespace PeerGate.NanoGuard.Checking;

/// <summary>Everything the guard found in one set of sources, ordered by file and line.</summary>
public sealed class GuardReport
{
    public GuardReport(IEnumerable<GuardFinding> findings, int fileCount)
    {
        Findings = findings
            .Distinct()
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ThenBy(f => f.Line)
            .ThenBy(f => f.RuleId, StringComparer.Ordinal)
            .ToArray();
        FileCount = fileCount;
    }

    public IReadOnlyList<GuardFinding> Findings { get; }

    public int FileCount { get; }

    public bool IsClean => Findings.Count == 0;

    public override string ToString() => string.Join(Environment.NewLine, Findings);
}
