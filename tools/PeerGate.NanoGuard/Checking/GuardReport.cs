namespace PeerGate.NanoGuard.Checking;

/// <summary>Everything the guard found in one set of sources, ordered by file and line.</summary>
public sealed class GuardReport
{
    public GuardReport(IEnumerable<GuardFinding> findings, int fileCount, IReadOnlyList<string>? checkedAgainst = null, string? notCheckedAgainstReal = null)
    {
        // The same error from the declarations and from the real assemblies is reported once.
        Findings = findings
            .Distinct()
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ThenBy(f => f.Line)
            .ThenBy(f => f.RuleId, StringComparer.Ordinal)
            .ToArray();
        FileCount = fileCount;
        CheckedAgainst = checkedAgainst ?? [];
        NotCheckedAgainstReal = notCheckedAgainstReal;
    }

    public IReadOnlyList<GuardFinding> Findings { get; }

    public int FileCount { get; }

    /// <summary>What the sources were compiled against, e.g. "the declarations in ApiSurface/".</summary>
    public IReadOnlyList<string> CheckedAgainst { get; }

    /// <summary>Why the real reference assemblies were not used (no toolchain), or null when they were.</summary>
    public string? NotCheckedAgainstReal { get; }

    public bool IsClean => Findings.Count == 0;

    public override string ToString() => string.Join(Environment.NewLine, Findings);
}
