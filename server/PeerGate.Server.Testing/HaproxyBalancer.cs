using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace PeerGate.Server.Testing;

/// <summary>
/// HAProxy (Debian package <c>haproxy</c>, or <c>PEERGATE_HAPROXY</c> naming the program) in front of
/// server instances on 127.0.0.1, as a deployment runs it: HTTP mode, round robin per request, each
/// instance health-checked on <c>/health/ready</c> so one that dies is taken out within about a second,
/// and client and server timeouts long enough for a long-poll. Runs in the foreground of its own
/// process, stopped on dispose.
/// </summary>
public sealed class HaproxyBalancer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly string _folder;

    private HaproxyBalancer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Why HAProxy cannot run here, or null when it can.</summary>
    public static string? Missing => FindProgram() is null ? "HAProxy is not installed (Debian package haproxy, or PEERGATE_HAPROXY naming the program)" : null;

    /// <param name="backendPorts">The instances' HTTP ports on 127.0.0.1.</param>
    /// <param name="healthPath">What each instance is checked on; it must answer 2xx when the instance takes requests.</param>
    public static async Task<HaproxyBalancer> StartAsync(IReadOnlyList<int> backendPorts, string healthPath = "/health/ready", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backendPorts);
        var program = FindProgram() ?? throw new InvalidOperationException(Missing);
        var folder = Directory.CreateTempSubdirectory("peergate-haproxy-").FullName;
        var port = LoopbackPorts.Free();
        var config = Path.Combine(folder, "haproxy.cfg");
        await File.WriteAllTextAsync(config, Configuration(port, backendPorts, healthPath), cancellationToken);

        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-db", "-f", config])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("haproxy did not start");
        var log = new StringBuilder();
        process.OutputDataReceived += (_, line) => { lock (log) { log.AppendLine(line.Data); } };
        process.ErrorDataReceived += (_, line) => { lock (log) { log.AppendLine(line.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var balancer = new HaproxyBalancer(process, folder, port);

        // Listening is the sign it read its configuration; a bad one ends the process instead.
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                string said;
                lock (log)
                {
                    said = $"haproxy exited {process.ExitCode}: {log.ToString().Trim()}";
                }

                await balancer.DisposeAsync();
                throw new InvalidOperationException(said);
            }

            if (await AcceptsAsync(port, cancellationToken))
            {
                return balancer;
            }

            await Task.Delay(50, cancellationToken);
        }

        await balancer.DisposeAsync();
        throw new TimeoutException($"haproxy did not listen on {port} within {StartTimeout.TotalSeconds} s");
    }

    internal static string Configuration(int port, IReadOnlyList<int> backendPorts, string healthPath)
    {
        var text = new StringBuilder();
        text.AppendLine("global");
        // Two descriptors per proxied connection, within the 20,000 a test process may hold here.
        text.AppendLine("  maxconn 9000");
        text.AppendLine("defaults");
        text.AppendLine("  mode http");
        text.AppendLine("  option http-server-close");
        text.AppendLine("  timeout connect 2s");
        text.AppendLine("  timeout client 120s");
        text.AppendLine("  timeout server 120s");
        text.AppendLine("  timeout http-request 10s");
        text.AppendLine("  retries 2");
        text.AppendLine("  option redispatch");
        text.AppendLine("frontend peergate");
        text.AppendLine(CultureInfo.InvariantCulture, $"  bind 127.0.0.1:{port}");
        text.AppendLine("  default_backend instances");
        text.AppendLine("backend instances");
        text.AppendLine("  balance roundrobin");
        text.AppendLine(CultureInfo.InvariantCulture, $"  option httpchk GET {healthPath}");
        for (var i = 0; i < backendPorts.Count; i++)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  server instance{i + 1} 127.0.0.1:{backendPorts[i]} check inter 300ms fall 2 rise 2");
        }

        return text.ToString();
    }

    private static async Task<bool> AcceptsAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }

        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static string? FindProgram()
    {
        if (Environment.GetEnvironmentVariable("PEERGATE_HAPROXY") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        return new[] { "/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy" }.FirstOrDefault(File.Exists);
    }
}
