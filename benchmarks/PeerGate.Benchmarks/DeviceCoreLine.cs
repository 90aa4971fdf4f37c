namespace PeerGate.Benchmarks;

/// <summary>The device-core lines: bytes allocated per frame and per keepalive against the goal of none, and bytes on the wire.</summary>
public static class DeviceCoreLine
{
    public static IEnumerable<ResultLine> Lines(DeviceCoreResult core)
    {
        yield return Allocation("device core, frame sealed", core.BytesPerFrameSealed);
        yield return Allocation("device core, frame opened", core.BytesPerFrameOpened);
        yield return Allocation("device core, keepalive", core.BytesPerKeepalive);
        yield return core.WireBytesPerFrame > 0
            ? new ResultLine("device core, wire per frame", $"{core.WireBytesPerFrame} B for {core.PayloadBytes} B payload, keepalive {core.WireBytesPerKeepalive} B", "payload",
                core.WireBytesPerFrame, core.PayloadBytes, double.PositiveInfinity, Better.Lower)
            : ResultLine.NotRun("device core, wire per frame", "payload", double.PositiveInfinity, Better.Lower, "not measured");
    }

    // The goal is zero bytes, so there is no ratio to hold: the verdict compares against zero directly.
    private static ResultLine Allocation(string name, double bytes) => double.IsFinite(bytes)
        ? new ResultLine(name, $"{bytes:F0} B", "goal 0 B", bytes == 0 ? 0 : 1, 1, 0, Better.Lower, Limit: $"{bytes:F0} B allocated per call", TargetText: "0 B")
        : ResultLine.NotRun(name, "goal 0 B", 0, Better.Lower, "not measured") with { TargetText = "0 B" };
}
