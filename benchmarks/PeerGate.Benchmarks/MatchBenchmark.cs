using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Protocol;
using PeerGate.Server.Identity;
using PeerGate.Server.Registry;
using PeerGate.Server.Testing;

namespace PeerGate.Benchmarks;

/// <summary>
/// Matching (F13) at its worst: many terminals of the asked kind are online and only the one seen
/// longest ago fits, so every row is filtered. Beside it, inquiry by Terminal ID (a primary-key read
/// through the same HTTP path) shows what the filtering itself costs.
/// </summary>
public static class MatchBenchmark
{
    public static async Task<(LatencySample Match, LatencySample Inquiry, int Online)> RunAsync(BenchSettings settings)
    {
        var online = settings.Smoke ? 1_000 : 20_000;
        var dataDirectory = Path.Combine(settings.DataRoot, "peergate-bench-" + Guid.NewGuid().ToString("N"));
        // No per-device write limit: a few devices writing as fast as they can is the measurement.
        await using var server = await TestServer.StartAsync(new TestServerOptions { UseSystemClock = true, DataDirectory = dataDirectory, Configure = o => o.DeviceWritesPerMinute = 0 });
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
            var asker = new TestDevice(TestDevice.NewDeviceId(), RandomNumberGenerator.GetBytes(AuthProofs.DeviceKeyLength));
            await server.Admin.EnrollDeviceAsync(asker.DeviceId, Convert.ToHexString(asker.DeviceKey));
            var certificate = (await asker.AuthenticateAsync(http)).Certificate;
            var fitting = await FillRegistryAsync(server, online);

            var match = new MatchRequest { Kind = "sensor", Capabilities = ["camera"] };
            var duration = TimeSpan.FromSeconds(settings.Seconds);
            var matches = await LatencySample.MeasureAsync(settings.Concurrency, settings.WarmUp, duration, async (_, _) =>
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await TestDevice.PostWithCertificateAsync(http, certificate, Routes.Match, match);
                return LatencySample.Since(started, response.IsSuccessStatusCode && (await TestDevice.ReadAsync<TerminalAddress>(response)).TerminalId == fitting);
            });
            var inquiries = await LatencySample.MeasureAsync(settings.Concurrency, settings.WarmUp, duration, async (_, _) =>
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await TestDevice.GetWithCertificateAsync(http, certificate, Routes.Terminals + fitting);
                return LatencySample.Since(started, response.IsSuccessStatusCode);
            });
            return (matches, inquiries, online);
        }
        finally
        {
            await server.StopAsync();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    /// <summary>Registers <paramref name="count"/> discoverable sensors straight into the store; only the oldest has a camera. Returns its Terminal ID.</summary>
    private static async Task<string> FillRegistryAsync(TestServer server, int count)
    {
        var store = server.Services.GetRequiredService<RegistryStore>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        for (var i = 0; i < count; i++)
        {
            var terminal = $"TBENCH{i:D10}";
            var certificate = new CertificatePayload(terminal, $"BE{i:D10}", "test-auth", now, now + 3600, $"S{i}", []);
            var request = new RegistrationRequest
            {
                TerminalId = terminal,
                LocalIp = "10.0.0.1",
                LocalPort = 7400,
                Discoverable = true,
                Kind = "sensor",
                Capabilities = i == 0 ? ["camera", "temperature"] : ["temperature"],
                Attributes = [$"shelf={i % 100}"],
            };

            // The oldest is seen first and never again; every other one is seen later.
            await store.RegisterAsync(certificate, request, "10.0.0.1", 40000, i == 0 ? now - 60 : now, now + 600);
        }

        return "TBENCH0000000000";
    }
}
