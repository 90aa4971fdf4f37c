using System.Diagnostics;
using System.Security.Cryptography;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;

namespace PeerGate.Benchmarks;

/// <summary>
/// Registrations per second as a device sees them: HTTP over loopback to the server in a process of its
/// own (<see cref="ServedServer"/>, on SQLite), certificate verification, and a durable commit
/// (synchronous=FULL) before each answer. Client and server share this machine's cores: beside the rate
/// it counts the commits that carried the registrations (several per commit is group commit at work) and
/// the CPU each side spent per registration.
/// </summary>
public static class RegistrationBenchmark
{
    public static async Task<RegistrationResult> RunAsync(BenchSettings settings)
    {
        await using var deployment = await ClusterDeployment.SqliteAsync(settings);
        var server = deployment.Instances[0];
        var certificates = await EnrollAndAuthenticateAsync(deployment.Admin, deployment.Http[0], settings.Registrants);
        await WarmUpAsync(deployment.Http, certificates);
        var commitsBefore = await server.CommitsAsync();
        var serverCpuBefore = server.CpuTime();
        var clientCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var sample = await MeasureAsync(deployment.Http, certificates, settings.Concurrency, settings.WarmUp, settings.Seconds);
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime - clientCpuBefore;
        var serverCpu = server.CpuTime() - serverCpuBefore;
        return new RegistrationResult(sample, await server.CommitsAsync() - commitsBefore, serverCpu, clientCpu);
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
    public static async Task<LatencySample> MeasureAsync(IReadOnlyList<HttpClient> instances, (string TerminalId, string Certificate)[] certificates, int concurrency, TimeSpan warmUp, double seconds)
    {
        return await LatencySample.MeasureAsync(concurrency, warmUp, TimeSpan.FromSeconds(seconds), async (worker, round) =>
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

/// <summary>The registration loop: its sample, the commits made meanwhile and the CPU of the server's process and of the clients' over it.</summary>
public sealed record RegistrationResult(LatencySample Sample, long Commits, TimeSpan ServerCpu, TimeSpan ClientCpu)
{
    /// <summary>Registrations per durable commit.</summary>
    public double PerCommit => Commits == 0 ? 0 : Sample.Count / (double)Commits;

    /// <summary>Milliseconds of the server's CPU per registration.</summary>
    public double ServerCpuMsEach => Sample.Count == 0 ? 0 : ServerCpu.TotalMilliseconds / Sample.Count;

    /// <summary>Milliseconds of the clients' CPU per registration.</summary>
    public double ClientCpuMsEach => Sample.Count == 0 ? 0 : ClientCpu.TotalMilliseconds / Sample.Count;
}
