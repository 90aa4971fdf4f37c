using System.Globalization;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Admin;
using PeerGate.Server.Allocation;
using PeerGate.Server.Connections;
using PeerGate.Server.Permits;
using PeerGate.Server.Sessions;

namespace PeerGate.Server.Dashboard;

/// <summary>
/// The dashboard's pages (F33). Each has a live part, rendered again for its event stream, and an optional
/// fixed part (forms the operator types into, which an update must not wipe). Everything is read from the
/// same stores the operator API answers from.
/// </summary>
public static class DashboardViews
{
    public const string Devices = "devices";
    public const string Groups = "groups";
    public const string Permits = "permits";
    public const string Allocation = "allocation";
    public const string Sessions = "sessions";
    public const string Attempts = "attempts";

    /// <summary>Every page, in the order of the navigation, with its title.</summary>
    public static readonly (string View, string Title)[] All =
    [
        (Devices, "Devices"),
        (Groups, "Groups"),
        (Permits, "Permit tables"),
        (Allocation, "Allocation"),
        (Sessions, "Sessions"),
        (Attempts, "Connection attempts"),
    ];

    /// <summary>How many rows a table shows at most.</summary>
    public const int RowLimit = 200;

    public static bool IsView(string? view) => view is not null && All.Any(v => v.View == view);

    public static string TitleOf(string view) => All.First(v => v.View == view).Title;

    /// <summary>The filter of the attempts page, from its query; values bounded so a long query is no long SQL parameter.</summary>
    public static ConnectionAttemptFilter AttemptFilter(IQueryCollection query) => new(
        Bounded(query["caller"]), Bounded(query["callee"]), Bounded(query["stage"]), Bounded(query["code"]));

    /// <summary>The part of the page the event stream keeps current.</summary>
    public static async Task<Markup> RenderLiveAsync(string view, HttpContext context, DashboardSession session)
    {
        var services = context.RequestServices;
        var html = new Html();
        var csrf = session.CsrfToken;
        switch (view)
        {
            case Devices:
                await DevicesTableAsync(html, services.GetRequiredService<AdminStore>(), csrf);
                break;
            case Groups:
                GroupsTable(html, services.GetRequiredService<AdminStore>());
                break;
            case Permits:
                await PermitTablesAsync(html, services.GetRequiredService<AdminStore>(), services.GetRequiredService<PermitStore>());
                break;
            case Allocation:
                AllocationTables(html, services.GetRequiredService<AllocationStore>(), csrf);
                break;
            case Sessions:
                await SessionTablesAsync(html, services.GetRequiredService<SessionStore>(), services.GetRequiredService<TimeProvider>(), csrf);
                break;
            case Attempts:
                await AttemptsTableAsync(html, services.GetRequiredService<ConnectionStore>(), AttemptFilter(context.Request.Query));
                break;
        }

        return html.ToMarkup();
    }

    /// <summary>The part of the page that stays as the operator typed it: the allocation forms, the attempts filter.</summary>
    public static Markup RenderFixed(string view, HttpContext context, DashboardSession session)
    {
        var html = new Html();
        if (view == Allocation)
        {
            AllocationForms(html, session.CsrfToken);
        }
        else if (view == Attempts)
        {
            AttemptsFilter(html, AttemptFilter(context.Request.Query));
        }

        return html.ToMarkup();
    }

    private static async Task DevicesTableAsync(Html html, AdminStore store, string csrf)
    {
        var devices = await store.ListDevicesAsync();
        html.Add($"<h2>Devices <span class=\"count\">{devices.Length}</span></h2>");
        if (devices.Length == 0)
        {
            html.Add($"<p class=\"empty\">No device is enrolled yet.</p>");
        }
        else
        {
            html.Add($"<table id=\"devices\"><thead><tr><th>Device</th><th>Name</th><th>Terminal</th><th>Groups</th><th>State</th><th>Declared address</th><th>Observed address</th><th>Reachable by</th><th>Trigger channel</th><th>Last seen</th><th>Last answer</th><th>Actions</th></tr></thead><tbody>");
            foreach (var device in devices.Take(RowLimit))
            {
                var state = device.Disabled ? "disabled" : device.Online ? "online" : "offline";
                html.Add($"<tr data-device=\"{device.DeviceId}\" data-terminal=\"{device.TerminalId}\" data-state=\"{state}\">");
                html.Add($"<td class=\"id\">{device.DeviceId}</td><td>{device.Name}</td><td class=\"id\">{device.TerminalId}</td><td>{string.Join(", ", device.Groups)}</td>");
                html.Add($"<td><span class=\"badge {state}\">{state}</span></td>");
                html.Add($"<td>{Address(device.LocalIp, device.LocalPort)}</td><td>{Address(device.ObservedIp, device.ObservedPort)}</td>");
                html.Add($"<td class=\"paths\">{PathsText(device.Paths)}</td><td>{device.TriggerChannel}</td><td>{Time(device.LastSeen)}</td>");
                html.Add($"<td class=\"answer\">{AnswerText(device)}</td><td class=\"actions\">");
                html.Add($"{Action(device.Disabled ? "devices/enable" : "devices/disable", csrf, Devices, device.Disabled ? "Enable" : "Disable", ("deviceId", device.DeviceId))}</td></tr>");
            }

            html.Add($"</tbody></table>");
        }

        var certificates = store.ListCertificates(RowLimit);
        html.Add($"<h2>Certificates <span class=\"count\">{certificates.Length}</span></h2>");
        if (certificates.Length == 0)
        {
            html.Add($"<p class=\"empty\">No certificate has been issued yet.</p>");
            return;
        }

        html.Add($"<table id=\"certificates\"><thead><tr><th>Serial</th><th>Device</th><th>Terminal</th><th>Issued</th><th>Expires</th><th>State</th><th>Actions</th></tr></thead><tbody>");
        foreach (var certificate in certificates)
        {
            var state = certificate.Revoked ? "revoked" : "valid";
            html.Add($"<tr data-serial=\"{certificate.Serial}\"><td class=\"id\">{certificate.Serial}</td><td class=\"id\">{certificate.DeviceId}</td><td class=\"id\">{certificate.TerminalId}</td>");
            html.Add($"<td>{Time(certificate.IssuedAt)}</td><td>{Time(certificate.ExpiresAt)}</td><td><span class=\"badge {state}\">{state}</span></td><td class=\"actions\">");
            if (!certificate.Revoked)
            {
                html.Add($"{Action("certificates/revoke", csrf, Devices, "Revoke", ("serial", certificate.Serial))}");
            }

            html.Add($"</td></tr>");
        }

        html.Add($"</tbody></table>");
    }

    private static void GroupsTable(Html html, AdminStore store)
    {
        var groups = store.ListGroups();
        html.Add($"<h2>Groups <span class=\"count\">{groups.Length}</span></h2>");
        if (groups.Length == 0)
        {
            html.Add($"<p class=\"empty\">No group is enrolled yet.</p>");
            return;
        }

        html.Add($"<table id=\"groups\"><thead><tr><th>Group</th><th>Key</th><th>State</th><th>Members</th><th>Enrolled / cap</th><th>Enrollment</th><th>Allowlist</th><th>Created</th></tr></thead><tbody>");
        foreach (var group in groups.Take(RowLimit))
        {
            var state = group.Revoked ? "revoked" : group.Disabled ? "disabled" : "active";
            var key = group.HasKey ? "v" + group.Derivation.ToString(CultureInfo.InvariantCulture) : "none";
            var cap = group.Enrolled.ToString(CultureInfo.InvariantCulture) + " / " + group.EnrollmentCap.ToString(CultureInfo.InvariantCulture) + (group.CapIsDefault ? " (default)" : "");
            var allowlist = group.AllowlistOn ? group.AllowlistEntries.ToString(CultureInfo.InvariantCulture) + " entries" : "off";
            html.Add($"<tr><td class=\"id\">{group.GroupId}</td><td>{key}</td><td><span class=\"badge {state}\">{state}</span></td><td>{group.Members}</td>");
            html.Add($"<td>{cap}</td><td>{(group.EnrollmentStopped ? "stopped" : "open")}</td><td>{allowlist}</td><td>{Time(group.CreatedAt)}</td></tr>");
        }

        html.Add($"</tbody></table>");
    }

    private static async Task PermitTablesAsync(Html html, AdminStore store, PermitStore permits)
    {
        var terminals = (await store.ListDevicesAsync()).Where(d => d.TerminalId is not null).Take(RowLimit).ToList();
        html.Add($"<h2>Permit tables <span class=\"count\">{terminals.Count}</span></h2>");
        if (terminals.Count == 0)
        {
            html.Add($"<p class=\"empty\">No terminal has authenticated yet.</p>");
            return;
        }

        html.Add($"<table id=\"permits\"><thead><tr><th>Terminal</th><th>Device</th><th>Who may connect</th><th>Strangers get</th><th>Kept by</th></tr></thead><tbody>");
        foreach (var device in terminals)
        {
            var table = permits.Table(device.TerminalId!);
            var entries = table.Entries.Length == 0 ? "nobody" : string.Join(", ", table.Entries.Select(e => e.Kind + ":" + e.Value));
            html.Add($"<tr data-terminal=\"{device.TerminalId}\"><td class=\"id\">{device.TerminalId}</td><td class=\"id\">{device.DeviceId}</td><td>{entries}</td>");
            html.Add($"<td>{(table.UniformDenial ? ErrorCodes.CalleeNotFound + " (uniform denial)" : ErrorCodes.PermissionDenied)}</td><td>{(table.DeviceHeld ? "the device (F15)" : "the server")}</td></tr>");
        }

        html.Add($"</tbody></table>");
    }

    private static void AllocationTables(Html html, AllocationStore store, string csrf)
    {
        var entry = store.GetServiceEntry();
        html.Add($"<h2>Service entry</h2>");
        if (entry is null)
        {
            html.Add($"<p class=\"empty\" id=\"service-entry\">None: GET /v1/service/entry answers service_entry_missing.</p>");
        }
        else
        {
            html.Add($"<p id=\"service-entry\">{entry.Role} at <span class=\"id\">{entry.Url}</span>, level {entry.Level}</p>");
        }

        var entries = store.ListEntries();
        html.Add($"<h2>Allocation entries <span class=\"count\">{entries.Length}</span></h2>");
        if (entries.Length == 0)
        {
            html.Add($"<p class=\"empty\">No allocation entry.</p>");
            return;
        }

        html.Add($"<table id=\"allocation\"><thead><tr><th>Level</th><th>Key</th><th>Role</th><th>URL</th><th>Next level</th><th>Actions</th></tr></thead><tbody>");
        foreach (var row in entries.Take(RowLimit))
        {
            html.Add($"<tr data-key=\"{row.Key}\"><td>{row.Level}</td><td class=\"id\">{row.Key}</td><td>{row.Role}</td><td class=\"id\">{row.Url}</td><td>{row.NextLevel}</td>");
            html.Add($"<td class=\"actions\">{Action("allocation/entry/delete", csrf, Allocation, "Delete", ("level", row.Level.ToString(CultureInfo.InvariantCulture)), ("key", row.Key))}</td></tr>");
        }

        html.Add($"</tbody></table>");
    }

    private static void AllocationForms(Html html, string csrf)
    {
        html.Add($"<section class=\"forms\"><form method=\"post\" action=\"/dashboard/actions/allocation/entry\" id=\"set-entry\"><fieldset><legend>Set an allocation entry</legend>");
        html.Add($"<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"return\" value=\"{Allocation}\">");
        html.Add($"<label>Level <input name=\"level\" type=\"number\" min=\"1\" max=\"4\" value=\"1\" required></label>");
        html.Add($"<label>Key <input name=\"key\" required maxlength=\"64\"></label>");
        html.Add($"<label>Role <select name=\"role\"><option>{HopRoles.Allocation}</option><option selected>{HopRoles.Authentication}</option></select></label>");
        html.Add($"<label>URL <input name=\"url\" type=\"url\" required maxlength=\"512\"></label>");
        html.Add($"<label>Next level <input name=\"nextLevel\" type=\"number\" min=\"0\" max=\"4\" value=\"0\" required></label>");
        html.Add($"<button type=\"submit\">Save entry</button></fieldset></form>");
        html.Add($"<form method=\"post\" action=\"/dashboard/actions/allocation/service-entry\" id=\"set-service-entry\"><fieldset><legend>Set the service entry</legend>");
        html.Add($"<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"return\" value=\"{Allocation}\">");
        html.Add($"<label>Role <select name=\"role\"><option selected>{HopRoles.Allocation}</option><option>{HopRoles.Authentication}</option></select></label>");
        html.Add($"<label>URL <input name=\"url\" type=\"url\" required maxlength=\"512\"></label>");
        html.Add($"<label>Level <input name=\"level\" type=\"number\" min=\"0\" max=\"4\" value=\"1\" required></label>");
        html.Add($"<button type=\"submit\">Save service entry</button></fieldset></form></section>");
    }

    private static async Task SessionTablesAsync(Html html, SessionStore store, TimeProvider time, string csrf)
    {
        var sessions = await store.RecentAsync(RowLimit, time.GetUtcNow().ToUnixTimeSeconds());
        var live = sessions.Where(s => s.State == SessionStates.Active).ToList();
        var ended = sessions.Where(s => s.State != SessionStates.Active).ToList();
        html.Add($"<h2>Live sessions <span class=\"count\">{live.Count}</span></h2>");
        if (live.Count == 0)
        {
            html.Add($"<p class=\"empty\" id=\"no-live-sessions\">No session is active.</p>");
        }
        else
        {
            html.Add($"<table id=\"live-sessions\"><thead><tr><th>Session</th><th>Caller</th><th>Callee</th><th>Started</th><th>Ends</th><th>Byte limit</th><th>Actions</th></tr></thead><tbody>");
            foreach (var session in live)
            {
                html.Add($"<tr data-session=\"{session.SessionId}\"><td class=\"id\">{session.SessionId}</td><td class=\"id\">{session.Caller}</td><td class=\"id\">{session.Callee}</td>");
                html.Add($"<td>{Time(session.StartedAt)}</td><td>{Time(session.EndsAt)}</td><td>{Bytes(session.ByteLimit)}</td>");
                html.Add($"<td class=\"actions\">{Action("sessions/terminate", csrf, Sessions, "Terminate", ("sessionId", session.SessionId))}</td></tr>");
            }

            html.Add($"</tbody></table>");
        }

        html.Add($"<h2>Ended sessions <span class=\"count\">{ended.Count}</span></h2>");
        if (ended.Count == 0)
        {
            html.Add($"<p class=\"empty\">No session has ended yet.</p>");
            return;
        }

        html.Add($"<table id=\"ended-sessions\"><thead><tr><th>Session</th><th>Caller</th><th>Callee</th><th>State</th><th>Ended by</th><th>Ended</th>");
        html.Add($"<th>Caller sent / received</th><th>Caller's end</th><th>Callee sent / received</th><th>Callee's end</th></tr></thead><tbody>");
        foreach (var session in ended)
        {
            html.Add($"<tr data-session=\"{session.SessionId}\"><td class=\"id\">{session.SessionId}</td><td class=\"id\">{session.Caller}</td><td class=\"id\">{session.Callee}</td>");
            html.Add($"<td>{session.State}</td><td class=\"ended-by\">{session.EndedBy}</td><td>{Time(session.EndedAt)}</td>");
            html.Add($"<td class=\"caller-bytes\">{NoticeBytes(session.CallerNotice)}</td><td class=\"caller-notice\">{NoticeReason(session.CallerNotice)}</td>");
            html.Add($"<td class=\"callee-bytes\">{NoticeBytes(session.CalleeNotice)}</td><td class=\"callee-notice\">{NoticeReason(session.CalleeNotice)}</td></tr>");
        }

        html.Add($"</tbody></table>");
    }

    private static void AttemptsFilter(Html html, ConnectionAttemptFilter filter)
    {
        html.Add($"<form method=\"get\" action=\"/dashboard/{Attempts}\" id=\"attempt-filter\" class=\"filter\"><fieldset><legend>Filter</legend>");
        html.Add($"<label>Caller <input name=\"caller\" value=\"{filter.Caller}\" maxlength=\"64\"></label>");
        html.Add($"<label>Callee <input name=\"callee\" value=\"{filter.Callee}\" maxlength=\"64\"></label>");
        html.Add($"<label>Stage <select name=\"stage\"><option value=\"\">any</option>");
        foreach (var stage in StageNames)
        {
            html.Add($"<option{(stage == filter.Stage ? new Markup(" selected") : default)}>{stage}</option>");
        }

        html.Add($"</select></label><label>Outcome <input name=\"code\" value=\"{filter.Code}\" maxlength=\"64\" placeholder=\"granted, permission_denied, ...\"></label>");
        html.Add($"<button type=\"submit\">Filter</button> <a href=\"/dashboard/{Attempts}\">Clear</a></fieldset></form>");
    }

    private static async Task AttemptsTableAsync(Html html, ConnectionStore store, ConnectionAttemptFilter filter)
    {
        var attempts = await store.RecentAttemptsAsync(RowLimit, filter);
        html.Add($"<h2>Connection attempts <span class=\"count\">{attempts.Length}</span></h2>");
        if (attempts.Length == 0)
        {
            html.Add($"<p class=\"empty\">No connection attempt matches.</p>");
            return;
        }

        html.Add($"<table id=\"attempts\"><thead><tr><th>At</th><th>Caller</th><th>Callee</th><th>Stage reached</th><th>Outcome</th><th>Session</th><th>Path</th><th>No path because</th></tr></thead><tbody>");
        foreach (var attempt in attempts)
        {
            var outcome = attempt.Code ?? "granted";
            html.Add($"<tr data-caller=\"{attempt.Caller}\" data-outcome=\"{outcome}\"><td>{Time(attempt.At)}</td><td class=\"id\">{attempt.Caller}</td><td class=\"id\">{attempt.Callee}</td>");
            html.Add($"<td class=\"stage\">{attempt.Stage}</td><td class=\"outcome\"><span class=\"badge {(attempt.Code is null ? "online" : "refused")}\">{outcome}</span></td>");
            html.Add($"<td class=\"id\">{attempt.SessionId}</td><td>{attempt.Path}</td><td>{attempt.NoPath}</td></tr>");
        }

        html.Add($"</tbody></table>");
    }

    private static readonly string[] StageNames =
    [
        AttemptStages.Received, AttemptStages.CalleeFound, AttemptStages.PermitQuery, AttemptStages.Permitted, AttemptStages.Online,
        AttemptStages.StatusQuery, AttemptStages.Accepted, AttemptStages.Offered, AttemptStages.Granted,
    ];

    /// <summary>A form of one button that posts an action with the session's CSRF token.</summary>
    private static Markup Action(string action, string csrf, string returnView, string label, params (string Name, string Value)[] fields)
    {
        var html = new Html();
        html.Add($"<form method=\"post\" action=\"/dashboard/actions/{action}\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"return\" value=\"{returnView}\">");
        foreach (var (name, value) in fields)
        {
            html.Add($"<input type=\"hidden\" name=\"{name}\" value=\"{value}\">");
        }

        html.Add($"<button type=\"submit\" data-action=\"{action}\">{label}</button></form>");
        return html.ToMarkup();
    }

    private static string Address(string? ip, int port) => ip is null ? "" : ip.Contains(':') ? $"[{ip}]:{port}" : $"{ip}:{port}";

    private static string PathsText(string[]? paths) => paths is null ? "" : paths.Length == 0 ? "none (takes no connections)" : string.Join(", ", paths);

    private static string AnswerText(DeviceSummary device) =>
        device.LastAnswer is null ? ""
        : device.LastAnswer + (device.LastAnswerReason is null ? "" : " (" + device.LastAnswerReason + ")") + " at " + Time(device.LastAnswerAt);

    private static string NoticeBytes(SessionNoticeSummary? notice) =>
        notice is null ? "no notice" : Bytes(notice.BytesSent) + " / " + Bytes(notice.BytesReceived);

    private static string NoticeReason(SessionNoticeSummary? notice) =>
        notice is null ? "" : notice.Reason + (notice.Detail is null ? "" : ": " + notice.Detail);

    private static string Bytes(long bytes) => bytes.ToString("N0", CultureInfo.InvariantCulture) + " B";

    /// <summary>Unix seconds as UTC; absolute, so a page changes only when its data does.</summary>
    private static string Time(long unixSeconds) =>
        unixSeconds <= 0 ? "" : DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string? Bounded(Microsoft.Extensions.Primitives.StringValues value)
    {
        var text = value.Count == 1 ? value[0]?.Trim() : null;
        return string.IsNullOrEmpty(text) ? null : text.Length > 64 ? text[..64] : text;
    }
}
