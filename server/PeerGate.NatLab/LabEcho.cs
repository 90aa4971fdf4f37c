using System.Net;

namespace PeerGate.NatLab;

/// <summary><c>peergate-natlab echo</c> running in one lab node: answers with the address it saw.</summary>
public sealed class LabEcho
{
    public const int UdpPort = 7000;
    public const int TcpPort = 7001;

    private LabEcho(LabNode node, LabProcess process)
    {
        Node = node;
        Process = process;
    }

    public LabNode Node { get; }

    public LabProcess Process { get; }

    public IPEndPoint Udp => new(Node.Address, UdpPort);

    public IPEndPoint Tcp => new(Node.Address, TcpPort);

    public static async Task<LabEcho> StartAsync(NatLab lab, LabNode node)
    {
        var process = lab.StartDotnet(node, LabBinaries.NatLab, ["echo", "--udp", UdpPort.ToString(), "--tcp", TcpPort.ToString()]);
        if (await process.WaitForLineAsync("ready", TimeSpan.FromSeconds(20)) is null)
        {
            throw new NatLabException($"the echo in {node} did not start:\n{process.Output}");
        }

        return new LabEcho(node, process);
    }

    /// <summary>Sends a datagram from the echo's UDP socket to <paramref name="target"/> (e.g. a mapping, from outside).</summary>
    public async Task SendAsync(IPEndPoint target, string text)
    {
        await Process.SendAsync($"send {target} {text}");
        if (await Process.WaitForLineAsync("sent", TimeSpan.FromSeconds(5)) is null)
        {
            throw new NatLabException($"the echo in {Node} did not send:\n{Process.Output}");
        }
    }
}

/// <summary><c>peergate-natlab client</c> in one lab node: one UDP socket, probes on command.</summary>
public sealed class LabClient
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    private LabClient(LabNode node, LabProcess process, int port)
    {
        Node = node;
        Process = process;
        LocalPort = port;
    }

    public LabNode Node { get; }

    public LabProcess Process { get; }

    /// <summary>The UDP port its socket is bound to inside its namespace.</summary>
    public int LocalPort { get; }

    public static async Task<LabClient> StartAsync(NatLab lab, LabNode node, int port = 0)
    {
        var process = lab.StartDotnet(node, LabBinaries.NatLab, ["client", "--port", port.ToString()]);
        var ready = await process.WaitForLineAsync("ready", TimeSpan.FromSeconds(20))
            ?? throw new NatLabException($"the client in {node} did not start:\n{process.Output}");
        return new LabClient(node, process, int.Parse(ready.Split(' ')[1]));
    }

    /// <summary>The address the echo at <paramref name="echo"/> saw our datagram come from, or null when no answer came.</summary>
    public async Task<IPEndPoint?> UdpAsync(IPEndPoint echo) => Seen(await AskAsync($"udp {echo}", $"udp {echo} "));

    /// <summary>The address the echo saw our TCP connection come from, or null when it failed.</summary>
    public async Task<IPEndPoint?> TcpAsync(IPEndPoint echo) => Seen(await AskAsync($"tcp {echo}", $"tcp {echo} "));

    /// <summary>Sends <paramref name="count"/> datagrams and returns how many were answered.</summary>
    public async Task<int> BurstAsync(IPEndPoint echo, int count)
    {
        var answer = await AskAsync($"burst {echo} {count}", $"burst {echo} ");
        return int.Parse(answer.Split(' ')[3]);
    }

    /// <summary>The text of a datagram that arrived unasked within <paramref name="wait"/>, or null.</summary>
    public async Task<string?> WaitForDatagramAsync(TimeSpan wait)
    {
        var answer = await AskAsync($"wait {(int)wait.TotalMilliseconds}", "got ");
        return answer == "got nothing" ? null : answer[4..];
    }

    /// <summary>The last answer line's description, for assertion messages.</summary>
    public override string ToString() => $"client in {Node}:\n{Process.Output}";

    private async Task<string> AskAsync(string command, string answerPrefix)
    {
        await Process.SendAsync(command);
        return await Process.WaitForLineAsync(answerPrefix, AnswerTimeout)
            ?? throw new NatLabException($"no answer to '{command}' from the client in {Node}:\n{Process.Output}");
    }

    private static IPEndPoint? Seen(string answer)
    {
        var parts = answer.Split(' ');
        return parts.Length >= 4 && parts[2] == "seen" && IPEndPoint.TryParse(parts[3], out var seen) ? seen : null;
    }
}
