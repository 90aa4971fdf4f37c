using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Dashboard;
using PeerGate.Server.Testing;
using PeerGate.Server.Tests.Connections;

namespace PeerGate.Server.Tests.Dashboard;

/// <summary>
/// Who the dashboard (F33) lets in: only its session cookie, got for the operator token; never a device
/// certificate or a bearer header; the cookie opens no other route; every state change needs the CSRF token.
/// </summary>
[TestClass]
public sealed class DashboardAccessTests
{
    private static readonly string[] Pages = ["/dashboard", .. DashboardViews.All.Select(v => "/dashboard/" + v.View)];

    private static readonly string[] Actions =
    [
        "/dashboard/actions/devices/disable", "/dashboard/actions/devices/enable", "/dashboard/actions/certificates/revoke",
        "/dashboard/actions/sessions/terminate", "/dashboard/actions/allocation/entry", "/dashboard/actions/allocation/entry/delete",
        "/dashboard/actions/allocation/service-entry", "/dashboard/logout",
    ];

    [TestMethod]
    public async Task WithoutTheSessionCookieNoDashboardRouteOpensNotWithADeviceCertificateNorABearerToken()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var device = await Devices.RegisterAsync(server, http, await Devices.EnrollAsync(server));
        using var browser = new DashboardClient(server);

        foreach (var bearer in new[] { null, device.Certificate, server.AdminToken })
        {
            foreach (var page in Pages)
            {
                using var response = await SendAsync(browser, HttpMethod.Get, page, bearer);
                Assert.AreEqual(HttpStatusCode.SeeOther, response.StatusCode, page);
                Assert.AreEqual("/dashboard/login", response.Headers.Location?.OriginalString, page);
            }

            using (var events = await SendAsync(browser, HttpMethod.Get, "/dashboard/events?view=devices", bearer))
            {
                await ProblemAssert.IsProblemAsync(events, HttpStatusCode.Unauthorized, ErrorCodes.DashboardUnauthorized);
            }

            foreach (var action in Actions)
            {
                using var response = await SendAsync(browser, HttpMethod.Post, action, bearer, ("deviceId", device.TerminalId));
                await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.DashboardUnauthorized);
            }
        }

        // A device certificate is not the operator token either.
        using var login = await browser.LogInAsync(device.Certificate);
        Assert.AreEqual(HttpStatusCode.Unauthorized, login.StatusCode);
        Assert.IsNull(browser.SessionCookie);
        Assert.IsFalse((await server.Admin.ListDevicesAsync()).Single().Disabled);
    }

    [TestMethod]
    public async Task TheOperatorTokenBuysAnHttpOnlyStrictCookieForTheDashboardOnlyThatLogoutEnds()
    {
        await using var server = await TestServer.StartAsync();
        using var browser = new DashboardClient(server);

        using var login = await browser.LogInAsync(server.AdminToken);

        Assert.AreEqual(HttpStatusCode.SeeOther, login.StatusCode);
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(DashboardSessions.CookieName + "=", StringComparison.Ordinal));
        StringAssert.Contains(cookie, "httponly");
        StringAssert.Contains(cookie, "samesite=strict");
        StringAssert.Contains(cookie, "path=/dashboard");
        StringAssert.Contains(cookie, "max-age=28800");
        Assert.DoesNotContain("secure", cookie, "plain HTTP over loopback is no TLS: the cookie is not marked Secure");
        Assert.AreEqual(1, server.Services.GetRequiredService<DashboardSessions>().Count);

        using var page = await browser.GetAsync("/dashboard/sessions");
        Assert.AreEqual(HttpStatusCode.OK, page.StatusCode);
        Assert.AreEqual(DashboardApi.ContentSecurityPolicy, page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.AreEqual("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        var csrf = DashboardClient.CsrfOf(await page.Content.ReadAsStringAsync());

        using var logout = await browser.PostFormAsync("/dashboard/logout", ("csrf", csrf));
        Assert.AreEqual(HttpStatusCode.SeeOther, logout.StatusCode);
        Assert.AreEqual(0, server.Services.GetRequiredService<DashboardSessions>().Count);

        // The old cookie, sent again as a stolen copy would be, opens nothing.
        var stolen = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(DashboardSessions.CookieName + "=", StringComparison.Ordinal)).Split(';')[0];
        using var replay = new HttpRequestMessage(HttpMethod.Get, "/dashboard/devices");
        replay.Headers.Add("Cookie", stolen);
        using var raw = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = browser.BaseAddress };
        using var replayed = await raw.SendAsync(replay);
        Assert.AreEqual(HttpStatusCode.SeeOther, replayed.StatusCode);
    }

    [TestMethod]
    public async Task TheCookieIsSecureOverHttps()
    {
        using var authority = new TestCertificateAuthority();
        await using var server = await TestServer.StartAsync(new TestServerOptions { Tls = authority.IssueServer([IPAddress.Loopback]) });
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        using var https = new HttpClient(handler) { BaseAddress = new Uri(server.BaseUrl) };

        using var form = await https.GetAsync("/dashboard/login");
        var loginCookie = form.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        using var post = new HttpRequestMessage(HttpMethod.Post, "/dashboard/login")
        {
            Content = new FormUrlEncodedContent([new("csrf", loginCookie.Split('=', 2)[1]), new("token", server.AdminToken)]),
        };
        post.Headers.Add("Cookie", loginCookie);
        using var login = await https.SendAsync(post);

        Assert.AreEqual(HttpStatusCode.SeeOther, login.StatusCode);
        StringAssert.Contains(form.Headers.GetValues("Set-Cookie").Single(), "secure");
        StringAssert.Contains(login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(DashboardSessions.CookieName + "=", StringComparison.Ordinal)), "secure");
    }

    [TestMethod]
    public async Task AStateChangingRequestWithoutItsSessionsCsrfTokenIsRefusedAndChangesNothing()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var enrolled = await Devices.EnrollAsync(server);
        using var browser = new DashboardClient(server);
        using var other = new DashboardClient(server);
        var csrf = await browser.LogInOrFailAsync(server.AdminToken);
        var othersCsrf = await other.LogInOrFailAsync(server.AdminToken);

        var refusals = new List<HttpResponseMessage>
        {
            await browser.PostFormAsync("/dashboard/actions/devices/disable", ("deviceId", enrolled.DeviceId)),
            await browser.PostFormAsync("/dashboard/actions/devices/disable", ("deviceId", enrolled.DeviceId), ("csrf", "")),
            await browser.PostFormAsync("/dashboard/actions/devices/disable", ("deviceId", enrolled.DeviceId), ("csrf", csrf + "x")),
            await browser.PostFormAsync("/dashboard/actions/devices/disable", ("deviceId", enrolled.DeviceId), ("csrf", othersCsrf)),
            await browser.PostFormAsync("/dashboard/actions/devices/disable", ("deviceId", enrolled.DeviceId), ("csrf", csrf), ("csrf", csrf)),
            await browser.PostFormAsync("/dashboard/logout"),
        };
        foreach (var origin in new[] { "https://evil.example", "null", browser.BaseAddress.GetLeftPart(UriPartial.Authority).Replace("127.0.0.1", "localhost", StringComparison.Ordinal) })
        {
            using var crossSite = new HttpRequestMessage(HttpMethod.Post, "/dashboard/actions/devices/disable");
            crossSite.Content = new FormUrlEncodedContent([new("deviceId", enrolled.DeviceId), new("csrf", csrf)]);
            crossSite.Headers.Add("Origin", origin);
            refusals.Add(await browser.SendAsync(crossSite));
        }

        foreach (var refusal in refusals)
        {
            await ProblemAssert.IsProblemAsync(refusal, HttpStatusCode.Forbidden, ErrorCodes.CsrfInvalid);
            refusal.Dispose();
        }

        Assert.IsFalse((await server.Admin.ListDevicesAsync()).Single().Disabled, "nothing changed");
        Assert.AreEqual(2, server.Services.GetRequiredService<DashboardSessions>().Count, "the logout without a token ended nothing");

        // A JSON body carries no form token: refused before anything is read as an action.
        using var json = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/dashboard/actions/devices/disable")
        {
            Content = new StringContent("{\"deviceId\":\"" + enrolled.DeviceId + "\"}", System.Text.Encoding.UTF8, "application/json"),
        });
        await ProblemAssert.IsProblemAsync(json, HttpStatusCode.UnsupportedMediaType, ErrorCodes.UnsupportedMediaType);

        // The login form has its own token: a login posted from elsewhere is refused too.
        using var stranger = new DashboardClient(server);
        using var forgedLogin = await stranger.PostFormAsync("/dashboard/login", ("token", server.AdminToken));
        await ProblemAssert.IsProblemAsync(forgedLogin, HttpStatusCode.Forbidden, ErrorCodes.CsrfInvalid);
        Assert.IsNull(stranger.SessionCookie);

        // With the token (and the page's own origin, as a browser sends it) the request goes through the operator API's handler.
        using var sameOrigin = new HttpRequestMessage(HttpMethod.Post, "/dashboard/actions/devices/disable");
        sameOrigin.Content = new FormUrlEncodedContent([new("deviceId", enrolled.DeviceId), new("csrf", csrf), new("return", "devices")]);
        sameOrigin.Headers.Add("Origin", browser.BaseAddress.GetLeftPart(UriPartial.Authority));
        using var done = await browser.SendAsync(sameOrigin);
        Assert.AreEqual(HttpStatusCode.SeeOther, done.StatusCode);
        Assert.AreEqual("/dashboard/devices", done.Headers.Location?.OriginalString);
        Assert.IsTrue((await server.Admin.ListDevicesAsync()).Single().Disabled);
        using var page = await browser.GetAsync("/dashboard/devices");
        StringAssert.Contains(await page.Content.ReadAsStringAsync(), $"Device {enrolled.DeviceId} disabled");
    }

    [TestMethod]
    public async Task TheSessionCookieOpensNoDeviceOrOperatorApiRoute()
    {
        await using var server = await TestServer.StartAsync();
        using var browser = new DashboardClient(server);
        await browser.LogInOrFailAsync(server.AdminToken);
        var cookie = DashboardSessions.CookieName + "=" + browser.SessionCookie;
        using var raw = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = browser.BaseAddress };

        async Task RefusedAsync(HttpMethod method, string path, HttpStatusCode status, string code)
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Add("Cookie", cookie);
            if (method != HttpMethod.Get)
            {
                request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
            }

            using var response = await raw.SendAsync(request);
            await ProblemAssert.IsProblemAsync(response, status, code);
        }

        await RefusedAsync(HttpMethod.Get, AdminPaths.Devices, HttpStatusCode.Unauthorized, ErrorCodes.AdminUnauthorized);
        await RefusedAsync(HttpMethod.Get, AdminPaths.Sessions, HttpStatusCode.Unauthorized, ErrorCodes.AdminUnauthorized);
        await RefusedAsync(HttpMethod.Post, AdminPaths.Devices, HttpStatusCode.Unauthorized, ErrorCodes.AdminUnauthorized);
        await RefusedAsync(HttpMethod.Post, AdminPaths.Session("S00") + "/terminate", HttpStatusCode.Unauthorized, ErrorCodes.AdminUnauthorized);
        await RefusedAsync(HttpMethod.Post, Routes.Registrations, HttpStatusCode.Unauthorized, ErrorCodes.CertificateMissing);
        await RefusedAsync(HttpMethod.Get, Routes.Permits, HttpStatusCode.Unauthorized, ErrorCodes.CertificateMissing);
        await RefusedAsync(HttpMethod.Get, Routes.Triggers + "?after=0", HttpStatusCode.Unauthorized, ErrorCodes.CertificateMissing);
        await RefusedAsync(HttpMethod.Post, Routes.Connections, HttpStatusCode.Unauthorized, ErrorCodes.CertificateMissing);
        await RefusedAsync(HttpMethod.Get, Routes.Sessions, HttpStatusCode.Unauthorized, ErrorCodes.CertificateMissing);
        Assert.AreEqual(0, Db.Count(server, "SELECT count(*) FROM devices"));
    }

    [TestMethod]
    public async Task ALoginEndsAfterItsLifetimeOnTheServersClock()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = options => options.DashboardSessionLifetime = TimeSpan.FromMinutes(30) });
        using var browser = new DashboardClient(server);
        await browser.LogInOrFailAsync(server.AdminToken);

        server.Time!.Advance(TimeSpan.FromMinutes(29));
        using var before = await browser.GetAsync("/dashboard/groups");
        server.Time.Advance(TimeSpan.FromMinutes(1));
        using var after = await browser.GetAsync("/dashboard/groups");

        Assert.AreEqual(HttpStatusCode.OK, before.StatusCode);
        Assert.AreEqual(HttpStatusCode.SeeOther, after.StatusCode);
        Assert.AreEqual(0, server.Services.GetRequiredService<DashboardSessions>().Count);
    }

    [TestMethod]
    public async Task LoginsAreBoundedTheOldestEndsFirst()
    {
        await using var server = await TestServer.StartAsync(new TestServerOptions { Configure = options => options.DashboardMaxSessions = 2 });
        using var first = new DashboardClient(server);
        using var second = new DashboardClient(server);
        using var third = new DashboardClient(server);
        await first.LogInOrFailAsync(server.AdminToken);
        server.Time!.Advance(TimeSpan.FromSeconds(1));
        await second.LogInOrFailAsync(server.AdminToken);
        server.Time.Advance(TimeSpan.FromSeconds(1));
        await third.LogInOrFailAsync(server.AdminToken);

        using var oldest = await first.GetAsync("/dashboard/devices");
        using var newer = await second.GetAsync("/dashboard/devices");

        Assert.AreEqual(HttpStatusCode.SeeOther, oldest.StatusCode);
        Assert.AreEqual(HttpStatusCode.OK, newer.StatusCode);
        Assert.AreEqual(2, server.Services.GetRequiredService<DashboardSessions>().Count);
    }

    [TestMethod]
    public async Task TheOperatorTokenReachesNoPageAndNoLog()
    {
        using var logs = new CapturingLoggerProvider();
        var options = logs.ServerOptions(LogLevel.Trace);
        await using var server = await TestServer.StartAsync(new TestServerOptions { AdminToken = "op-" + Guid.NewGuid().ToString("N"), Configure = options.Configure });
        using var browser = new DashboardClient(server);
        using var wrong = await browser.LogInAsync(server.AdminToken + "-wrong");
        var csrf = await browser.LogInOrFailAsync(server.AdminToken);

        var pages = new List<string> { await wrong.Content.ReadAsStringAsync() };
        foreach (var page in Pages.Append("/dashboard/login"))
        {
            using var response = await browser.GetAsync(page);
            pages.Add(await response.Content.ReadAsStringAsync());
        }

        using var logout = await browser.PostFormAsync("/dashboard/logout", ("csrf", csrf));

        foreach (var page in pages)
        {
            Assert.DoesNotContain(server.AdminToken, page);
        }

        StringAssert.Contains(logs.Text, "Dashboard login from 127.0.0.1 refused");
        StringAssert.Contains(logs.Text, "Dashboard login from 127.0.0.1, until");
        Assert.DoesNotContain(server.AdminToken, logs.Text);
    }

    [TestMethod]
    public async Task WhatDevicesSayIsEncodedOnThePagesAndTheLastBusyAnswerIsShown()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var (callee, caller) = await ConnectionQueryTests.PairAsync(server, http, permit: true);
        const string Markup = "<img src=x onerror=alert(1)>\"'&";
        await using (var responder = new TriggerResponder(http, callee.Certificate, query => TestDevice.Reply(query.Seq, AcceptStatus.Busy, Markup, 30)))
        {
            await Eventually.PollingAsync(server, callee.TerminalId);
            using var busy = await TestDevice.RequestConnectionAsync(http, caller.Certificate, callee.TerminalId);
            await ProblemAssert.IsProblemAsync(busy, HttpStatusCode.ServiceUnavailable, ErrorCodes.CalleeBusy);
        }

        using var browser = new DashboardClient(server);
        await browser.LogInOrFailAsync(server.AdminToken);
        using var page = await browser.GetAsync("/dashboard/devices");
        var html = await page.Content.ReadAsStringAsync();
        var summary = (await server.Admin.ListDevicesAsync()).Single(d => d.TerminalId == callee.TerminalId);

        Assert.AreEqual((AcceptStatus.Busy, Markup), (summary.LastAnswer, summary.LastAnswerReason));
        Assert.AreEqual(server.Time!.GetUtcNow().ToUnixTimeSeconds(), summary.LastAnswerAt);
        CollectionAssert.AreEqual(new[] { ConnectionPaths.Direct }, summary.Paths, "declared reachable, so callers dial it");
        Assert.DoesNotContain("<img", html);
        StringAssert.Contains(html, "busy (&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;&amp;)");
    }

    private static async Task<HttpResponseMessage> SendAsync(DashboardClient browser, HttpMethod method, string path, string? bearer, params (string Name, string Value)[] form)
    {
        var request = new HttpRequestMessage(method, path);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (method == HttpMethod.Post)
        {
            request.Content = new FormUrlEncodedContent(form.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        }

        return await browser.SendAsync(request);
    }
}
