using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PeerGate.NatLab;

/// <summary>
/// peergate-natlab: the two small programs the lab runs inside its namespaces.
/// <list type="bullet">
/// <item><c>echo --udp PORT --tcp PORT</c> answers every datagram and every TCP connection with
/// "seen IP:PORT", the address it saw the sender at; stdin "send IP:PORT TEXT" sends a datagram from
/// its UDP socket (through a mapping, from the outside).</item>
/// <item><c>client [--port N]</c> holds one UDP socket and obeys stdin, one line each: "udp IP:PORT",
/// "tcp IP:PORT", "burst IP:PORT N", "raw IP:PORT HEX" (any bytes as one datagram), "wait MS"; it
/// answers each with one line.</item>
/// <item><c>get URL</c> prints the body of one plain-HTTP GET (the server's /metrics on its loopback).</item>
/// </list>
/// Both print "ready ..." once listening. Every wait is bounded.
/// </summary>
public static class Program
{
    // The lab's round trip is well under a millisecond: a second is lost, not late.
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(1);

    public static async Task<int> Main(string[] args)
    {
        try
        {
            return args.FirstOrDefault() switch
            {
                "echo" => await EchoAsync(Option(args, "--udp", 7000), Option(args, "--tcp", 7001)),
                "client" => await ClientAsync(Option(args, "--port", 0)),
                "get" when args.Length == 2 => await GetAsync(args[1]),
                _ => Usage(),
            };
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"peergate-natlab: {e.SocketErrorCode}: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"peergate-natlab: {e.Message}");
            return 1;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: peergate-natlab echo [--udp PORT] [--tcp PORT] | client [--port N] | get URL");
        return 2;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }

    private static async Task<int> EchoAsync(int udpPort, int tcpPort)
    {
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Any, udpPort));
        var tcp = new TcpListener(IPAddress.Any, tcpPort);
        tcp.Start();
        Say($"ready udp {udpPort} tcp {tcpPort}");

        _ = Task.Run(async () =>
        {
            while (true)
            {
                var received = await udp.ReceiveAsync();
                var text = Encoding.UTF8.GetString(received.Buffer);
                await udp.SendAsync(Encoding.UTF8.GetBytes($"seen {received.RemoteEndPoint} {text}"), received.RemoteEndPoint);
            }
        });
        _ = Task.Run(async () =>
        {
            while (true)
            {
                var client = await tcp.AcceptTcpClientAsync();
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        var seen = Encoding.UTF8.GetBytes($"seen {client.Client.RemoteEndPoint}\n");
                        await client.GetStream().WriteAsync(seen);
                    }
                });
            }
        });

        // stdin closed (the lab ended) ends the echo too.
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ', 3);
            if (parts is ["send", var to, var text] && IPEndPoint.TryParse(to, out var target))
            {
                await udp.SendAsync(Encoding.UTF8.GetBytes(text), target);
                Say($"sent {target}");
            }
        }

        tcp.Stop();
        return 0;
    }

    /// <summary>One plain-HTTP GET inside a namespace (the server's /metrics on loopback): the body on stdout.</summary>
    private static async Task<int> GetAsync(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(url);
        Console.Out.Write(await response.Content.ReadAsStringAsync());
        return response.IsSuccessStatusCode ? 0 : 1;
    }

    private static async Task<int> ClientAsync(int port)
    {
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Any, port));
        Say($"ready {((IPEndPoint)udp.Client.LocalEndPoint!).Port}");

        while (await Console.In.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ');
            switch (parts)
            {
                case ["udp", var to] when IPEndPoint.TryParse(to, out var target):
                    Say($"udp {target} {await ProbeUdpAsync(udp, target)}");
                    break;
                case ["tcp", var to] when IPEndPoint.TryParse(to, out var target):
                    Say($"tcp {target} {await ProbeTcpAsync(target)}");
                    break;
                case ["burst", var to, var n] when IPEndPoint.TryParse(to, out var target) && int.TryParse(n, out var count):
                    Say($"burst {target} received {await BurstAsync(udp, target, count)} of {count}");
                    break;
                case ["raw", var to, var hex] when IPEndPoint.TryParse(to, out var target):
                    // Any bytes from this namespace's socket: forged, replayed, cut or padded datagrams.
                    var bytes = Convert.FromHexString(hex);
                    await udp.SendAsync(bytes, target);
                    Say($"raw {target} sent {bytes.Length}");
                    break;
                case ["wait", var ms] when int.TryParse(ms, out var millis):
                    Say(await WaitAsync(udp, TimeSpan.FromMilliseconds(millis)));
                    break;
                default:
                    Say($"unknown {line}");
                    break;
            }
        }

        return 0;
    }

    /// <summary>One datagram out; the echo's answer names the address it saw ("seen IP:PORT"), or "timeout".</summary>
    private static async Task<string> ProbeUdpAsync(UdpClient udp, IPEndPoint target)
    {
        var token = Guid.NewGuid().ToString("N");
        await udp.SendAsync(Encoding.UTF8.GetBytes(token), target);
        using var limit = new CancellationTokenSource(ReplyTimeout);
        try
        {
            while (true)
            {
                var received = await udp.ReceiveAsync(limit.Token);
                var text = Encoding.UTF8.GetString(received.Buffer);
                if (received.RemoteEndPoint.Equals(target) && text.EndsWith(token, StringComparison.Ordinal))
                {
                    // "seen IP:PORT TOKEN"
                    return "seen " + text.Split(' ')[1];
                }
            }
        }
        catch (OperationCanceledException)
        {
            return "timeout";
        }
    }

    private static async Task<string> ProbeTcpAsync(IPEndPoint target)
    {
        using var limit = new CancellationTokenSource(ReplyTimeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(target, limit.Token);
            using var reader = new StreamReader(client.GetStream());
            var line = await reader.ReadLineAsync(limit.Token);
            return line ?? "closed";
        }
        catch (OperationCanceledException)
        {
            return "timeout";
        }
        catch (SocketException e)
        {
            return "failed " + e.SocketErrorCode;
        }
    }

    /// <summary>
    /// <paramref name="count"/> numbered datagrams, ten at a time; counts distinct answers until 1 s after
    /// the last was sent.
    /// </summary>
    private static async Task<int> BurstAsync(UdpClient udp, IPEndPoint target, int count)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var answered = new HashSet<string>();
        using var stop = new CancellationTokenSource();
        var receiving = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var received = await udp.ReceiveAsync(stop.Token);
                    var text = Encoding.UTF8.GetString(received.Buffer);
                    var last = text.Split(' ')[^1];
                    if (last.StartsWith(run, StringComparison.Ordinal))
                    {
                        answered.Add(last);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        for (var i = 0; i < count; i++)
        {
            await udp.SendAsync(Encoding.UTF8.GetBytes($"{run}.{i}"), target);
            if (i % 10 == 9)
            {
                // Paced, so no socket buffer overflows: every loss is the router's.
                await Task.Delay(1);
            }
        }

        stop.CancelAfter(TimeSpan.FromSeconds(1));
        await receiving;
        return answered.Count;
    }

    /// <summary>Any datagram that arrives within the wait: "got IP:PORT TEXT", else "got nothing".</summary>
    private static async Task<string> WaitAsync(UdpClient udp, TimeSpan wait)
    {
        using var limit = new CancellationTokenSource(wait);
        try
        {
            var received = await udp.ReceiveAsync(limit.Token);
            return $"got {received.RemoteEndPoint} {Encoding.UTF8.GetString(received.Buffer)}";
        }
        catch (OperationCanceledException)
        {
            return "got nothing";
        }
    }

    private static void Say(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}
