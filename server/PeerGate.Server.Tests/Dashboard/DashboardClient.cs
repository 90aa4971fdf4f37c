using System.Net;
using System.Text.RegularExpressions;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Dashboard;

/// <summary>A browser's view of the dashboard over plain HTTP: its own cookies, redirects not followed, forms posted.</summary>
internal sealed partial class DashboardClient : IDisposable
{
    private readonly HttpClient _http;

    public DashboardClient(TestServer server)
    {
        Cookies = new CookieContainer();
        _http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false, UseCookies = true })
        {
            BaseAddress = new Uri(server.OperatorUrl),
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public CookieContainer Cookies { get; }

    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>The value of the session cookie, once logged in.</summary>
    public string? SessionCookie => Cookies.GetCookies(new Uri(BaseAddress, "/dashboard/")).FirstOrDefault(c => c.Name == "peergate-dashboard")?.Value;

    public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(path);

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => _http.SendAsync(request);

    public Task<HttpResponseMessage> PostFormAsync(string path, params (string Name, string Value)[] fields) =>
        _http.PostAsync(path, new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))));

    /// <summary>Opens the login page and posts <paramref name="token"/> with the form's own CSRF value.</summary>
    public async Task<HttpResponseMessage> LogInAsync(string token)
    {
        using var page = await _http.GetAsync("/dashboard/login");
        var csrf = CsrfOf(await page.Content.ReadAsStringAsync());
        return await PostFormAsync("/dashboard/login", ("csrf", csrf), ("token", token));
    }

    /// <summary>Logs in and returns the CSRF token of the session's pages.</summary>
    public async Task<string> LogInOrFailAsync(string token)
    {
        using var login = await LogInAsync(token);
        Assert.AreEqual(HttpStatusCode.SeeOther, login.StatusCode, await login.Content.ReadAsStringAsync());
        using var page = await _http.GetAsync("/dashboard/devices");
        Assert.AreEqual(HttpStatusCode.OK, page.StatusCode);
        return CsrfOf(await page.Content.ReadAsStringAsync());
    }

    public static string CsrfOf(string html)
    {
        var match = CsrfInput().Match(html);
        Assert.IsTrue(match.Success, "the page has a form with the CSRF token: " + html);
        return match.Groups[1].Value;
    }

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("name=\"csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfInput();
}
