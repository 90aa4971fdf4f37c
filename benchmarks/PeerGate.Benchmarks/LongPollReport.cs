namespace PeerGate.Benchmarks;

/// <summary>The long-poll lines: idle long-polling devices in PeerGate beside Mosquitto's subscribed clients.</summary>
public static class LongPollReport
{
    /// <summary>The goal for the server's CPU while every device idles: under 5 % of one core.</summary>
    public const double IdleCpuGoalPercent = 5;

    public static void Print(LongPollResult peerGate, MosquittoResult mosquitto, BareKestrelResult? kestrel)
    {
        var kib = RendezvousReport.Kib;
        Console.WriteLine($"  long-poll: {peerGate.Devices} idle long-polling devices in a PeerGate process ({peerGate.Gc} GC; enrolled, authenticated and polling in {peerGate.Setup.TotalSeconds:F1} s; {peerGate.PollFailures} polls failed)");
        var memory = peerGate.Total;
        Console.WriteLine($"  idle device memory       PeerGate  {kib(memory.ResidentPerDevice),7} RSS {kib(memory.HeapPerDevice ?? 0),7} heap /device  (the held poll alone {kib(peerGate.PollsOnly.ResidentPerDevice)} RSS {kib(peerGate.PollsOnly.HeapPerDevice ?? 0)} heap; RSS {RendezvousReport.Mib(memory.ResidentBefore)} -> {RendezvousReport.Mib(memory.ResidentAfter)})");
        Console.WriteLine($"    per extra device       PeerGate  {RendezvousReport.Slope(peerGate.Slope)}");
        if (kestrel?.Slope is { } bare)
        {
            Console.WriteLine($"    per held request       Kestrel   {kib(bare.ResidentPerDevice),7} RSS {kib(bare.HeapPerDevice ?? 0),7} heap /request between {bare.From} and {bare.To} (a bare minimal API holding {kestrel.Held})   PeerGate/Kestrel {RendezvousReport.Ratio(peerGate.Slope?.ResidentPerDevice ?? 0, bare.ResidentPerDevice)} RSS, {RendezvousReport.Ratio(peerGate.Slope?.HeapPerDevice ?? 0, bare.HeapPerDevice ?? 0)} heap");
        }

        Console.WriteLine(mosquitto.Memory is { } broker
            ? $"                           Mosquitto {kib(broker.ResidentPerDevice),7} RSS /client\n    per extra client       Mosquitto {RendezvousReport.Slope(mosquitto.Slope)}   PeerGate/Mosquitto {RendezvousReport.Ratio(peerGate.Slope?.ResidentPerDevice ?? 0, mosquitto.Slope?.ResidentPerDevice ?? 0)} (target: within 2)"
            : $"                           Mosquitto skipped: {mosquitto.Skipped}");
        Console.WriteLine($"  idle CPU                 PeerGate  {peerGate.IdleCpuPercent,6:F2} % of a core over {peerGate.IdleWindow.TotalSeconds:F0} s ({peerGate.IdlePolls} polls ended by the poll timeout and opened again)"
            + (mosquitto.IdleCpuPercent is { } idle ? $"   Mosquitto {idle:F2} %" : string.Empty) + $"   (target: under {IdleCpuGoalPercent:F0} %)");
        var triggers = peerGate.Triggers;
        Console.WriteLine($"  trigger to delivery      PeerGate  p50 {triggers.P50Ms,6:F2} ms   p99 {triggers.P99Ms,6:F2} ms  ({triggers.Count} delivered, {triggers.Failures} missed; connection query until the held poll answered the status query)");
        Console.WriteLine(mosquitto.Deliveries is { } deliveries
            ? $"                           Mosquitto p50 {deliveries.P50Ms,6:F2} ms   p99 {deliveries.P99Ms,6:F2} ms   p99 PeerGate/Mosquitto {triggers.P99Ms / deliveries.P99Ms:F2}x (target: within 2)"
            : $"                           Mosquitto skipped: {mosquitto.Skipped}");
    }

    public static IEnumerable<ResultLine> Lines(LongPollResult peerGate, MosquittoResult mosquitto, BareKestrelResult? kestrel)
    {
        var kib = RendezvousReport.Kib;
        var n = peerGate.Devices;
        var triggers = peerGate.Triggers;
        yield return mosquitto.Deliveries is { } deliveries
            ? new ResultLine($"long-poll trigger p99, N={n}", $"{triggers.P99Ms:F2} ms (p50 {triggers.P50Ms:F2})", $"Mosquitto {deliveries.P99Ms:F2} ms (p50 {deliveries.P50Ms:F2})", triggers.P99Ms, deliveries.P99Ms, 2, Better.Lower,
                Limit: "a trigger is a certificate-checked HTTP query and a durable commit (fsync) before the wake; a publish at QoS 0 is one write to memory")
            : ResultLine.NotRun("long-poll trigger p99", "Mosquitto", 2, Better.Lower, mosquitto.Skipped ?? "not measured");
        yield return mosquitto.Memory is { } broker && peerGate.Slope is { } slope && mosquitto.Slope is { } brokerSlope
            ? new ResultLine($"long-poll idle memory /device, slope N={slope.From}..{slope.To}", $"{kib(slope.ResidentPerDevice)} RSS", $"Mosquitto {kib(brokerSlope.ResidentPerDevice)} RSS", slope.ResidentPerDevice, brokerSlope.ResidentPerDevice, 2, Better.Lower,
                Limit: $"whole fleet {kib(peerGate.Total.ResidentPerDevice)} RSS /device (Mosquitto {kib(broker.ResidentPerDevice)}); the held poll alone {kib(peerGate.PollsOnly.ResidentPerDevice)} RSS ({kib(peerGate.PollsOnly.HeapPerDevice ?? 0)} heap); the rest is each device's enrollment and authentication; "
                    + (kestrel is { Slope: var bare } ? $"a bare Kestrel app holds {kib(bare.ResidentPerDevice)} RSS ({kib(bare.HeapPerDevice ?? 0)} heap) per held request in this run" : "the bare Kestrel run failed"))
            : ResultLine.NotRun("long-poll idle memory /device", "Mosquitto", 2, Better.Lower, mosquitto.Skipped ?? "not measured");
        yield return new ResultLine($"long-poll idle CPU, N={n}", $"{peerGate.IdleCpuPercent:F2} % of a core",
            $"goal {IdleCpuGoalPercent:F0} %" + (mosquitto.IdleCpuPercent is { } idle ? $" (Mosquitto {idle:F2} %)" : string.Empty),
            peerGate.IdleCpuPercent, IdleCpuGoalPercent, 1, Better.Lower,
            Limit: $"{peerGate.IdlePolls / peerGate.IdleWindow.TotalSeconds:F0} polls/s end at the server's 25 s poll timeout and are opened again");
    }
}
