using Microsoft.Playwright;

namespace PeerGate.Dashboard.Tests;

/// <summary>
/// Debian's chromium, headless, driven by Playwright: one page, closed within a bounded time. Without
/// /usr/bin/chromium the test reports skipped with the reason (never a pass). Playwright's own browser
/// builds are never downloaded or used.
/// </summary>
public sealed class DashboardBrowser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>Every wait for the page: navigation, a selector, an expectation.</summary>
    public const float WaitMillis = 30_000;

    private static readonly TimeSpan CloseLimit = TimeSpan.FromSeconds(20);

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly TestContext _context;

    private DashboardBrowser(IPlaywright playwright, IBrowser browser, IPage page, TestContext context)
    {
        _playwright = playwright;
        _browser = browser;
        _context = context;
        Page = page;
    }

    public IPage Page { get; }

    /// <summary>What the page's console said (CSP violations show up here).</summary>
    public List<string> Console { get; } = [];

    public static async Task<DashboardBrowser> LaunchAsync(TestContext context)
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Inconclusive($"skipped: no browser at {ChromiumPath} (apt-get install chromium; test.sh installs it)");
        }

        Assertions.SetDefaultExpectTimeout(WaitMillis);
        var playwright = await Playwright.CreateAsync();
        IBrowser? browser = null;
        try
        {
            browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Timeout = 60_000,

                // Root in a container: no user namespace for chromium's sandbox, and a small /dev/shm.
                Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
            });
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
            page.SetDefaultTimeout(WaitMillis);
            page.SetDefaultNavigationTimeout(WaitMillis);
            var launched = new DashboardBrowser(playwright, browser, page, context);
            page.Console += (_, message) =>
            {
                lock (launched.Console)
                {
                    launched.Console.Add(message.Type + ": " + message.Text);
                }
            };
            return launched;
        }
        catch
        {
            if (browser is not null)
            {
                await CloseAsync(browser);
            }

            playwright.Dispose();
            throw;
        }
    }

    /// <summary>Logs in through the login page as an operator would: types the token, presses the button.</summary>
    public async Task LogInAsync(string baseUrl, string token)
    {
        await Page.GotoAsync(baseUrl + "/dashboard");
        await Page.WaitForURLAsync("**/dashboard/login");
        await Page.FillAsync("#token", token);
        await Page.ClickAsync("#login button[type=submit]");
        try
        {
            // The first login of a run meets a cold server and a cold browser, beside the rest of the suite.
            // Arriving is the commit of the navigation: the load event can lag far behind on a loaded
            // machine, and the live stream state below is what shows the page works.
            await Page.WaitForURLAsync("**/dashboard", new PageWaitForURLOptions { Timeout = 2 * WaitMillis, WaitUntil = WaitUntilState.Commit });
        }
        catch (TimeoutException)
        {
            // Left on another page (the login form with its error, a refusal): say which, and what it says.
            Assert.Fail($"the login did not reach the dashboard; the page is {Page.Url}: {await Page.InnerTextAsync("body")}");
        }

        await Assertions.Expect(Page.Locator("#stream-state")).ToHaveTextAsync("live");
    }

    /// <summary>Saves the whole page as a PNG into the test's results and returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "dashboard");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        _context.AddResultFile(path);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync(_browser);
        _playwright.Dispose();
    }

    /// <summary>Closes chromium; past the limit the Playwright driver's end takes it down.</summary>
    private static async Task CloseAsync(IBrowser browser)
    {
        try
        {
            await browser.CloseAsync().WaitAsync(CloseLimit);
        }
        catch (TimeoutException)
        {
            // Disposing the driver next ends the browser process it started.
        }
    }
}
