using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using PeerGate.Protocol;
using PeerGate.Server.Observability;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Observability;

/// <summary>JSON log lines on request (PeerGate:LogFormat=json) without secrets; the metrics beyond the first set, with no ID in a label.</summary>
[TestClass]
public sealed class LogsAndMetricsTests
{
    [TestMethod]
    public async Task JsonLogLinesParseAndCarryNoSecret()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "peergate-log-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        const string adminToken = "operator-secret-7f3a9c1e5b";
        var lines = new ConcurrentQueue<string>();
        var serverDll = Path.Combine(AppContext.BaseDirectory, "peergate-server.dll");
        var baseUrl = "http://127.0.0.1:" + LoopbackPorts.Free();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { serverDll, "--urls", baseUrl, "--PeerGate:DataDirectory", dataDirectory, "--PeerGate:AdminToken", adminToken, "--PeerGate:LogFormat", "json", "--PeerGate:UdpPort", "0" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        try
        {
            process.OutputDataReceived += (_, line) => { if (line.Data is { Length: > 0 } data) { lines.Enqueue(data); } };
            process.ErrorDataReceived += (_, line) => { if (line.Data is { Length: > 0 } data) { lines.Enqueue(data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            // A refused operator request with a wrong token: its 401 may be logged, its token never.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            var up = false;
            while (!up && DateTime.UtcNow < deadline && !process.HasExited)
            {
                try
                {
                    using var health = await http.GetAsync(baseUrl + "/health");
                    up = health.IsSuccessStatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    await Task.Delay(200);
                }
            }

            Assert.IsTrue(up, "the server came up: " + string.Join("\n", lines));

            using var request = new HttpRequestMessage(HttpMethod.Get, baseUrl + "/v1/admin/devices");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "wrong-" + adminToken);
            using var refused = await http.SendAsync(request);
            Assert.AreEqual(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(30));
            try
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        var all = lines.ToList();
        Assert.IsNotEmpty(all, "the server logged");
        foreach (var line in all)
        {
            using var json = JsonDocument.Parse(line);
            Assert.IsTrue(json.RootElement.TryGetProperty("Timestamp", out _), line);
            Assert.IsTrue(json.RootElement.TryGetProperty("LogLevel", out _), line);
            Assert.IsTrue(json.RootElement.TryGetProperty("Message", out _), line);
            Assert.DoesNotContain(adminToken, line, "no secret in a log line");
        }

        Assert.IsTrue(all.Any(line => line.Contains("public key", StringComparison.Ordinal)), "the startup lines are there, as JSON");
    }

    [TestMethod]
    public async Task NewMetricsAreCountersAndGaugesWithoutIds()
    {
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        var device = await Devices.EnrollAsync(server);
        var certificate = (await device.AuthenticateAsync(http)).Certificate;
        using var ahead = await TestDevice.PollTriggersAsync(http, certificate, 99);
        Assert.AreEqual(HttpStatusCode.Conflict, ahead.StatusCode);

        var metrics = await http.GetStringAsync("/metrics");
        StringAssert.Contains(metrics, "# TYPE peergate_http_responses_total counter");
        StringAssert.Contains(metrics, "peergate_trigger_polls_total{outcome=\"cursor_ahead\"} 1");
        StringAssert.Contains(metrics, "peergate_devices_online{path=\"long-poll\"} 0");
        StringAssert.Contains(metrics, "peergate_devices_online{path=\"udp\"} 0");
        StringAssert.Contains(metrics, "# TYPE peergate_devices_online gauge");
        Assert.DoesNotContain(device.DeviceId, metrics, "no Device ID in a label");
        Assert.DoesNotContain(certificate, metrics);

        // Each server counts alone, though every one has a meter of the same name.
        using var other = new ServerMetrics();
        other.CountSession("terminated");
        other.CountStorageFault(ErrorCodes.StorageFull);
        other.CountConnectionOutcome("granted", "direct");
        var text = other.Render();
        StringAssert.Contains(text, "peergate_sessions_total{event=\"terminated\"} 1");
        StringAssert.Contains(text, "peergate_storage_faults_total{code=\"storage_full\"} 1");
        StringAssert.Contains(text, "peergate_connection_outcomes_total{outcome=\"granted\",path=\"direct\"} 1");
        Assert.DoesNotContain("peergate_sessions_total{event=\"terminated\"}", await http.GetStringAsync("/metrics"));
    }

    [TestMethod]
    public async Task ResponsesAreCountedByTheStatusTheyWereAnsweredWith()
    {
        // Whoever wrote the answer: routing's empty refusals given a problem body, a refusal thrown by
        // a handler's filter, a handler's own answer.
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        foreach (var path in new[] { "/v1/nothing-here", "/v2/anything" })
        {
            using var unknown = await http.GetAsync(path);
            Assert.AreEqual(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        using var wrongMethod = await http.GetAsync(Routes.AuthChallenge);
        using var noCertificate = await http.GetAsync(Routes.Triggers + "?after=0");
        using var health = await http.GetAsync("/health");

        Assert.AreEqual(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.AreEqual(HttpStatusCode.Unauthorized, noCertificate.StatusCode);
        var metrics = await http.GetStringAsync("/metrics");
        StringAssert.Contains(metrics, "peergate_http_responses_total{status=\"404\"} 2");
        StringAssert.Contains(metrics, "peergate_http_responses_total{status=\"405\"} 1");
        StringAssert.Contains(metrics, "peergate_http_responses_total{status=\"401\"} 1");
        StringAssert.Contains(metrics, "peergate_http_responses_total{status=\"200\"} 1");
    }
}
