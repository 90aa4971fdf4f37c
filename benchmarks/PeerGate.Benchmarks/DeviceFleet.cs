using System.Net;
using System.Security.Cryptography;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;

namespace PeerGate.Benchmarks;

/// <summary>One device the benchmark plays: its certificate and UDP key, its socket when it has one, its counters.</summary>
public sealed class SimulatedDevice(CertificateResponse certificate)
{
    public CertificateResponse Certificate { get; } = certificate;

    public byte[] UdpKey { get; } = Convert.FromBase64String(certificate.UdpKey);

    public System.Net.Sockets.Socket? Socket { get; set; }

    public long Counter { get; set; }

    public long Cursor { get; set; }
}

/// <summary>The server's memory once it holds <paramref name="Devices"/> devices, and how much of it came from attaching them (UDP registration or a held long-poll) after they were authenticated.</summary>
public sealed record GrowthPoint(int Devices, long Resident, long ManagedHeap, long AttachedResident, long AttachedHeap);

/// <summary>
/// Sets up devices on a PeerGate server in its own process as a fleet would come online: each enrolled
/// through the admin API and authenticated by challenge and proof, <see cref="SetupWorkers"/> at a
/// time, then attached to the trigger channel. The UDP and the long-poll lines share it, so both
/// devices cost the same path before they are attached and their memory is read the same way.
/// </summary>
public static class DeviceFleet
{
    public const int SetupWorkers = 16;

    private static int _busyRetries;

    /// <summary>Answers of 503 (storage_busy on a loaded machine) so far; the setup retries them, as a device does.</summary>
    public static int BusyRetries => _busyRetries;

    /// <summary>
    /// Where the memory-per-device curve is read: a tenth, three tenths, half and all of the fleet (1,000,
    /// 3,000, 5,000 and 10,000 by default). Half and all give the slope (<see cref="MemorySlope"/>).
    /// </summary>
    public static int[] Checkpoints(int devices) => [.. new[] { devices / 10, devices * 3 / 10, devices / 2, devices }.Where(n => n > 0).Distinct()];

    /// <summary>Enrolls each device through the admin API, then authenticates it by challenge and proof.</summary>
    public static async Task<List<SimulatedDevice>> AuthenticateAsync(AdminClient admin, HttpClient http, int count, string group)
    {
        var result = new SimulatedDevice[count];
        await ForEachAsync(count, async i =>
        {
            var device = new TestDevice(TestDevice.NewDeviceId(), RandomNumberGenerator.GetBytes(AuthProofs.DeviceKeyLength));
            await WhileBusyAsync(() => admin.EnrollDeviceAsync(device.DeviceId, Convert.ToHexString(device.DeviceKey), [group]));
            result[i] = new SimulatedDevice(await WhileBusyAsync(() => device.AuthenticateAsync(http)));
        });
        return [.. result];
    }

    /// <summary>
    /// Grows the fleet to each checkpoint: authenticates the next devices, reads the memory, attaches
    /// them, reads it again. Each reading follows a full GC in the server; the last one follows
    /// <paramref name="finalSettle"/>, the others a short settle, so the curve is read the same way at every N.
    /// </summary>
    public static async Task<(List<SimulatedDevice> Devices, List<GrowthPoint> Growth)> GrowAsync(
        ServedServer server, AdminClient admin, HttpClient http, int[] checkpoints, Func<IReadOnlyList<SimulatedDevice>, Task> attach, TimeSpan finalSettle, TimeSpan settle)
    {
        var devices = new List<SimulatedDevice>();
        var growth = new List<GrowthPoint>();
        long attachedResident = 0, attachedHeap = 0;
        foreach (var checkpoint in checkpoints)
        {
            var batch = await AuthenticateAsync(admin, http, checkpoint - devices.Count, "fleet");
            devices.AddRange(batch);
            var authenticated = await server.MemoryAfterGcAsync();
            await attach(batch);
            await Task.Delay(checkpoint == checkpoints[^1] ? finalSettle : settle);
            var attached = await server.MemoryAfterGcAsync();
            attachedResident += attached.Resident - authenticated.Resident;
            attachedHeap += attached.ManagedHeap - authenticated.ManagedHeap;
            growth.Add(new GrowthPoint(devices.Count, attached.Resident, attached.ManagedHeap, attachedResident, attachedHeap));
            Console.WriteLine($"    {devices.Count} devices: RSS {attached.Resident / (1024.0 * 1024):F1} MiB");
        }

        return (devices, growth);
    }

    /// <summary>
    /// Makes devices callable by the benchmark's caller: registered over HTTP with a listening port and
    /// permitting the group "callers". A connection query to one then queues a status query for it.
    /// </summary>
    public static async Task MakeCallableAsync(HttpClient http, IEnumerable<SimulatedDevice> targets)
    {
        foreach (var target in targets)
        {
            using var registered = await TestDevice.SendRegistrationAsync(http, target.Certificate.Certificate, new RegistrationRequest
            {
                TerminalId = target.Certificate.TerminalId,
                LocalIp = "10.0.0.1",
                LocalPort = 7400,
                Capabilities = [],
                Attributes = [],
            });
            registered.EnsureSuccessStatusCode();
            await TestDevice.PermitAsync(http, target.Certificate.Certificate, PermitKinds.Group, "callers");
        }
    }

    /// <summary>Retries a 503 after its 2 s, at most 5 times, as a device does with Retry-After.</summary>
    public static async Task<T> WhileBusyAsync<T>(Func<Task<T>> request)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await request();
            }
            catch (Exception exception) when (attempt < 5 && exception is HttpRequestException { StatusCode: HttpStatusCode.ServiceUnavailable } or AdminApiException { Status: 503 })
            {
                Interlocked.Increment(ref _busyRetries);
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
        }
    }

    /// <summary>Runs <paramref name="body"/> for 0..count-1 on <see cref="SetupWorkers"/> loops.</summary>
    public static async Task ForEachAsync(int count, Func<int, Task> body)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Math.Min(SetupWorkers, Math.Max(1, count))).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                await body(i);
            }
        })));
    }
}

/// <summary>
/// What one more device costs: the growth between the reading at half the fleet and the one at all of
/// it, per device of that second half, (RSS(N) - RSS(N/2)) / (N - N/2). Unlike the whole fleet's
/// (RSS(N) - RSS(before)) / N it leaves out what grows once (thread pools, malloc arenas, caches
/// filling up), so PeerGate and Mosquitto are compared per device on the same terms.
/// </summary>
public sealed record MemorySlope(int From, int To, double ResidentPerDevice, double? HeapPerDevice)
{
    /// <summary>The slope between the reading at half of the last one's devices (or the nearest below) and the last; null with fewer than two readings.</summary>
    public static MemorySlope? Of(IReadOnlyList<(int Devices, long Resident, long? Heap)> readings)
    {
        if (readings.Count < 2)
        {
            return null;
        }

        var last = readings[^1];
        var half = readings.Take(readings.Count - 1).Where(reading => reading.Devices <= last.Devices / 2).DefaultIfEmpty(readings[^2]).MaxBy(reading => reading.Devices);
        var added = (double)(last.Devices - half.Devices);
        return new MemorySlope(
            half.Devices,
            last.Devices,
            (last.Resident - half.Resident) / added,
            last.Heap is { } heap && half.Heap is { } halfHeap ? (heap - halfHeap) / added : null);
    }

    /// <summary>The slope of a PeerGate fleet's growth readings.</summary>
    public static MemorySlope? Of(IReadOnlyList<GrowthPoint> growth) =>
        Of([.. growth.Select(point => (point.Devices, point.Resident, (long?)point.ManagedHeap))]);
}
