using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PeerGate.Server.Testing;

namespace PeerGate.Benchmarks;

/// <summary>Mosquitto's memory per subscribed client (at each checkpoint of the growth too), its idle CPU, and publish-to-delivery latency; Skipped says why when it could not run.</summary>
public sealed record MosquittoResult(string? Skipped, int Clients, MemoryDelta? Memory, LatencySample? Deliveries, IReadOnlyList<(int Clients, double ResidentPerClient)>? Growth = null, double? IdleCpuPercent = null, MemorySlope? Slope = null)
{
    public static MosquittoResult NotRun(string why) => new(why, 0, null, null);
}

/// <summary>
/// Mosquitto (Debian package <c>mosquitto</c>) on 127.0.0.1 with a minimal config in a temp folder:
/// N clients connected and each subscribed to its own topic, then publishes, each to one client,
/// measured from the publisher's send until the subscriber has read the whole PUBLISH.
///
/// The clients speak MQTT 3.1.1 by hand (CONNECT, SUBSCRIBE, PUBLISH at QoS 0, keep-alive off): a
/// few bytes each way. A full client library (MQTTnet) runs a receive loop and a keep-alive timer
/// per client; ten thousand of them would spend the two shared cores during the measurement, and
/// nothing here needs more than these three packets.
/// </summary>
public static class MosquittoBenchmark
{
    public static async Task<MosquittoResult> RunAsync(BenchSettings settings)
    {
        var (path, skipped) = await ExternalServer.FindOrInstallAsync("mosquitto", "mosquitto", mayInstall: !settings.Smoke);
        if (path is null)
        {
            return MosquittoResult.NotRun(skipped!);
        }

        if (FileDescriptors.Shortfall(settings.IdleDevices) is { } shortfall)
        {
            return MosquittoResult.NotRun(shortfall);
        }

        var folder = Path.Combine(settings.DataRoot, "peergate-bench-mqtt-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var port = LoopbackPorts.Free();
        var config = Path.Combine(folder, "mosquitto.conf");
        await File.WriteAllLinesAsync(config, [$"listener {port} 127.0.0.1", "allow_anonymous true", "persistence false", "log_dest none"]);
        var clients = new Socket[settings.IdleDevices];
        Socket? publisher = null;
        try
        {
            using var broker = ExternalServer.Start(path, folder, "-c", config);
            var endpoint = new IPEndPoint(IPAddress.Loopback, port);
            publisher = await UntilConnectedAsync(endpoint, "publisher", broker);
            if (publisher is null)
            {
                return MosquittoResult.NotRun("mosquitto did not accept connections within 10 s");
            }

            // Warm-up, not counted: a few clients through the same path, and a few deliveries.
            var warm = new Socket[16];
            for (var i = 0; i < warm.Length; i++)
            {
                warm[i] = await SubscribedAsync(endpoint, "w" + i);
                await DeliverAsync(publisher, warm[i], "w" + i);
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
            var before = ProcessStats.ResidentBytes(broker.Pid);
            var growth = new List<(int, double)>();
            var readings = new List<(int, long, long?)>();
            var connected = 0;
            foreach (var checkpoint in DeviceFleet.Checkpoints(clients.Length))
            {
                var next = connected - 1;
                await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
                {
                    for (var i = Interlocked.Increment(ref next); i < checkpoint; i = Interlocked.Increment(ref next))
                    {
                        clients[i] = await SubscribedAsync(endpoint, "c" + i);
                    }
                })));
                connected = checkpoint;
                await Task.Delay(TimeSpan.FromSeconds(settings.Smoke ? 0.5 : checkpoint == clients.Length ? 5 : 2));
                var resident = ProcessStats.ResidentBytes(broker.Pid);
                growth.Add((checkpoint, (resident - before) / (double)checkpoint));
                readings.Add((checkpoint, resident, null));
            }

            var after = ProcessStats.ResidentBytes(broker.Pid);

            // Idle: every client connected and subscribed, keep-alive off, nothing published.
            var cpuBefore = ProcessStats.CpuTime(broker.Pid);
            var idle = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(settings.Smoke ? 1 : 10));
            var idleCpu = (ProcessStats.CpuTime(broker.Pid) - cpuBefore) / idle.Elapsed * 100;

            var latencies = new List<long>();
            var failures = 0L;
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < settings.Triggers; i++)
            {
                var target = (int)((long)i * 7919 % clients.Length);
                if (await DeliverAsync(publisher, clients[target], "c" + target) is { } ticks)
                {
                    latencies.Add(ticks);
                }
                else
                {
                    failures++;
                }
            }

            var deliveries = LatencySample.From(latencies, failures, clock.Elapsed);
            foreach (var socket in warm)
            {
                socket.Dispose();
            }

            return new MosquittoResult(null, clients.Length, new MemoryDelta((after - before) / (double)clients.Length, null, before, after), deliveries, growth, idleCpu, MemorySlope.Of(readings));
        }
        finally
        {
            publisher?.Dispose();
            foreach (var client in clients)
            {
                client?.Dispose();
            }

            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<Socket?> UntilConnectedAsync(IPEndPoint endpoint, string clientId, ExternalServer broker)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(10) && !broker.HasExited)
        {
            try
            {
                return await ConnectAsync(endpoint, clientId);
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        return null;
    }

    /// <summary>A connected client subscribed at QoS 0 to the topic named as its client ID.</summary>
    private static async Task<Socket> SubscribedAsync(IPEndPoint endpoint, string clientId)
    {
        var socket = await ConnectAsync(endpoint, clientId);
        var topic = Encoding.ASCII.GetBytes(clientId);
        await socket.SendAsync(Packet(0x82, [0, 1, .. Length(topic), .. topic, 0]));
        var suback = await ReadExactlyAsync(socket, 5);
        if (suback[0] != 0x90 || suback[4] != 0)
        {
            throw new InvalidOperationException("mosquitto refused a subscription");
        }

        return socket;
    }

    /// <summary>TCP, then CONNECT (MQTT 3.1.1, clean session, keep-alive off) and its CONNACK.</summary>
    private static async Task<Socket> ConnectAsync(IPEndPoint endpoint, string clientId)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint);
            var id = Encoding.ASCII.GetBytes(clientId);
            await socket.SendAsync(Packet(0x10, [0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x02, 0, 0, .. Length(id), .. id]));
            var connack = await ReadExactlyAsync(socket, 4);
            if (connack[0] != 0x20 || connack[3] != 0)
            {
                throw new InvalidOperationException("mosquitto refused a connection");
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>One PUBLISH to <paramref name="topic"/>; ticks until the subscriber has read all of it, or null after 5 s.</summary>
    private static async Task<long?> DeliverAsync(Socket publisher, Socket subscriber, string topic)
    {
        var name = Encoding.ASCII.GetBytes(topic);
        var publish = Packet(0x30, [.. Length(name), .. name, .. "wake1234"u8]);
        var started = Stopwatch.GetTimestamp();
        await publisher.SendAsync(publish);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            var delivered = await ReadExactlyAsync(subscriber, publish.Length, timeout.Token);
            return delivered[0] == 0x30 ? Stopwatch.GetTimestamp() - started : null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>A packet with its fixed header; every packet here is shorter than 128 bytes, so its length is one byte.</summary>
    private static byte[] Packet(byte type, byte[] body) => [type, checked((byte)body.Length), .. body];

    private static byte[] Length(byte[] field) => [(byte)(field.Length >> 8), (byte)field.Length];

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, CancellationToken cancellationToken = default)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            read += n;
        }

        return buffer;
    }
}
