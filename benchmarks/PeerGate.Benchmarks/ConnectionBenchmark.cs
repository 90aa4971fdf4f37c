using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Server.Testing;
using PeerGate.Server.Triggers;

namespace PeerGate.Benchmarks;

/// <summary>
/// Mediated connections end to end (F16-F18, F21) over loopback to a real Kestrel: each measured from
/// the caller's query until both sides are notified, i.e. the caller holds its grant and the callee
/// has the session offer from its long-poll. The callee answers status queries from its poll loop,
/// as a device does. Also the bare trigger channel: queued until the waiting poller has it.
/// </summary>
public static class ConnectionBenchmark
{
    public static async Task<(LatencySample Connections, LatencySample Triggers)> RunAsync(BenchSettings settings)
    {
        var dataDirectory = Path.Combine(settings.DataRoot, "peergate-bench-" + Guid.NewGuid().ToString("N"));
        // No per-device write limit: a few devices writing as fast as they can is the measurement.
        await using var server = await TestServer.StartAsync(new TestServerOptions { UseSystemClock = true, DataDirectory = dataDirectory, Configure = o => o.DeviceWritesPerMinute = 0 });
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
            var callee = await AuthenticateAsync(server, http, "callee", register: true);
            await Permit(http, callee.Certificate);
            var callers = new CertificateResponse[settings.Concurrency];
            for (var i = 0; i < callers.Length; i++)
            {
                callers[i] = await AuthenticateAsync(server, http, "fleet", register: false);
            }

            var connections = await MeasureConnectionsAsync(server, http, callee, callers, settings.Seconds);
            var triggers = await MeasureTriggerDeliveryAsync(server, http, await AuthenticateAsync(server, http, "poller", register: true), settings.Seconds);
            return (connections, triggers);
        }
        finally
        {
            await server.StopAsync();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static async Task<LatencySample> MeasureConnectionsAsync(TestServer server, HttpClient http, CertificateResponse callee, CertificateResponse[] callers, double seconds)
    {
        // When each session's offer reached the callee, by session ID: the offer can come before or after the grant.
        var offered = new ConcurrentDictionary<string, TaskCompletionSource<long>>(StringComparer.Ordinal);
        TaskCompletionSource<long> OfferOf(string sessionId) =>
            offered.GetOrAdd(sessionId, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));

        await using var responder = new TriggerResponder(http, callee.Certificate);
        var dispatcher = Task.Run(async () =>
        {
            await foreach (var offer in responder.Offers.ReadAllAsync())
            {
                OfferOf(offer.SessionId).TrySetResult(Stopwatch.GetTimestamp());
            }
        });

        await UntilPollingAsync(server.Services.GetRequiredService<TriggerHub>(), callee.TerminalId);

        // Warm-up, not measured: JIT, connection pool, the callee's poll loop.
        using (var warm = await TestDevice.RequestConnectionAsync(http, callers[0].Certificate, callee.TerminalId))
        {
            var grant = await TestDevice.ReadAsync<ConnectionGrant>(warm);
            await OfferOf(grant.SessionId).Task.WaitAsync(TimeSpan.FromSeconds(10));
        }

        return await LatencySample.MeasureAsync(callers.Length, TimeSpan.FromSeconds(seconds), async (worker, _) =>
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await TestDevice.RequestConnectionAsync(http, callers[worker].Certificate, callee.TerminalId);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var grant = await TestDevice.ReadAsync<ConnectionGrant>(response);
            var granted = Stopwatch.GetTimestamp();
            var offerArrived = await OfferOf(grant.SessionId).Task.WaitAsync(TimeSpan.FromSeconds(10));
            return Math.Max(granted, offerArrived) - started;
        });
    }

    /// <summary>One poller; each round a trigger is queued (committed, then the wake-up) while it waits.</summary>
    private static async Task<LatencySample> MeasureTriggerDeliveryAsync(TestServer server, HttpClient http, CertificateResponse device, double seconds)
    {
        var store = server.Services.GetRequiredService<TriggerStore>();
        var hub = server.Services.GetRequiredService<TriggerHub>();
        var latencies = new List<long>();
        var failures = 0L;
        var cursor = 0L;
        var clock = Stopwatch.StartNew();
        var duration = TimeSpan.FromSeconds(Math.Max(0.5, seconds));
        while (clock.Elapsed < duration)
        {
            var poll = TestDevice.PollAsync(http, device.Certificate, cursor);
            await UntilPollingAsync(hub, device.TerminalId);

            var started = Stopwatch.GetTimestamp();
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            await store.EnqueueAsync(device.TerminalId, new Trigger { Kind = TriggerKinds.StatusQuery, CreatedAt = now }, now + 60);
            hub.Wake(device.TerminalId);
            var batch = await poll.WaitAsync(TimeSpan.FromSeconds(30));
            if (batch.Length == 0)
            {
                failures++;
                continue;
            }

            latencies.Add(Stopwatch.GetTimestamp() - started);
            cursor = batch[^1].Seq;
        }

        return LatencySample.From(latencies, failures, clock.Elapsed);
    }

    /// <summary>Until the terminal's long-poll waits on the server (at most 5 s).</summary>
    private static async Task UntilPollingAsync(TriggerHub hub, string terminalId)
    {
        var waited = Stopwatch.StartNew();
        while (!hub.IsPolling(terminalId) && waited.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Yield();
        }
    }

    private static async Task<CertificateResponse> AuthenticateAsync(TestServer server, HttpClient http, string group, bool register)
    {
        var device = new TestDevice(TestDevice.NewDeviceId(), RandomNumberGenerator.GetBytes(AuthProofs.DeviceKeyLength));
        await server.Admin.EnrollDeviceAsync(device.DeviceId, Convert.ToHexString(device.DeviceKey), [group]);
        var certificate = await device.AuthenticateAsync(http);
        if (register)
        {
            using var response = await TestDevice.SendRegistrationAsync(http, certificate.Certificate, new RegistrationRequest
            {
                TerminalId = certificate.TerminalId,
                LocalIp = "10.0.0.1",
                LocalPort = 7400,
                Capabilities = [],
                Attributes = [],
            });
            response.EnsureSuccessStatusCode();
        }

        return certificate;
    }

    private static Task<PermitResult> Permit(HttpClient http, string calleeCertificate) =>
        TestDevice.PermitAsync(http, calleeCertificate, PermitKinds.Group, "fleet");
}
