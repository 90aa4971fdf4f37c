namespace PeerGate.Benchmarks;

/// <summary>The rendezvous lines: PeerGate beside Mosquitto and coturn, with the ratio and the target of each.</summary>
public static class RendezvousReport
{
    public static void Print(RendezvousResult peerGate, MosquittoResult mosquitto, CoturnResult coturn)
    {
        var n = peerGate.Devices;
        Console.WriteLine($"  rendezvous: {n} idle UDP devices in a PeerGate process ({peerGate.Gc} GC; enrolled, authenticated and UDP-registered in {peerGate.Setup.TotalSeconds:F1} s, {DeviceFleet.SetupWorkers} at a time; {DeviceFleet.BusyRetries} setup requests retried after 503 so far)");
        var memory = peerGate.Total;
        var udpOnly = peerGate.UdpOnly;
        Console.WriteLine($"  idle device memory       PeerGate  {Kib(memory.ResidentPerDevice),7} RSS {Kib(memory.HeapPerDevice ?? 0),7} heap /device  (UDP registration alone {Kib(udpOnly.ResidentPerDevice)} RSS {Kib(udpOnly.HeapPerDevice ?? 0)} heap; RSS {Mib(memory.ResidentBefore)} -> {Mib(memory.ResidentAfter)})");
        Console.WriteLine($"    per extra device       PeerGate  {Slope(peerGate.Slope)}");
        if (mosquitto.Memory is { } broker)
        {
            Console.WriteLine($"                           Mosquitto {Kib(broker.ResidentPerDevice),7} RSS /client  ({mosquitto.Clients} subscribed clients; RSS {Mib(broker.ResidentBefore)} -> {Mib(broker.ResidentAfter)})");
            Console.WriteLine($"    per extra client       Mosquitto {Slope(mosquitto.Slope)}   PeerGate/Mosquitto {Ratio(peerGate.Slope?.ResidentPerDevice ?? 0, mosquitto.Slope?.ResidentPerDevice ?? 0)} (target: below 1)");
        }
        else
        {
            Console.WriteLine($"                           Mosquitto skipped: {mosquitto.Skipped}");
        }

        var wakes = peerGate.Wakes;
        Console.WriteLine($"  wake to fetch            PeerGate  p50 {wakes.P50Ms,6:F2} ms   p99 {wakes.P99Ms,6:F2} ms  ({wakes.Count} woken and fetched, {wakes.Failures} missed; connection query to status query fetched)");
        var arrived = peerGate.WakeDatagrams;
        Console.WriteLine($"                             of which  p50 {arrived.P50Ms,6:F2} ms   p99 {arrived.P99Ms,6:F2} ms  until the wake datagram arrived (the rest is the device's fetch)");
        if (mosquitto.Deliveries is { } deliveries)
        {
            Console.WriteLine($"                           Mosquitto p50 {deliveries.P50Ms,6:F2} ms   p99 {deliveries.P99Ms,6:F2} ms  ({deliveries.Count} delivered, {deliveries.Failures} missed; publish to one client until it has read it)   p99 PeerGate/Mosquitto {Ratio(wakes.P99Ms, deliveries.P99Ms)} (target: within 2)");
        }
        else
        {
            Console.WriteLine($"                           Mosquitto skipped: {mosquitto.Skipped}");
        }

        var datagrams = peerGate.Datagrams;
        Console.WriteLine($"  registration datagrams   PeerGate  {datagrams.PerSecond,8:F0} acks/s      CPU {datagrams.CpuMsPer10k,7:F1} ms /10k  ({datagrams.Answered} acked, {datagrams.Lost} lost; one generator, {DatagramFlood.Window} in flight, {Math.Min(1000, n)} devices; the server allocates {peerGate.AllocatedPerDatagram:F0} B per datagram)");
        if (coturn.Rate is { } stun)
        {
            Console.WriteLine($"                           coturn    {stun.PerSecond,8:F0} Binding/s   CPU {stun.CpuMsPer10k,7:F1} ms /10k  ({stun.Answered} answered, {stun.Lost} lost; same generator)   PeerGate/coturn {Ratio(datagrams.PerSecond, stun.PerSecond)} rate, {Ratio(datagrams.CpuMsPer10k, stun.CpuMsPer10k)} CPU (target: rate at least 1)");
        }
        else
        {
            Console.WriteLine($"                           coturn skipped: {coturn.Skipped}");
        }
    }

    /// <summary>The same lines as ratios against their targets, for the results table.</summary>
    public static IEnumerable<ResultLine> Lines(RendezvousResult peerGate, MosquittoResult mosquitto, CoturnResult coturn)
    {
        var memory = peerGate.Total;
        yield return mosquitto.Memory is { } broker && peerGate.Slope is { } slope && mosquitto.Slope is { } brokerSlope
            ? new ResultLine($"UDP idle memory /device, slope N={slope.From}..{slope.To}", $"{Kib(slope.ResidentPerDevice)} RSS", $"Mosquitto {Kib(brokerSlope.ResidentPerDevice)} RSS", slope.ResidentPerDevice, brokerSlope.ResidentPerDevice, 1, Better.Lower,
                Limit: $"whole fleet {Kib(memory.ResidentPerDevice)} RSS /device (Mosquitto {Kib(broker.ResidentPerDevice)}), heap {Kib(memory.HeapPerDevice ?? 0)}, UDP registration alone {Kib(peerGate.UdpOnly.ResidentPerDevice)} RSS")
            : ResultLine.NotRun("UDP idle memory /device", "Mosquitto", 1, Better.Lower, mosquitto.Skipped ?? "not measured");
        yield return mosquitto.Deliveries is { } deliveries
            ? new ResultLine("wake to fetch p99", $"{peerGate.Wakes.P99Ms:F2} ms (p50 {peerGate.Wakes.P50Ms:F2})", $"Mosquitto {deliveries.P99Ms:F2} ms (p50 {deliveries.P50Ms:F2})", peerGate.Wakes.P99Ms, deliveries.P99Ms, 2, Better.Lower,
                Limit: $"the wake datagram arrives at p99 {peerGate.WakeDatagrams.P99Ms:F2} ms; the rest is the device's fetch")
            : ResultLine.NotRun("wake to fetch p99", "Mosquitto", 2, Better.Lower, mosquitto.Skipped ?? "not measured");
        var datagrams = peerGate.Datagrams;
        yield return coturn.Rate is { } stun
            ? new ResultLine("registration datagrams /s", $"{datagrams.PerSecond:F0}/s", $"coturn {stun.PerSecond:F0} Binding/s", datagrams.PerSecond, stun.PerSecond, 1, Better.Higher,
                Limit: $"CPU {datagrams.CpuMsPer10k:F1} ms /10k against coturn's {stun.CpuMsPer10k:F1}; {peerGate.AllocatedPerDatagram:F0} B allocated per datagram")
            : ResultLine.NotRun("registration datagrams /s", "coturn", 1, Better.Higher, coturn.Skipped ?? "not measured");
    }

    internal static string Kib(double bytes) => $"{bytes / 1024:F2} KiB";

    /// <summary>A slope as printed: RSS (and heap) per device added between its two readings.</summary>
    internal static string Slope(MemorySlope? slope) =>
        slope is null ? "n/a (fewer than two readings)" : $"{Kib(slope.ResidentPerDevice),7} RSS" + (slope.HeapPerDevice is { } heap ? $" {Kib(heap),7} heap" : string.Empty) + $" /device between {slope.From} and {slope.To}";

    internal static string Mib(long bytes) => $"{bytes / (1024.0 * 1024):F1} MiB";

    internal static string Ratio(double ours, double theirs) => theirs > 0 ? $"{ours / theirs:F2}x" : "n/a";
}
