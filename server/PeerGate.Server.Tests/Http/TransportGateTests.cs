using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Http;

/// <summary>
/// Plain HTTP from another host gets 403 tls_required on every route that carries a secret or a
/// certificate, with nothing read or stored; loopback, a known TLS proxy's https and the lab setting pass.
/// </summary>
[TestClass]
public sealed class TransportGateTests
{
    private static readonly IPAddress Proxy = IPAddress.Parse("198.18.0.7");
    private static readonly IPAddress Remote = IPAddress.Parse("198.18.0.1");

    [TestMethod]
    public void TheDecisionOverEverySettingCombination()
    {
        var loopback = new[] { IPAddress.Loopback, IPAddress.IPv6Loopback, IPAddress.Parse("127.3.4.5"), IPAddress.Parse("::ffff:127.0.0.1") };
        var defaultProxies = TransportTestOptions.Proxies();
        var configured = TransportTestOptions.Proxies(Proxy);

        foreach (var allowPlain in new[] { false, true })
        {
            foreach (var behind in new[] { false, true })
            {
                foreach (var proxies in new[] { defaultProxies, configured })
                {
                    foreach (var proto in new[] { null, "http", "https", "HTTPS", "https, https" })
                    {
                        var what = $"allowPlain={allowPlain} behind={behind} proxies={proxies.Count} proto={proto}";

                        // Kestrel's own TLS always passes; the lab setting passes anything.
                        Assert.IsTrue(TransportGate.Allows(allowPlain, behind, proxies, true, Remote, proto), what);
                        Assert.AreEqual(allowPlain, TransportGate.Allows(allowPlain, behind, proxies, false, Remote, proto), what + " remote");
                        Assert.AreEqual(allowPlain, TransportGate.Allows(allowPlain, behind, proxies, false, null, proto), what + " no address");

                        var believed = proto is "https" or "HTTPS";
                        var fromProxy = TransportGate.Allows(allowPlain, behind, proxies, false, Proxy, proto);
                        Assert.AreEqual(allowPlain || (behind && proxies == configured && believed), fromProxy, what + " from proxy");

                        foreach (var local in loopback)
                        {
                            // Loopback passes, except when a proxy on this host is the known proxy: then only its word counts.
                            var isProxy = proxies.Contains(local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local);
                            var expected = allowPlain || !(behind && isProxy) || believed;
                            Assert.AreEqual(expected, TransportGate.Allows(allowPlain, behind, proxies, false, local, proto), what + " " + local);
                        }
                    }
                }
            }
        }
    }

    [TestMethod]
    public void StartupWarnsOfPlainHttpOnOtherInterfacesAndOfTheLabSetting()
    {
        var plain = new ServerOptions();
        Assert.AreEqual(0, TransportGate.StartupWarnings(plain, ["http://127.0.0.1:5080", "http://localhost:5080", "http://[::1]:5080", "https://0.0.0.0:443"]).Count());
        Assert.AreEqual(3, TransportGate.StartupWarnings(plain, ["http://0.0.0.0:5080", "http://*:5080", "http://198.18.0.1:80"]).Count());

        var proxied = new ServerOptions { BehindTlsProxy = true };
        Assert.AreEqual(0, TransportGate.StartupWarnings(proxied, ["http://0.0.0.0:5080"]).Count());

        var lab = new ServerOptions { AllowPlainHttp = true };
        StringAssert.Contains(TransportGate.StartupWarnings(lab, ["http://127.0.0.1:5080"]).Single(), "AllowPlainHttp");
    }

    [TestMethod]
    public async Task PlainHttpFromAnotherAddressIsRefusedAndStoresNothing()
    {
        using var address = await TestAddress.AddAsync();
        if (address.Skipped is { } reason)
        {
            Assert.Inconclusive(reason);
        }

        using var logs = new CapturingLoggerProvider();
        await using var server = await StartAsync(logs, _ => { });
        using var local = server.CreateClient();
        using var remote = RemoteClient(server);
        var device = await Devices.EnrollAsync(server);
        var granted = await device.AuthenticateAsync(local);
        var certificate = granted.Certificate;
        StringAssert.Contains(logs.Text, "over plain HTTP", "the non-loopback http:// address is warned of at start");
        var before = Db.Snapshot(server);
        var nonces = Db.Count(server, "SELECT count(*) FROM nonces");

        using var challenge = await device.RequestChallengeAsync(remote);
        using var register = await TestDevice.SendRegistrationAsync(remote, certificate, Devices.Registration(granted.TerminalId));
        using var permits = await TestDevice.GetWithCertificateAsync(remote, certificate, Routes.Permits);
        using var triggers = await TestDevice.PollTriggersAsync(remote, certificate, 0);
        using var connect = await TestDevice.RequestConnectionAsync(remote, certificate, "T0000000000000000");
        using var sessions = await TestDevice.GetWithCertificateAsync(remote, certificate, Routes.Sessions);
        using var publicKey = await remote.GetAsync(Routes.AuthPublicKey);
        using var entry = await remote.GetAsync(Routes.ServiceEntry);
        using var admin = await AdminGet(remote, server, "/v1/admin/devices");
        using var unknown = await remote.GetAsync("/v2/anything");
        foreach (var refused in new[] { challenge, register, permits, triggers, connect, sessions, publicKey, entry, admin, unknown })
        {
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden, ErrorCodes.TlsRequired);
        }

        Assert.AreEqual(before, Db.Snapshot(server), "nothing stored");
        Assert.AreEqual(nonces, Db.Count(server, "SELECT count(*) FROM nonces"), "no nonce issued");
        Assert.IsFalse(logs.Text.Contains(certificate, StringComparison.Ordinal), "the certificate never reaches a log");

        // Probes and metrics carry no secret and stay open; loopback keeps working.
        using var health = await remote.GetAsync("/health");
        using var metrics = await remote.GetAsync("/metrics");
        using var again = await TestDevice.SendRegistrationAsync(local, certificate, Devices.Registration(granted.TerminalId));
        Assert.AreEqual(HttpStatusCode.OK, health.StatusCode);
        Assert.AreEqual(HttpStatusCode.OK, metrics.StatusCode);
        Assert.AreEqual(HttpStatusCode.OK, again.StatusCode);
    }

    [TestMethod]
    public async Task AKnownTlsProxyIsBelievedOnlyWhenItSaysHttps()
    {
        using var address = await TestAddress.AddAsync();
        if (address.Skipped is { } reason)
        {
            Assert.Inconclusive(reason);
        }

        using var logs = new CapturingLoggerProvider();
        await using var server = await StartAsync(logs, o =>
        {
            o.BehindTlsProxy = true;
            o.KnownProxies.Add(Remote);
        });
        using var remote = RemoteClient(server);
        var device = await Devices.EnrollAsync(server);

        using var https = await ChallengeAsync(remote, device, "https");
        using var http = await ChallengeAsync(remote, device, "http");
        using var none = await ChallengeAsync(remote, device);
        using var appended = await ChallengeAsync(remote, device, "https", "https");

        Assert.AreEqual(HttpStatusCode.OK, https.StatusCode, await https.Content.ReadAsStringAsync());
        await ProblemAssert.IsProblemAsync(http, HttpStatusCode.Forbidden, ErrorCodes.TlsRequired);
        await ProblemAssert.IsProblemAsync(none, HttpStatusCode.Forbidden, ErrorCodes.TlsRequired);
        await ProblemAssert.IsProblemAsync(appended, HttpStatusCode.Forbidden, ErrorCodes.TlsRequired);
        Assert.IsFalse(logs.Text.Contains("over plain HTTP", StringComparison.Ordinal), "behind a TLS proxy the plain listener is expected");
    }

    [TestMethod]
    public async Task TheLabSettingServesPlainHttpToAnyHostAndSaysSoAtStart()
    {
        using var address = await TestAddress.AddAsync();
        if (address.Skipped is { } reason)
        {
            Assert.Inconclusive(reason);
        }

        using var logs = new CapturingLoggerProvider();
        await using var server = await StartAsync(logs, o => o.AllowPlainHttp = true);
        using var remote = RemoteClient(server);
        var device = await Devices.EnrollAsync(server);

        var certificate = await device.AuthenticateAsync(remote);

        Assert.IsFalse(string.IsNullOrEmpty(certificate.Certificate));
        StringAssert.Contains(logs.Text, "AllowPlainHttp is on");
    }

    private static Task<TestServer> StartAsync(CapturingLoggerProvider logs, Action<ServerOptions> configure) =>
        TestServer.StartAsync(new TestServerOptions
        {
            Configure = o =>
            {
                // Loopback first (the test's operator client), then the non-loopback address under test.
                o.Urls = "http://127.0.0.1:0;http://" + Remote + ":0";
                o.ConfigureLogging = logging => logging.AddProvider(logs);
                configure(o);
            },
        });

    private static HttpClient RemoteClient(TestServer server)
    {
        var addresses = server.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        var url = addresses.Single(a => a.Contains(Remote.ToString(), StringComparison.Ordinal));
        return new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
    }

    private static Task<HttpResponseMessage> ChallengeAsync(HttpClient http, TestDevice device, params string?[] proto)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Routes.AuthChallenge) { Content = JsonContent.Create(new ChallengeRequest { DeviceId = device.DeviceId, GroupId = device.GroupId }, options: PeerGate.Protocol.Host.WireJson.Options) };
        foreach (var value in proto)
        {
            if (value is not null)
            {
                request.Headers.TryAddWithoutValidation(TransportGate.ForwardedProtoHeader, value);
            }
        }

        return http.SendAsync(request);
    }

    private static Task<HttpResponseMessage> AdminGet(HttpClient http, TestServer server, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", server.AdminToken);
        return http.SendAsync(request);
    }
}

internal static class TransportTestOptions
{
    public static IReadOnlyCollection<IPAddress> Proxies(params IPAddress[] proxies)
    {
        var options = new ServerOptions();
        options.KnownProxies.AddRange(proxies);
        return TransportGate.KnownProxies(options);
    }
}

/// <summary>
/// 198.18.0.1 on a dummy (or veth) interface of this host (a benchmarking range, never routed), so that the
/// server sees a connection that is not loopback. Needs root and iproute2; removed on dispose.
/// </summary>
internal sealed class TestAddress : IDisposable
{
    private const string Interface = "pgtls0";
    private bool _added;

    public string? Skipped { get; private set; }

    public static async Task<TestAddress> AddAsync()
    {
        var address = new TestAddress();
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            address.Skipped = "skipped: adding a non-loopback test address needs root on Linux";
            return address;
        }

        await Ip("link", "del", Interface);
        // A dummy interface where the kernel has the module, else one end of a veth pair (deleting one end deletes both).
        if (await Ip("link", "add", Interface, "type", "dummy") != 0
            && await Ip("link", "add", Interface, "type", "veth", "peer", "name", Interface + "p") != 0)
        {
            address.Skipped = "skipped: cannot create a dummy or veth interface (ip link add)";
            return address;
        }

        address._added = true;
        if (await Ip("addr", "add", "198.18.0.1/32", "dev", Interface) != 0 || await Ip("link", "set", Interface, "up") != 0)
        {
            address.Dispose();
            address.Skipped = "skipped: cannot put 198.18.0.1 on a test interface";
        }

        return address;
    }

    public void Dispose()
    {
        if (_added)
        {
            _added = false;
            Ip("link", "del", Interface).GetAwaiter().GetResult();
        }
    }

    private static async Task<int> Ip(params string[] arguments)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
            return process.ExitCode;
        }
        catch (Exception exception) when (exception is System.ComponentModel.Win32Exception or OperationCanceledException)
        {
            return -1;
        }
    }
}
