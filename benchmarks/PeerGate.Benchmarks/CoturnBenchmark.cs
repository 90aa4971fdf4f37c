using System.Net;
using System.Net.Sockets;
using PeerGate.Server.Testing;

namespace PeerGate.Benchmarks;

/// <summary>coturn's STUN Binding responses per second and its CPU time; Skipped says why when it could not run.</summary>
public sealed record CoturnResult(string? Skipped, DatagramRate? Rate);

/// <summary>
/// coturn (<c>turnserver</c>, Debian package <c>coturn</c>) on 127.0.0.1, STUN only, no TCP, TLS, DTLS
/// or CLI, no config file, its other settings its defaults (one relay thread per CPU), driven by the
/// same load generator as PeerGate's UDP port with RFC 5389 Binding requests (no auth is needed for Binding).
/// </summary>
public static class CoturnBenchmark
{
    private const uint MagicCookie = 0x2112A442;

    public static async Task<CoturnResult> RunAsync(BenchSettings settings)
    {
        var (path, skipped) = await ExternalServer.FindOrInstallAsync("turnserver", "coturn", mayInstall: !settings.Smoke);
        if (path is null)
        {
            return new CoturnResult(skipped, null);
        }

        var folder = Path.Combine(settings.DataRoot, "peergate-bench-stun-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var port = LoopbackPorts.Free();
        try
        {
            using var turn = ExternalServer.Start(path, folder,
                "-n", "--listening-ip", "127.0.0.1", "--listening-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--stun-only", "--no-tcp", "--no-tls", "--no-dtls", "--no-cli",
                "--pidfile", Path.Combine(folder, "turnserver.pid"), "--log-file", Path.Combine(folder, "turn.log"), "--simple-log", "--no-stdout-log");
            var server = new IPEndPoint(IPAddress.Loopback, port);
            if (!await UntilAnsweringAsync(server, turn))
            {
                return new CoturnResult("turnserver did not answer a Binding request within 10 s", null);
            }

            var count = settings.Smoke ? 4_000 : 1_000_000;
            var warmCount = settings.Smoke ? 500 : 20_000;
            DatagramFlood.Run(server, Binding, IsBindingResponse, warmCount, TimeSpan.FromSeconds(10), () => TimeSpan.Zero);
            return new CoturnResult(null, DatagramFlood.Run(server, Binding, IsBindingResponse, count, TimeSpan.FromSeconds(settings.Seconds), () => ProcessStats.CpuTime(turn.Pid)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A Binding request (RFC 5389 §6): type 0x0001, no attributes, the magic cookie, a transaction ID from <paramref name="i"/>.</summary>
    public static byte[] Binding(int i)
    {
        var request = new byte[20];
        request[1] = 0x01;
        WriteUInt32(request, 4, MagicCookie);
        WriteUInt32(request, 8, 0x50470000);
        WriteUInt32(request, 16, (uint)i);
        return request;
    }

    /// <summary>A Binding success response (0x0101) carrying the magic cookie.</summary>
    public static bool IsBindingResponse(byte[] answer, int length) =>
        length >= 20 && answer[0] == 0x01 && answer[1] == 0x01 && answer[4] == 0x21 && answer[5] == 0x12 && answer[6] == 0xA4 && answer[7] == 0x42;

    private static async Task<bool> UntilAnsweringAsync(IPEndPoint server, ExternalServer turn)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var answer = new byte[2048];
        for (var attempt = 0; attempt < 50 && !turn.HasExited; attempt++)
        {
            await socket.SendToAsync(Binding(attempt), server);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            try
            {
                var length = await socket.ReceiveAsync(answer, SocketFlags.None, timeout.Token);
                if (IsBindingResponse(answer, length))
                {
                    return true;
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (SocketException)
            {
                // Port unreachable while it starts.
                await Task.Delay(200);
            }
        }

        return false;
    }

    private static void WriteUInt32(byte[] buffer, int offset, uint value)
    {
        buffer[offset] = (byte)(value >> 24);
        buffer[offset + 1] = (byte)(value >> 16);
        buffer[offset + 2] = (byte)(value >> 8);
        buffer[offset + 3] = (byte)value;
    }
}
