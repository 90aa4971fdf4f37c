using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace PeerGate.NatLab;

/// <summary>
/// A NAT lab of real Linux network namespaces, built with ip, veth pairs, a bridge and nftables, with
/// addresses only in 198.18.0.0/15 (the benchmarking range, never routed on the Internet):
/// <code>
///              public segment 198.18.0.0/24: bridge br0 in namespace "wan"
///     server 198.18.0.2    requester 198.18.0.3    router k wan0 198.18.0.(10+k)
///                                                        | NAT (nftables) lan0 198.19.k.1
///                                                  host k eth0 198.19.k.2, default via 198.19.k.1
/// </code>
/// Every namespace is named <c>pglab-PID-START-RAND-ROLE</c> (the creating process's pid and start
/// time, then a random part), so parallel runs never collide and a sweep knows a crashed run's
/// leftovers from a live one's. Disposing kills whatever runs inside and deletes every namespace.
/// Needs root with ip and nft: <see cref="SkipReason"/> says why not.
/// </summary>
public sealed partial class NatLab : IAsyncDisposable
{
    public const string Prefix = "pglab";

    /// <summary>How long a UDP mapping of the <see cref="NatKind.ShortTimeout"/> router lives without traffic.</summary>
    public const int ShortMappingSeconds = 3;

    /// <summary>The share of outgoing UDP the <see cref="NatKind.Lossy"/> router drops.</summary>
    public const int LossPercent = 30;

    public static readonly IPAddress ServerAddress = IPAddress.Parse("198.18.0.2");
    public static readonly IPAddress RequesterAddress = IPAddress.Parse("198.18.0.3");

    private static readonly NatKind[] AllKinds = Enum.GetValues<NatKind>();

    private readonly string _ip;
    private readonly string _nft;
    private readonly List<string> _namespaces = [];
    private readonly List<LabProcess> _processes = [];
    private readonly Dictionary<NatKind, NatSegment> _segments = [];

    private NatLab(string ip, string nft, string runId)
    {
        _ip = ip;
        _nft = nft;
        RunId = runId;
    }

    /// <summary>The part of every namespace name that belongs to this lab: <c>pglab-PID-START-RAND</c>.</summary>
    public string RunId { get; }

    /// <summary>The bridge of the public segment.</summary>
    public string WanNamespace => Name("wan");

    public LabNode Server { get; private set; } = null!;

    /// <summary>A host on the public segment with no NAT in front: a requester that can be reached directly.</summary>
    public LabNode Requester { get; private set; } = null!;

    public IReadOnlyCollection<string> Namespaces => _namespaces;

    public NatSegment this[NatKind kind] =>
        _segments.TryGetValue(kind, out var segment) ? segment : throw new ArgumentException($"this lab was built without {kind}", nameof(kind));

    /// <summary>
    /// Why the lab cannot be built here, or null when it can: the exact missing piece (Linux, root, ip,
    /// nft, the right to create a network namespace). Tests report it as their skip reason.
    /// </summary>
    public static async Task<string?> SkipReasonAsync()
    {
        var ip = Command.Find("ip");
        if (SkipReason(OperatingSystem.IsLinux(), Environment.IsPrivilegedProcess, ip is not null, Command.Find("nft") is not null) is { } reason)
        {
            return reason;
        }

        // Root in a container without CAP_SYS_ADMIN or CAP_NET_ADMIN cannot create namespaces.
        var probe = $"{OwnRunPrefix()}-probe{RandomNumberGenerator.GetHexString(4, lowercase: true)}";
        var added = await Command.RunAsync(ip!, ["netns", "add", probe]);
        if (!added.Succeeded)
        {
            return $"skipped: cannot create a network namespace here ({added.Output.Trim()})";
        }

        await Command.RunAsync(ip!, ["netns", "del", probe]);
        return null;
    }

    /// <summary>The skip reason for what this host has, or null when all is there.</summary>
    public static string? SkipReason(bool linux, bool root, bool hasIp, bool hasNft)
    {
        if (!linux)
        {
            return "skipped: the NAT lab needs Linux network namespaces";
        }

        if (!root)
        {
            return "skipped: the NAT lab needs root (ip netns, nftables); run the tests as root";
        }

        if (!hasIp)
        {
            return "skipped: the NAT lab needs the ip command (Debian: apt-get install iproute2; test.sh installs it)";
        }

        return hasNft
            ? null
            : "skipped: the NAT lab needs the nft command (Debian: apt-get install nftables; test.sh installs it)";
    }

    /// <summary>
    /// Builds the lab with one private segment per kind (all kinds when none are named), after sweeping
    /// away the namespaces of crashed runs. On failure everything built so far is removed again.
    /// </summary>
    public static async Task<NatLab> CreateAsync(params NatKind[] kinds)
    {
        var ip = Command.Find("ip") ?? throw new NatLabException("the ip command is missing");
        var nft = Command.Find("nft") ?? throw new NatLabException("the nft command is missing");
        await SweepAsync();

        var lab = new NatLab(ip, nft, $"{OwnRunPrefix()}-{RandomNumberGenerator.GetHexString(4, lowercase: true)}");
        try
        {
            await lab.BuildAsync(kinds.Length == 0 ? AllKinds : kinds.Distinct().ToArray());
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts <paramref name="file"/> inside <paramref name="node"/>'s namespace; the lab kills it on dispose.</summary>
    public LabProcess Start(LabNode node, string file, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var process = LabProcess.Start(_ip, node.Namespace, file, arguments, environment);
        lock (_processes)
        {
            _processes.Add(process);
        }

        return process;
    }

    /// <summary>Starts a .NET program (its built dll) with the dotnet host inside <paramref name="node"/>'s namespace.</summary>
    public LabProcess StartDotnet(LabNode node, string dll, IEnumerable<string> arguments, IDictionary<string, string>? environment = null) =>
        Start(node, DotnetHost(), [dll, .. arguments], environment);

    /// <summary>Runs a short command inside <paramref name="node"/>'s namespace to its end (bounded).</summary>
    public Task<CommandResult> ExecAsync(LabNode node, string file, IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        Command.RunAsync(_ip, ["netns", "exec", node.Namespace, file, .. arguments], timeout: timeout);

    /// <summary>Runs a .NET program inside <paramref name="node"/>'s namespace to its end (bounded).</summary>
    public Task<CommandResult> ExecDotnetAsync(LabNode node, string dll, IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        ExecAsync(node, DotnetHost(), [dll, .. arguments], timeout);

    /// <summary>The conntrack table of a router's namespace, one entry a line (the kernel's own view of its mappings).</summary>
    public async Task<string> ConntrackAsync(NatSegment segment) =>
        (await ExecAsync(segment.Router, "cat", ["/proc/net/nf_conntrack"])).Output;

    /// <summary>The dotnet host that runs the tests (the test platform names it), else dotnet on PATH.</summary>
    public static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : Command.Find("dotnet") ?? "dotnet";

    public async ValueTask DisposeAsync()
    {
        LabProcess[] processes;
        lock (_processes)
        {
            processes = [.. _processes];
            _processes.Clear();
        }

        foreach (var process in processes)
        {
            process.Dispose();
        }

        // A namespace lives on while a process is inside it: end those first (only this lab's).
        foreach (var name in Enumerable.Reverse(_namespaces))
        {
            await RemoveAsync(_ip, name);
        }

        _namespaces.Clear();
    }

    /// <summary>
    /// Removes the namespaces (and what still runs in them) of labs whose creating process is gone,
    /// or is another process under a reused pid: leftovers of crashed runs. Live runs' labs stay.
    /// Returns the names removed.
    /// </summary>
    public static async Task<IReadOnlyList<string>> SweepAsync()
    {
        var ip = Command.Find("ip") ?? throw new NatLabException("the ip command is missing");
        var removed = new List<string>();
        foreach (var name in await ListNamespacesAsync(ip))
        {
            var match = LabName().Match(name);
            if (!match.Success || IsAlive(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[2].Value))
            {
                continue;
            }

            await RemoveAsync(ip, name);
            removed.Add(name);
        }

        return removed;
    }

    /// <summary>Every network namespace name the kernel knows (<c>ip netns list</c>).</summary>
    public static async Task<IReadOnlyList<string>> ListNamespacesAsync(string? ip = null)
    {
        var output = await Command.RunCheckedAsync(ip ?? Command.Find("ip") ?? "ip", ["netns", "list"]);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ')[0])
            .ToList();
    }

    /// <summary>pglab-PID-START: this process, by pid and start time (so a reused pid is told apart).</summary>
    public static string OwnRunPrefix() => $"{Prefix}-{Environment.ProcessId}-{StartTime(Environment.ProcessId)}";

    private string Name(string role) => $"{RunId}-{role}";

    private async Task BuildAsync(NatKind[] kinds)
    {
        var wan = await AddNamespaceAsync("wan");
        await IpAsync(wan, "link", "add", "br0", "type", "bridge");
        await IpAsync(wan, "link", "set", "br0", "up");

        Server = await AddPublicNodeAsync("srv", ServerAddress, "eth0");
        Requester = await AddPublicNodeAsync("req", RequesterAddress, "eth0");

        foreach (var kind in kinds)
        {
            var k = (int)kind + 1;
            var role = Role(kind);
            var router = await AddPublicNodeAsync("r-" + role, IPAddress.Parse($"198.18.0.{10 + k}"), "wan0");
            var host = new LabNode("h-" + role, await AddNamespaceAsync("h-" + role), IPAddress.Parse($"198.19.{k}.2"));

            await IpAsync(router.Namespace, "link", "add", "lan0", "type", "veth", "peer", "name", "eth0", "netns", host.Namespace);
            await IpAsync(router.Namespace, "addr", "add", $"198.19.{k}.1/24", "dev", "lan0");
            await IpAsync(router.Namespace, "link", "set", "lan0", "up");
            await IpAsync(host.Namespace, "addr", "add", $"{host.Address}/24", "dev", "eth0");
            await IpAsync(host.Namespace, "link", "set", "eth0", "up");
            await IpAsync(host.Namespace, "route", "add", "default", "via", $"198.19.{k}.1");

            var sysctls = new List<string> { "net/ipv4/ip_forward=1" };
            if (kind == NatKind.ShortTimeout)
            {
                // Per namespace (the host's values stay); both, since a flow that saw replies for more
                // than 2 s moves to the stream timeout.
                sysctls.Add($"net/netfilter/nf_conntrack_udp_timeout={ShortMappingSeconds}");
                sysctls.Add($"net/netfilter/nf_conntrack_udp_timeout_stream={ShortMappingSeconds}");
            }

            await SysctlAsync(router.Namespace, sysctls);
            await Command.RunCheckedAsync(_ip, ["netns", "exec", router.Namespace, _nft, "-f", "-"], Ruleset(kind));
            _segments[kind] = new NatSegment(kind, router, host);
        }
    }

    /// <summary>
    /// The router's nftables rules. Inbound from the public side passes only for mappings the host
    /// opened (a home router's filtering). What is sent to the router itself only r-eim drops; the others
    /// answer it as a Linux router without an input filter does (an early SYN gets RST). Loss uses
    /// nftables' own random numbers rather than tc netem, which many kernels (this lab's CI among them)
    /// are built without.
    /// </summary>
    private static string Ruleset(NatKind kind)
    {
        var filter = kind switch
        {
            NatKind.UdpBlocked => "meta l4proto udp drop",
            NatKind.Lossy => $"iifname \"lan0\" meta l4proto udp numgen random mod 100 < {LossPercent} drop",
            _ => string.Empty,
        };
        var masquerade = kind switch
        {
            NatKind.Symmetric => "masquerade fully-random",
            // A range that excludes every source port a host picks (32768-60999 on Linux), so each new
            // mapping gets a random public port instead of keeping the host's.
            NatKind.ShortTimeout => "meta l4proto { tcp, udp } masquerade to :20000-32767\n    oifname \"wan0\" masquerade",
            _ => "masquerade",
        };
        var input = kind switch
        {
            NatKind.EndpointIndependent => """
                  chain input {
                    type filter hook input priority filter; policy accept;
                    iifname "wan0" ct state established,related accept
                    iifname "wan0" drop
                  }
                """,
            _ => string.Empty,
        };
        return $$"""
            table ip natlab {
            {{input}}
              chain forward {
                type filter hook forward priority filter; policy accept;
                {{filter}}
                iifname "wan0" ct state established,related accept
                iifname "wan0" drop
              }
              chain postrouting {
                type nat hook postrouting priority srcnat; policy accept;
                oifname "wan0" {{masquerade}}
              }
            }

            """;
    }

    private static string Role(NatKind kind) => kind switch
    {
        NatKind.EndpointIndependent => "eim",
        NatKind.Symmetric => "sym",
        NatKind.ShortTimeout => "tmo",
        NatKind.UdpBlocked => "noudp",
        NatKind.Lossy => "loss",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private async Task<LabNode> AddPublicNodeAsync(string role, IPAddress address, string device)
    {
        var ns = await AddNamespaceAsync(role);
        var port = "p-" + role;
        await IpAsync(WanNamespace, "link", "add", port, "type", "veth", "peer", "name", device, "netns", ns);
        await IpAsync(WanNamespace, "link", "set", port, "master", "br0", "up");
        await IpAsync(ns, "addr", "add", $"{address}/24", "dev", device);
        await IpAsync(ns, "link", "set", device, "up");
        return new LabNode(role, ns, address);
    }

    private async Task<string> AddNamespaceAsync(string role)
    {
        var ns = Name(role);
        await Command.RunCheckedAsync(_ip, ["netns", "add", ns]);
        _namespaces.Add(ns);
        await IpAsync(ns, "link", "set", "lo", "up");
        return ns;
    }

    private Task<string> IpAsync(string ns, params string[] arguments) =>
        Command.RunCheckedAsync(_ip, ["-n", ns, .. arguments]);

    /// <summary>Writes /proc/sys inside the namespace (sh, not sysctl: a minimal Debian has no procps).</summary>
    private Task<string> SysctlAsync(string ns, IEnumerable<string> settings)
    {
        var script = string.Join("; ", settings.Select(s => s.Split('=')).Select(kv => $"echo {kv[1]} > /proc/sys/{kv[0]}"));
        return Command.RunCheckedAsync(_ip, ["netns", "exec", ns, "sh", "-ec", script]);
    }

    private static async Task RemoveAsync(string ip, string ns)
    {
        var pids = await Command.RunAsync(ip, ["netns", "pids", ns]);
        foreach (var line in pids.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(line, out var pid) && pid != Environment.ProcessId)
            {
                try
                {
                    using var process = System.Diagnostics.Process.GetProcessById(pid);
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5_000);
                }
                catch (ArgumentException)
                {
                }
                catch (InvalidOperationException)
                {
                }
            }
        }

        await Command.RunAsync(ip, ["netns", "del", ns]);
    }

    private static bool IsAlive(int pid, string startTime)
    {
        try
        {
            return StartTime(pid) == startTime;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The process's start time in clock ticks since boot (/proc/PID/stat field 22).</summary>
    private static string StartTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields[19];
    }

    [GeneratedRegex(@"^pglab-(\d+)-(\d+)-")]
    private static partial Regex LabName();
}
