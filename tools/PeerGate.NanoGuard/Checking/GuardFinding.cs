namespace PeerGate.NanoGuard.Checking;

/// <summary>One construct or API the board lacks, at a 1-based line of a source file.</summary>
/// <param name="RuleId">A compiler id (CS0246) when the code does not compile against the board's API, otherwise an NG rule id.</param>
public sealed record GuardFinding(string RuleId, string Message, string Path, int Line)
{
    public override string ToString() => $"{Path}({Line}): {RuleId} {Message}";
}
