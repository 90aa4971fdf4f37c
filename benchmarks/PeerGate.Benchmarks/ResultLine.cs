namespace PeerGate.Benchmarks;

/// <summary>Whether a higher or a lower PeerGate/anchor ratio is better for a line.</summary>
public enum Better { Higher, Lower }

/// <summary>
/// One benchmark line beside its anchor: PeerGate's number, the anchor's, their ratio and the target the
/// ratio is held to. A line without a measurement on either side is skipped, never met or missed.
/// </summary>
/// <param name="Skipped">Why the line was not measured; null when it was.</param>
/// <param name="TargetText">The target as printed, where the ratio alone does not say it (a goal of zero bytes); an infinite TargetRatio marks a line that is reported, not judged.</param>
/// <param name="Limit">What the measurement shows limits the line; printed when the target is missed.</param>
public sealed record ResultLine(string Name, string PeerGate, string Anchor, double? Ours, double? Theirs, double TargetRatio, Better Better, string? Skipped = null, string? Limit = null, string? TargetText = null)
{
    /// <summary>PeerGate's number over the anchor's; null when either is missing or not a number.</summary>
    public double? Ratio => Ours is { } ours && Theirs is { } theirs && double.IsFinite(ours) && double.IsFinite(theirs) && theirs > 0 ? ours / theirs : null;

    public string Target => TargetText ?? (double.IsPositiveInfinity(TargetRatio) ? "-" : Better == Better.Higher ? $">= {TargetRatio:0.##}x" : $"<= {TargetRatio:0.##}x");

    /// <summary>"met", "missed", or "skipped: why".</summary>
    public string Verdict => Skipped is not null ? $"skipped: {Skipped}"
        : Ratio is not { } ratio ? "skipped: not measured"
        : double.IsPositiveInfinity(TargetRatio) ? "reported"
        : (Better == Better.Higher ? ratio >= TargetRatio : ratio <= TargetRatio) ? "met"
        : Limit is null ? "missed" : $"missed: {Limit}";

    public string RatioText => Ratio is { } ratio ? $"{ratio:0.###}x" : "n/a";

    /// <summary>A line for something that could not run, with the reason.</summary>
    public static ResultLine NotRun(string name, string target, double targetRatio, Better better, string why) =>
        new(name, "-", target, null, null, targetRatio, better, why);
}
