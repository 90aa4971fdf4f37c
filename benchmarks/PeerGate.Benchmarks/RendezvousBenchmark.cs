using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Testing;

namespace PeerGate.Benchmarks;

/// <summary>Memory of idle UDP devices, wake-to-fetch latency and registration datagrams per second, of one PeerGate process.</summary>
public sealed record RendezvousResult(
    int Devices,
    string Gc,
    TimeSpan Setup,
    MemoryDelta Total,
    MemoryDelta UdpOnly,
    IReadOnlyList<(int Devices, double ResidentPerDevice)> Growth,
    MemorySlope? Slope,
    LatencySample Wakes,
    LatencySample WakeDatagrams,
    DatagramRate Datagrams,
    double AllocatedPerDatagram);

/// <summary>Bytes per device (or client) between two measurements: resident memory, and the managed heap where there is one.</summary>
public sealed record MemoryDelta(double ResidentPerDevice, double? HeapPerDevice, long ResidentBefore, long ResidentAfter);

/// <summary>
/// The UDP rendezvous (docs/rendezvous.md) against a PeerGate server in its own process: N devices
/// enrolled through the admin API and authenticated by challenge and proof, each then registered over
/// UDP from its own socket and left idle (no long-poll); the server's memory per idle device; wakes,
/// from a connection query queuing a status query until the device has its wake datagram and has
/// fetched the trigger; and registration datagrams per second from one load generator.
/// </summary>
public static class RendezvousBenchmark
{
    /// <summary>Devices set up before the "before" measurement, so JIT, pools and caches are not counted per device.</summary>
    private const int WarmDevices = 32;

    /// <summary>Devices woken in turn: each fetches within the server's 10 s trigger-connected grace of its last fetch.</summary>
    private const int WakeTargets = 50;

    private static readonly HostPeerCrypto Crypto = new();

    public static async Task<RendezvousResult> RunAsync(BenchSettings settings)
    {
        var dataDirectory = Path.Combine(settings.DataRoot, "peergate-bench-udp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        var adminToken = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var devices = new List<SimulatedDevice>();
        var warm = new List<SimulatedDevice>();
        try
        {
            await using var server = await ServedServer.StartAsync(dataDirectory, adminToken, settings.ServerGc, ServedServer.BenchmarkLimits);
            using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
            using var admin = new AdminClient(new Uri(server.BaseUrl), adminToken);
            var udp = new IPEndPoint(IPAddress.Loopback, server.UdpPort);

            // Warm-up, not counted: the same path for a few devices, one of which is the caller.
            warm = await DeviceFleet.AuthenticateAsync(admin, http, settings.Smoke ? 8 : WarmDevices, "fleet");
            await RegisterOverUdpAsync(warm, udp);
            var caller = (await DeviceFleet.AuthenticateAsync(admin, http, 1, "callers"))[0];
            await Task.Delay(Settle(settings));
            var before = await server.MemoryAfterGcAsync();

            // Past one persistence interval (10 s) at the end, so the mappings' rows are written as they would be in service.
            var clock = Stopwatch.StartNew();
            Console.WriteLine($"  rendezvous: {settings.IdleDevices} devices, UDP-registered");
            (devices, var growth) = await DeviceFleet.GrowAsync(server, admin, http, DeviceFleet.Checkpoints(settings.IdleDevices), batch => RegisterOverUdpAsync(batch, udp), Settle(settings), TimeSpan.FromSeconds(settings.Smoke ? 0.2 : 2));
            var setup = clock.Elapsed;
            var after = growth[^1];

            var (wakes, wakeDatagrams) = await MeasureWakesAsync(http, udp, caller, devices.Take(Math.Min(Math.Min(WakeTargets, settings.Triggers), devices.Count)).ToArray(), settings.Triggers);
            foreach (var device in devices.Concat(warm))
            {
                device.Socket?.Dispose();
                device.Socket = null;
            }

            var (datagrams, allocatedPerDatagram) = MeasureDatagrams(server, udp, devices.Take(Math.Min(1000, devices.Count)).ToArray(), settings);
            var n = devices.Count;
            return new RendezvousResult(
                n,
                server.Gc,
                setup,
                new MemoryDelta((after.Resident - before.Resident) / (double)n, (after.ManagedHeap - before.ManagedHeap) / (double)n, before.Resident, after.Resident),
                new MemoryDelta(after.AttachedResident / (double)n, after.AttachedHeap / (double)n, before.Resident, after.Resident),
                [.. growth.Select(point => (point.Devices, (point.Resident - before.Resident) / (double)point.Devices))],
                MemorySlope.Of(growth),
                wakes,
                wakeDatagrams,
                datagrams,
                allocatedPerDatagram);
        }
        finally
        {
            foreach (var device in devices.Concat(warm))
            {
                device.Socket?.Dispose();
            }

            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static TimeSpan Settle(BenchSettings settings) => TimeSpan.FromSeconds(settings.Smoke ? 1 : 12);

    /// <summary>Each device opens its own UDP socket and registers once; every one must be acknowledged.</summary>
    private static async Task RegisterOverUdpAsync(IReadOnlyList<SimulatedDevice> devices, IPEndPoint server)
    {
        await DeviceFleet.ForEachAsync(devices.Count, async i =>
        {
            var device = devices[i];
            device.Socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            device.Socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            if (!await RegisterAsync(device, server))
            {
                throw new InvalidOperationException("a UDP registration was not acknowledged within 5 s");
            }
        });
    }

    /// <summary>One registration with the next counter; true when the ack of exactly it came back (resent once on loss).</summary>
    private static async Task<bool> RegisterAsync(SimulatedDevice device, IPEndPoint server)
    {
        device.Counter++;
        var datagram = Registration(device, device.Counter);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            await device.Socket!.SendToAsync(datagram, server);
            var answer = await ReceiveAsync(device, TimeSpan.FromSeconds(5), reader => reader.Type == RendezvousDatagram.TypeAck && reader.Counter == device.Counter);
            if (answer)
            {
                return true;
            }
        }

        return false;
    }

    private static byte[] Registration(SimulatedDevice device, long counter)
    {
        var buffer = new byte[RendezvousDatagram.MaxLength];
        var length = RendezvousDatagram.WriteRegister(
            buffer, device.Certificate.TerminalId, device.Certificate.Serial, counter, [10, 0, 0, 1], 7400, device.UdpKey, Crypto, new byte[RendezvousDatagram.WorkLength]);
        return buffer[..length];
    }

    /// <summary>Until a datagram verified with the device's key passes <paramref name="wanted"/>; false after <paramref name="within"/>.</summary>
    private static async Task<bool> ReceiveAsync(SimulatedDevice device, TimeSpan within, Func<RendezvousDatagram, bool> wanted)
    {
        var buffer = new byte[2048];
        var reader = new RendezvousDatagram();
        var work = new byte[RendezvousDatagram.WorkLength];
        using var timeout = new CancellationTokenSource(within);
        try
        {
            while (true)
            {
                var length = await device.Socket!.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (reader.Read(buffer, length) && reader.Verify(device.UdpKey, Crypto, work) && wanted(reader))
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Each wake: the caller's connection query makes the server queue a status query for the target
    /// and wake it over UDP; measured until the target has the wake datagram and has fetched the
    /// trigger with <c>GET /v1/triggers?wait=1&amp;after=...</c>. The target then answers busy, so the
    /// query ends without a session (and without a second trigger). Sequential: one wake at a time.
    /// </summary>
    private static async Task<(LatencySample Fetched, LatencySample WakeArrived)> MeasureWakesAsync(HttpClient http, IPEndPoint udp, SimulatedDevice caller, SimulatedDevice[] targets, int wakes)
    {
        // A callee must be registered over HTTP with a listening port, permit the caller, and be on
        // the trigger channel (a fetch within the server's 10 s grace) for a query to reach it.
        await DeviceFleet.MakeCallableAsync(http, targets);
        foreach (var target in targets)
        {
            if (!await RegisterAsync(target, udp))
            {
                throw new InvalidOperationException("a UDP registration was not acknowledged");
            }
        }

        await Task.WhenAll(targets.Select(target => FetchAsync(http, target)));

        // One unmeasured round warms every path.
        foreach (var target in targets)
        {
            await WakeAsync(http, caller, target);
        }

        var latencies = new List<long>();
        var arrivals = new List<long>();
        var failures = 0L;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < wakes; i++)
        {
            if (await WakeAsync(http, caller, targets[i % targets.Length]) is { } ticks)
            {
                latencies.Add(ticks.Fetched);
                arrivals.Add(ticks.WakeArrived);
            }
            else
            {
                failures++;
            }
        }

        var elapsed = clock.Elapsed;
        return (LatencySample.From(latencies, failures, elapsed), LatencySample.From(arrivals, failures, elapsed));
    }

    /// <summary>One wake as described above: Stopwatch ticks until fetched and until the wake arrived, or null when the wake or the trigger did not come.</summary>
    private static async Task<(long Fetched, long WakeArrived)?> WakeAsync(HttpClient http, SimulatedDevice caller, SimulatedDevice target)
    {
        var started = Stopwatch.GetTimestamp();
        var query = TestDevice.RequestConnectionAsync(http, caller.Certificate.Certificate, target.Certificate.TerminalId);
        var woken = await ReceiveAsync(target, TimeSpan.FromSeconds(5), reader => reader.Type == RendezvousDatagram.TypeWake && reader.Counter > target.Cursor);
        var arrived = Stopwatch.GetTimestamp();
        var batch = await FetchAsync(http, target);
        var fetched = Stopwatch.GetTimestamp();
        var question = batch.FirstOrDefault(trigger => trigger.Kind == TriggerKinds.StatusQuery);
        if (question is not null)
        {
            using var reply = await TestDevice.ReplyToTriggerAsync(http, target.Certificate.Certificate, TestDevice.Reply(question.Seq, AcceptStatus.Busy, "busy", 1));
        }

        using var answer = await query;
        return woken && question is not null && answer.StatusCode == HttpStatusCode.ServiceUnavailable ? (fetched - started, arrived - started) : null;
    }

    /// <summary>The device's one short request after a wake: acknowledges its cursor and takes what is queued.</summary>
    private static async Task<Trigger[]> FetchAsync(HttpClient http, SimulatedDevice device)
    {
        using var response = await TestDevice.GetWithCertificateAsync(http, device.Certificate.Certificate, Routes.Triggers + "?wait=1&after=" + device.Cursor);
        var batch = (await TestDevice.ReadAsync<TriggerBatch>(response)).Triggers;
        if (batch.Length > 0)
        {
            device.Cursor = batch[^1].Seq;
        }

        return batch;
    }

    /// <summary>Valid registrations of many devices, counters increasing, from one socket; acks per second and the server's CPU.</summary>
    private static (DatagramRate Rate, double AllocatedPerDatagram) MeasureDatagrams(ServedServer server, IPEndPoint udp, SimulatedDevice[] devices, BenchSettings settings)
    {
        var count = settings.Smoke ? 4_000 : 1_000_000;
        var warmCount = settings.Smoke ? 500 : 20_000;
        var datagrams = new byte[warmCount + count][];
        var buffer = new byte[RendezvousDatagram.MaxLength];
        var work = new byte[RendezvousDatagram.WorkLength];
        for (var i = 0; i < datagrams.Length; i++)
        {
            var device = devices[i % devices.Length];
            device.Counter++;
            var length = RendezvousDatagram.WriteRegister(
                buffer, device.Certificate.TerminalId, device.Certificate.Serial, device.Counter, [10, 0, 0, 1], 7400, device.UdpKey, Crypto, work);
            datagrams[i] = buffer[..length];
        }

        static bool IsAck(byte[] answer, int length) => length > 4 && answer[4] == RendezvousDatagram.TypeAck;
        DatagramFlood.Run(udp, i => datagrams[i], IsAck, warmCount, TimeSpan.FromSeconds(10), () => TimeSpan.Zero);
        var allocated = server.AllocatedBytes();
        var rate = DatagramFlood.Run(udp, i => datagrams[warmCount + i], IsAck, count, TimeSpan.FromSeconds(settings.Seconds), server.CpuTime);
        return (rate, (server.AllocatedBytes() - allocated) / (double)Math.Max(1, rate.Answered));
    }
}
