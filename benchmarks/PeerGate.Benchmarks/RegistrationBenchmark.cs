using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;

namespace PeerGate.Benchmarks;

/// <summary>
/// Registrations per second as a device sees them: HTTP over loopback to a real Kestrel, certificate
/// verification, and a durable SQLite commit (synchronous=FULL) before each answer.
/// Client and server share this machine's cores (and this process): beside the rate it counts the
/// commits that carried the registrations (several per commit is group commit at work) and the CPU
/// this process spent per registration, client and server together.
/// </summary>
public static class RegistrationBenchmark
{
    public static async Task<RegistrationResult> RunAsync(BenchSettings settings)
    {
        var dataDirectory = Path.Combine(settings.DataRoot, "peergate-bench-" + Guid.NewGuid().ToString("N"));
        // No per-device write limit: a few devices writing as fast as they can is the measurement.
        await using var server = await TestServer.StartAsync(new TestServerOptions { UseSystemClock = true, DataDirectory = dataDirectory, Configure = o => o.DeviceWritesPerMinute = 0 });
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl), Timeout = TimeSpan.FromSeconds(10) };
            var certificates = await EnrollAndAuthenticateAsync(server.Admin, http, settings.Registrants);
            await WarmUpAsync([http], certificates);
            var database = server.Services.GetRequiredService<PeerGate.Server.Storage.Database>();
            var commitsBefore = database.Commits;
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var sample = await MeasureAsync([http], certificates, settings.Concurrency, settings.Seconds);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            return new RegistrationResult(sample, database.Commits - commitsBefore, cpu);
        }
        finally
        {
            await server.StopAsync();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    /// <summary>Not measured: every device registers once at every instance, so JIT and connection set-up stay out of the numbers.</summary>
    public static async Task WarmUpAsync(IReadOnlyList<HttpClient> instances, (string TerminalId, string Certificate)[] certificates)
    {
        foreach (var http in instances)
        {
            foreach (var (terminalId, certificate) in certificates)
            {
                using var warm = await TestDevice.SendRegistrationAsync(http, certificate, Registration(terminalId, 0));
                warm.EnsureSuccessStatusCode();
            }
        }
    }

    /// <summary>
    /// The measured loop: <paramref name="concurrency"/> clients registering the devices in turn for
    /// <paramref name="seconds"/>, client w at instance w mod n, each registration a new local address.
    /// </summary>
    public static async Task<LatencySample> MeasureAsync(IReadOnlyList<HttpClient> instances, (string TerminalId, string Certificate)[] certificates, int concurrency, double seconds)
    {
        return await LatencySample.MeasureAsync(concurrency, TimeSpan.FromSeconds(seconds), async (worker, round) =>
        {
            var i = (round * concurrency) + worker;
            var (terminalId, certificate) = certificates[i % certificates.Length];
            var started = Stopwatch.GetTimestamp();
            using var response = await TestDevice.SendRegistrationAsync(instances[worker % instances.Count], certificate, Registration(terminalId, i));
            return LatencySample.Since(started, response.IsSuccessStatusCode);
        });
    }

    private static RegistrationRequest Registration(string terminalId, int i) => new()
    {
        TerminalId = terminalId,
        LocalIp = "10.0.0." + (i % 250 + 1),
        LocalPort = 7400,
        Kind = "sensor",
        Capabilities = [],
        Attributes = [],
    };

    /// <summary>Enrolls <paramref name="count"/> devices through the operator API and authenticates each at <paramref name="http"/>.</summary>
    public static async Task<(string TerminalId, string Certificate)[]> EnrollAndAuthenticateAsync(AdminClient admin, HttpClient http, int count)
    {
        var result = new (string, string)[count];
        for (var i = 0; i < count; i++)
        {
            var device = new TestDevice(TestDevice.NewDeviceId(), RandomNumberGenerator.GetBytes(AuthProofs.DeviceKeyLength));
            await admin.EnrollDeviceAsync(device.DeviceId, Convert.ToHexString(device.DeviceKey));
            var certificate = await device.AuthenticateAsync(http);
            result[i] = (certificate.TerminalId, certificate.Certificate);
        }

        return result;
    }
}

/// <summary>The registration loop: its sample, the commits made meanwhile and this process's CPU over it.</summary>
public sealed record RegistrationResult(LatencySample Sample, long Commits, TimeSpan Cpu)
{
    /// <summary>Registrations per durable commit.</summary>
    public double PerCommit => Commits == 0 ? 0 : Sample.Count / (double)Commits;

    /// <summary>Milliseconds of CPU per registration, client and server together.</summary>
    public double CpuMsEach => Sample.Count == 0 ? 0 : Cpu.TotalMilliseconds / Sample.Count;
}
