namespace PeerGate.NatLab;

/// <summary>
/// Packet captures on lab nodes (<c>tcpdump -i IFACE -w</c>, one pcap per node) for the length of a
/// test, written to a scratch folder. A passing test drops them with that folder; a failing one keeps
/// them (<see cref="KeepAsync"/>) under <see cref="KeptRoot"/> and names the folder in its message, so
/// a flake comes with the packets that explain it.
/// </summary>
public sealed class LabCapture : IDisposable
{
    private readonly List<(LabNode Node, string Pcap, LabProcess Process)> _captures;

    private bool _stopped;

    private LabCapture(List<(LabNode, string, LabProcess)> captures) => _captures = captures;

    /// <summary>Where kept captures go: <c>PEERGATE_LAB_CAPTURES</c>, else <c>peergate-natlab-captures</c> in the temp folder.</summary>
    public static string KeptRoot =>
        Environment.GetEnvironmentVariable("PEERGATE_LAB_CAPTURES") is { Length: > 0 } root
            ? root
            : Path.Combine(Path.GetTempPath(), "peergate-natlab-captures");

    /// <summary>Starts one capture per node on <paramref name="device"/> with the tcpdump <paramref name="filter"/>, each listening before this returns.</summary>
    public static async Task<LabCapture> StartAsync(NatLab lab, string folder, IEnumerable<LabNode> nodes, string device, params string[] filter)
    {
        var captures = new List<(LabNode, string, LabProcess)>();
        var capture = new LabCapture(captures);
        try
        {
            foreach (var node in nodes)
            {
                var pcap = Path.Combine(folder, $"{node.Role}-{device}.pcap");
                var process = lab.Start(node, "tcpdump", ["-i", device, "-U", "-n", "-s", "128", "-w", pcap, .. filter]);
                captures.Add((node, pcap, process));
                if (await process.WaitForLineAsync(line => line.Contains("listening on", StringComparison.Ordinal), TimeSpan.FromSeconds(15)) is null)
                {
                    throw new NatLabException($"tcpdump did not start in {node}: {process.Output}");
                }
            }

            return capture;
        }
        catch
        {
            capture.Dispose();
            throw;
        }
    }

    /// <summary>Ends the captures and copies the pcaps to a new folder under <see cref="KeptRoot"/> named after <paramref name="name"/>; returns it.</summary>
    public async Task<string> KeepAsync(string name, string? notes = null)
    {
        Dispose();
        var kept = Path.Combine(KeptRoot, $"{name}-{DateTime.UtcNow:yyyyMMdd-HHmmss-fff}");
        Directory.CreateDirectory(kept);
        foreach (var (_, pcap, _) in _captures)
        {
            if (File.Exists(pcap))
            {
                File.Copy(pcap, Path.Combine(kept, Path.GetFileName(pcap)));
            }
        }

        if (notes is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(kept, "output.txt"), notes);
        }

        return kept;
    }

    /// <summary>Stops every tcpdump (each flushes its pcap as it ends).</summary>
    public void Dispose()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        foreach (var (_, _, process) in _captures)
        {
            if (!process.HasExited)
            {
                // SIGINT lets tcpdump write its last packets; the kill in Dispose is the bound.
                Command.RunAsync("kill", ["-INT", process.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).GetAwaiter().GetResult();
                process.WaitForExitAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
            }

            process.Dispose();
        }
    }
}
