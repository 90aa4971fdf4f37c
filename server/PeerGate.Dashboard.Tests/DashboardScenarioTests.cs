using Microsoft.Playwright;
using PeerGate.Protocol;
using PeerGate.VirtualDevice.Commands;
using PeerGate.VirtualDevice.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace PeerGate.Dashboard.Tests;

/// <summary>
/// The operator dashboard (F33) in Debian's chromium against a real server on 127.0.0.1 and real virtual
/// devices: what the operator sees change live (server-sent events, no reload) and what the page's
/// buttons do to the devices.
/// </summary>
[TestClass]
public sealed class DashboardScenarioTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Cancel => TestContext.CancellationToken;

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task TheOperatorLogsInAndWatchesDevicesComeOnline()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var callee = await lab.AddDeviceAsync(listens: true, Cancel);
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);
        await using var browser = await DashboardBrowser.LaunchAsync(TestContext);
        var page = browser.Page;

        await browser.LogInAsync(lab.Server.BaseUrl, lab.Server.AdminToken);
        var calleeRow = page.Locator($"#devices tr[data-device='{callee.Device.Image.DeviceId}']");
        var callerRow = page.Locator($"#devices tr[data-device='{caller.Device.Image.DeviceId}']");
        await Expect(calleeRow).ToHaveAttributeAsync("data-state", "offline");
        await Expect(callerRow).ToHaveAttributeAsync("data-state", "offline");
        await page.EvaluateAsync("window.peergateMark = 'before the devices'");

        var calleeAgent = await callee.StartAsync(Cancel);
        var callerAgent = await caller.StartAsync(Cancel);

        await Expect(calleeRow).ToHaveAttributeAsync("data-state", "online");
        await Expect(callerRow).ToHaveAttributeAsync("data-state", "online");
        await Expect(calleeRow.Locator("td.paths")).ToHaveTextAsync(ConnectionPaths.Direct);
        await Expect(callerRow.Locator("td.paths")).ToHaveTextAsync("none (takes no connections)");
        await Expect(calleeRow).ToHaveAttributeAsync("data-terminal", calleeAgent.TerminalId!);
        await Expect(callerRow).ToHaveAttributeAsync("data-terminal", callerAgent.TerminalId!);
        Assert.AreEqual("before the devices", await page.EvaluateAsync<string>("window.peergateMark"), "the rows changed in place, without a reload");
        await browser.ScreenshotAsync("devices-online");
        AssertNoConsoleErrors(browser);
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task ASessionOpensAndTerminatingItFromThePageEndsItOnBothDevices()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var callee = await lab.AddDeviceAsync(listens: true, Cancel);
        var caller = await lab.AddDeviceAsync(listens: false, Cancel);
        var calleeAgent = await callee.StartAsync(Cancel);
        var callerId = await caller.TerminalIdAsync();
        Assert.AreEqual(Cli.Ok, Cli.Run(["permit", "add", "terminal:" + callerId, .. callee.CliOptions], out var permitted), permitted);
        var callerAgent = await caller.StartAsync(Cancel);
        await using var browser = await DashboardBrowser.LaunchAsync(TestContext);
        var page = browser.Page;
        await browser.LogInAsync(lab.Server.BaseUrl, lab.Server.AdminToken);
        await page.ClickAsync("nav a[href='/dashboard/sessions']");
        await Expect(page.Locator("#no-live-sessions")).ToBeVisibleAsync();
        await Expect(page.Locator("#stream-state")).ToHaveTextAsync("live");

        var grant = callerAgent.Connections.Request(calleeAgent.TerminalId!, 0);
        var channel = callerAgent.Dialer.Dial(grant, callerAgent.TerminalId!);
        var transfer = EchoLoop.Start(channel);
        Assert.IsTrue(transfer.WaitRunning(ConnectionLab.WaitLimit, Cancel), "the transfer is running");

        var live = page.Locator($"#live-sessions tr[data-session='{grant.SessionId}']");
        await Expect(live).ToBeVisibleAsync();
        await Expect(live).ToContainTextAsync(callerAgent.TerminalId!);
        await Expect(live).ToContainTextAsync(calleeAgent.TerminalId!);
        await browser.ScreenshotAsync("session-live");
        await live.Locator("button[data-action='sessions/terminate']").ClickAsync();

        await Expect(page.Locator("#notice")).ToContainTextAsync($"Session {grant.SessionId} terminated");
        Assert.IsTrue(transfer.Completion.Wait(ConnectionLab.WaitLimit, Cancel), "the caller's transfer ended");
        Assert.IsTrue(callerAgent.Sessions.ReportEnd(channel.Session), caller.Log);
        var ended = page.Locator($"#ended-sessions tr[data-session='{grant.SessionId}']");
        await Expect(ended.Locator("td.ended-by")).ToHaveTextAsync("operator");
        await Expect(ended.Locator("td.caller-notice")).ToHaveTextAsync(SessionEndReasons.Terminated);
        await Expect(ended.Locator("td.callee-notice")).ToHaveTextAsync(SessionEndReasons.Terminated);
        await Expect(ended.Locator("td.caller-bytes")).Not.ToHaveTextAsync("no notice");
        await Expect(ended.Locator("td.callee-bytes")).Not.ToHaveTextAsync("no notice");
        await Expect(page.Locator($"#live-sessions tr[data-session='{grant.SessionId}']")).ToHaveCountAsync(0);
        Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => calleeAgent.Load.ActiveSessions == 0, Cancel), callee.Log);
        await browser.ScreenshotAsync("session-terminated");
        AssertNoConsoleErrors(browser);
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task ARefusedStrangerShowsInTheAttemptLogWithItsStageAndReason()
    {
        await using var lab = await ConnectionLab.StartAsync(Cancel);
        var callee = await lab.AddDeviceAsync(listens: true, Cancel);
        var friend = await lab.AddDeviceAsync(listens: false, Cancel);
        var stranger = await lab.AddDeviceAsync(listens: false, Cancel);
        var calleeAgent = await callee.StartAsync(Cancel);
        var friendId = await friend.TerminalIdAsync();
        var strangerId = await stranger.TerminalIdAsync();
        Assert.AreEqual(Cli.Ok, Cli.Run(["permit", "add", "terminal:" + friendId, .. callee.CliOptions], out var permitted), permitted);
        Assert.AreEqual(Cli.Ok, Cli.Run(["connect", calleeAgent.TerminalId!, "--message", "a friend", .. friend.CliOptions], out var welcome), welcome + callee.Log);
        await using var browser = await DashboardBrowser.LaunchAsync(TestContext);
        var page = browser.Page;
        await browser.LogInAsync(lab.Server.BaseUrl, lab.Server.AdminToken);
        await page.ClickAsync("nav a[href='/dashboard/attempts']");
        await Expect(page.Locator("#stream-state")).ToHaveTextAsync("live");

        Assert.AreEqual(Cli.Failure, Cli.Run(["connect", calleeAgent.TerminalId!, "--message", "let me in", .. stranger.CliOptions], out var refusal), refusal);
        Assert.Contains($"denied: {ErrorCodes.PermissionDenied}", refusal);

        var refused = page.Locator($"#attempts tr[data-caller='{strangerId}']");
        await Expect(refused).ToHaveCountAsync(1);
        await Expect(refused.Locator("td.stage")).ToHaveTextAsync("callee_found");
        await Expect(refused.Locator("td.outcome")).ToHaveTextAsync(ErrorCodes.PermissionDenied);
        await Expect(page.Locator($"#attempts tr[data-caller='{friendId}'] td.outcome")).ToHaveTextAsync("granted");

        await page.FillAsync("#attempt-filter input[name=code]", ErrorCodes.PermissionDenied);
        await page.ClickAsync("#attempt-filter button[type=submit]");
        await page.WaitForURLAsync("**/dashboard/attempts?*code=" + ErrorCodes.PermissionDenied + "*");
        await Expect(page.Locator("#attempts tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator($"#attempts tr[data-caller='{strangerId}']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#stream-state")).ToHaveTextAsync("live");
        await browser.ScreenshotAsync("attempt-refused");
        AssertNoConsoleErrors(browser);
    }

    /// <summary>The page's script ran under the Content-Security-Policy without a violation or error.</summary>
    private static void AssertNoConsoleErrors(DashboardBrowser browser)
    {
        lock (browser.Console)
        {
            Assert.IsFalse(browser.Console.Any(line => line.StartsWith("error", StringComparison.Ordinal)), string.Join("\n", browser.Console));
        }
    }
}
