using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
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
    /// <returns>
    /// Setups with every caller at once (throughput: with callers that ask again as soon as they are
    /// answered, their p50 is about callers / rate), setups by one caller alone (the latency of one
    /// setup's chain, nothing queued before it), and the bare trigger channel.
    /// </returns>
    public static async Task<(LatencySample Connections, LatencySample Alone, LatencySample Triggers)> RunAsync(BenchSettings settings)
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

            var hub = server.Services.GetRequiredService<TriggerHub>();
            Func<Task> untilPolling = () => UntilPollingAsync(hub, callee.TerminalId);
            var connections = await MeasureConnectionsAsync([new Callee(http, callee)], [.. callers.Select(caller => new Caller(http, caller, 0))], untilPolling, settings.WarmUp, settings.Seconds);

            // Warmed up by the loop before: the same server, callee and first caller.
            var alone = await MeasureConnectionsAsync([new Callee(http, callee)], [new Caller(http, callers[0], 0)], untilPolling, TimeSpan.Zero, Math.Max(1, settings.Seconds / 2.0));
            var triggers = await MeasureTriggerDeliveryAsync(server, http, await AuthenticateAsync(server, http, "poller", register: true), settings.Seconds);
            return (connections, alone, triggers);
        }
        finally
        {
            await server.StopAsync();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    /// <summary>
    /// The measured loop: each caller queries its callee at its own instance as fast as it is answered,
    /// measured until both sides are notified. Each callee answers from its poll loop at its instance
    /// (<see cref="TriggerResponder"/>); <paramref name="untilPolling"/> returns once every callee's poll waits.
    /// </summary>
    public static async Task<LatencySample> MeasureConnectionsAsync(IReadOnlyList<Callee> callees, IReadOnlyList<Caller> callers, Func<Task> untilPolling, TimeSpan warmUp, double seconds)
    {
        // When each session's offer reached its callee, by session ID: the offer can come before or after the grant.
        var offered = new ConcurrentDictionary<string, TaskCompletionSource<long>>(StringComparer.Ordinal);
        TaskCompletionSource<long> OfferOf(string sessionId) =>
            offered.GetOrAdd(sessionId, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));

        var responders = callees.Select(callee => new TriggerResponder(callee.Http, callee.Certificate.Certificate)).ToArray();
        var dispatchers = responders.Select(responder => Task.Run(async () =>
        {
            await foreach (var offer in responder.Offers.ReadAllAsync())
            {
                OfferOf(offer.SessionId).TrySetResult(Stopwatch.GetTimestamp());
            }
        })).ToArray();
        try
        {
            await untilPolling();

            // Warm-up, not measured: JIT, connection pools, the callees' poll loops; every caller once.
            foreach (var caller in callers)
            {
                using var warm = await TestDevice.RequestConnectionAsync(caller.Http, caller.Certificate.Certificate, callees[caller.Callee].Certificate.TerminalId);
                var grant = await TestDevice.ReadAsync<ConnectionGrant>(warm);
                await OfferOf(grant.SessionId).Task.WaitAsync(TimeSpan.FromSeconds(10));
            }

            return await LatencySample.MeasureAsync(callers.Count, warmUp, TimeSpan.FromSeconds(seconds), async (worker, _) =>
            {
                var caller = callers[worker];
                var started = Stopwatch.GetTimestamp();
                using var response = await TestDevice.RequestConnectionAsync(caller.Http, caller.Certificate.Certificate, callees[caller.Callee].Certificate.TerminalId);
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
        finally
        {
            foreach (var responder in responders)
            {
                await responder.DisposeAsync();
            }

            await Task.WhenAll(dispatchers);
        }
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

    private static Task<CertificateResponse> AuthenticateAsync(TestServer server, HttpClient http, string group, bool register) =>
        AuthenticateAsync(server.Admin, http, group, register);

    /// <summary>A device enrolled in <paramref name="group"/> and authenticated at <paramref name="http"/>; registered there when <paramref name="register"/>.</summary>
    public static async Task<CertificateResponse> AuthenticateAsync(AdminClient admin, HttpClient http, string group, bool register)
    {
        var device = new TestDevice(TestDevice.NewDeviceId(), RandomNumberGenerator.GetBytes(AuthProofs.DeviceKeyLength));
        await admin.EnrollDeviceAsync(device.DeviceId, Convert.ToHexString(device.DeviceKey), [group]);
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

    /// <summary>Lets the group "fleet", the callers', connect to the callee.</summary>
    public static Task<PermitResult> Permit(HttpClient http, string calleeCertificate) =>
        TestDevice.PermitAsync(http, calleeCertificate, PermitKinds.Group, "fleet");
}

/// <summary>A callee of the connection loop: the instance it polls and answers at, and its certificate.</summary>
public sealed record Callee(HttpClient Http, CertificateResponse Certificate);

/// <summary>A caller of the connection loop: the instance it queries, its certificate, and the index of the callee it calls.</summary>
public sealed record Caller(HttpClient Http, CertificateResponse Certificate, int Callee);
