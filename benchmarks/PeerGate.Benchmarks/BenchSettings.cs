namespace PeerGate.Benchmarks;

/// <summary>Command-line settings; --smoke shrinks everything to a seconds-long run for CI.</summary>
/// <param name="UdpDevices">Idle UDP devices held by PeerGate, and subscribed clients held by Mosquitto.</param>
/// <param name="Wakes">Wakes measured, and publishes to Mosquitto.</param>
/// <param name="RendezvousOnly">Only the rendezvous lines (PeerGate's UDP side beside Mosquitto and coturn).</param>
/// <param name="OutDir">Where results.md goes; a full run defaults to benchmarks/results/&lt;date&gt;, a smoke run writes none.</param>
/// <param name="ServerGc">The rendezvous server process with the server GC (true) or the workstation GC (false); null: as peergate-server ships.</param>
public sealed record BenchSettings(double Seconds, int Concurrency, int Devices, string DataRoot, bool Smoke, int UdpDevices, int Wakes, bool RendezvousOnly, bool? ServerGc, string? OutDir)
{
    public static BenchSettings? Parse(string[] args)
    {
        var smoke = args.Contains("--smoke");
        double seconds = smoke ? 1 : 10;
        int concurrency = smoke ? 4 : 16;
        int devices = smoke ? 8 : 64;
        int udpDevices = smoke ? 100 : 10_000;
        int wakes = smoke ? 20 : 1_000;
        var rendezvousOnly = false;
        bool? serverGc = null;
        var dataRoot = Path.GetTempPath();
        string? outDir = smoke ? null : Path.Combine("benchmarks", "results", DateTime.UtcNow.ToString("yyyy-MM-dd"));
        for (var i = 0; i < args.Length; i++)
        {
            var hasValue = i + 1 < args.Length;
            switch (args[i])
            {
                case "--smoke":
                    break;
                case "--rendezvous":
                    rendezvousOnly = true;
                    break;
                case "--workstation-gc":
                    serverGc = false;
                    break;
                case "--server-gc":
                    serverGc = true;
                    break;
                case "--seconds" when hasValue && double.TryParse(args[i + 1], out seconds) && seconds > 0:
                case "--concurrency" when hasValue && int.TryParse(args[i + 1], out concurrency) && concurrency > 0:
                case "--devices" when hasValue && int.TryParse(args[i + 1], out devices) && devices > 0:
                case "--udp-devices" when hasValue && int.TryParse(args[i + 1], out udpDevices) && udpDevices > 0:
                case "--wakes" when hasValue && int.TryParse(args[i + 1], out wakes) && wakes > 0:
                    i++;
                    break;
                case "--data-dir" when hasValue && Directory.Exists(args[i + 1]):
                    dataRoot = args[++i];
                    break;
                case "--out" when hasValue:
                    outDir = args[++i];
                    break;
                default:
                    return null;
            }
        }

        return new BenchSettings(seconds, concurrency, devices, dataRoot, smoke, udpDevices, wakes, rendezvousOnly, serverGc, outDir);
    }
}
