using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Admin;
using PeerGate.Server.Allocation;
using PeerGate.Server.Http;
using PeerGate.Server.Observability;
using PeerGate.Server.Sessions;
using PeerGate.Server.Triggers;

namespace PeerGate.Server.Dashboard;

/// <summary>
/// The operator dashboard (F33) under /dashboard: server-rendered HTML behind a login that exchanges the
/// operator token for a session cookie, live updates over server-sent events, and actions that call the
/// operator API's own handlers. The cookie opens nothing else (it is scoped to /dashboard and no other
/// route reads it), and no bearer token, device certificate or operator token alike, opens the dashboard.
/// </summary>
public static class DashboardApi
{
    public const string Root = "/dashboard";
    public const string LoginPath = Root + "/login";

    /// <summary>The form field every state-changing request carries (the session's CSRF token).</summary>
    public const string CsrfField = "csrf";

    /// <summary>Forms are small; a bigger body is refused as it is read (413 body_too_large).</summary>
    public const int MaxFormBytes = 16 * 1024;

    /// <summary>How often an event stream looks for a change. A display cadence, not an expiry: on the wall clock.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Scripts and styles from this server only, no inline script or style, no frames, forms post here
    /// only, and event streams and fetches go to this origin alone.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private const string SessionItem = "PeerGate.Dashboard.Session";

    public static IServiceCollection AddDashboard(this IServiceCollection services) => services.AddSingleton<DashboardSessions>();

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder routes)
    {
        var dashboard = routes.MapGroup(Root).ExcludeFromDescription().AddEndpointFilter(SecurityHeaders);
        dashboard.MapGet("/assets/dashboard.css", () => Asset("dashboard.css", "text/css; charset=utf-8"));
        dashboard.MapGet("/assets/dashboard.js", () => Asset("dashboard.js", "text/javascript; charset=utf-8"));
        dashboard.MapGet("/assets/favicon.svg", () => Asset("favicon.svg", "image/svg+xml"));
        dashboard.MapGet("/login", LoginPage);
        dashboard.MapPost("/login", Login).RequireRateLimiting(UnauthenticatedRateLimit.PolicyName);

        var signedIn = dashboard.MapGroup(string.Empty).AddEndpointFilter(RequireSession);
        signedIn.MapGet(string.Empty, (Func<HttpContext, Task<IResult>>)(context => Page(DashboardViews.Devices, context)));
        signedIn.MapGet("/{view}", Page);
        signedIn.MapGet("/events", Events);
        signedIn.MapPost("/logout", Logout);
        signedIn.MapPost("/actions/devices/disable", DisableDevice);
        signedIn.MapPost("/actions/devices/enable", EnableDevice);
        signedIn.MapPost("/actions/certificates/revoke", RevokeCertificate);
        signedIn.MapPost("/actions/sessions/terminate", TerminateSession);
        signedIn.MapPost("/actions/allocation/entry", SetAllocationEntry);
        signedIn.MapPost("/actions/allocation/entry/delete", DeleteAllocationEntry);
        signedIn.MapPost("/actions/allocation/service-entry", SetServiceEntry);
        return routes;
    }

    private static async ValueTask<object?> SecurityHeaders(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var headers = invocation.HttpContext.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        // same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with the page's own forms.
        headers["Referrer-Policy"] = "same-origin";
        headers.CacheControl = "no-store";
        return await next(invocation);
    }

    /// <summary>
    /// Only the session cookie opens these routes. A page without one sends the browser to the login; any
    /// other request is 401. A POST must also carry the session's CSRF token in its form.
    /// </summary>
    private static async ValueTask<object?> RequireSession(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var sessions = context.RequestServices.GetRequiredService<DashboardSessions>();
        var session = sessions.Find(context.Request.Cookies[DashboardSessions.CookieName]);
        if (session is null)
        {
            if ((HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)) && !context.Request.Path.StartsWithSegments(Root + "/events"))
            {
                return new SeeOther(LoginPath);
            }

            return ApiProblem.Unauthorized(ErrorCodes.DashboardUnauthorized, "Log in to the dashboard at " + LoginPath + " with the operator token.");
        }

        if (HttpMethods.IsPost(context.Request.Method))
        {
            if (await ReadFormAsync(context) is not { } form)
            {
                return UnsupportedForm();
            }

            if (!SameOrigin(context.Request) || !DashboardSessions.TokensMatch(Single(form, CsrfField), session.CsrfToken))
            {
                return CsrfRefused();
            }
        }

        context.Items[SessionItem] = session;
        return await next(invocation);
    }

    private static DashboardSession SessionOf(HttpContext context) => (DashboardSession)context.Items[SessionItem]!;

    private static async Task<IResult> Page(string view, HttpContext context)
    {
        if (!DashboardViews.IsView(view))
        {
            return ApiProblem.NotFound(ErrorCodes.RouteNotFound, "No such dashboard page.");
        }

        var session = SessionOf(context);
        var html = new Html();
        Head(html, DashboardViews.TitleOf(view));
        html.Add($"<body><header><h1>PeerGate</h1><nav>");
        foreach (var (name, title) in DashboardViews.All)
        {
            html.Add($"<a href=\"{Root}/{name}\"{(name == view ? new Markup(" aria-current=\"page\"") : default)}>{title}</a>");
        }

        html.Add($"</nav><form method=\"post\" action=\"{Root}/logout\" class=\"logout\"><input type=\"hidden\" name=\"{CsrfField}\" value=\"{session.CsrfToken}\"><button type=\"submit\" id=\"logout\">Log out</button></form></header>");
        if (session.TakeNotice() is { } notice)
        {
            html.Add($"<p class=\"notice{(notice.Error ? new Markup(" error") : default)}\" role=\"status\" id=\"notice\">{notice.Text}</p>");
        }

        html.Add($"{DashboardViews.RenderFixed(view, context, session)}");
        var live = await DashboardViews.RenderLiveAsync(view, context, session);
        html.Add($"<main id=\"live\" data-events=\"{EventsUrl(view, context.Request.Query)}\" aria-live=\"polite\">{live}</main>");
        html.Add($"<footer><span id=\"stream-state\">static</span> · server time {DateTimeOffset.FromUnixTimeSeconds(context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeSeconds()).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)}</footer></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8");
    }

    /// <summary>The page's own stream: the view and, for the attempt log, its filter.</summary>
    private static string EventsUrl(string view, IQueryCollection query)
    {
        var url = new StringBuilder(Root + "/events?view=").Append(Uri.EscapeDataString(view));
        if (view == DashboardViews.Attempts)
        {
            var filter = DashboardViews.AttemptFilter(query);
            foreach (var (name, value) in new[] { ("caller", filter.Caller), ("callee", filter.Callee), ("stage", filter.Stage), ("code", filter.Code) })
            {
                if (value is not null)
                {
                    url.Append('&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
                }
            }
        }

        return url.ToString();
    }

    /// <summary>
    /// Sends the page's live part whenever it changes, until the client goes, the login ends (then a
    /// "logout" event) or the stream is refused for too many open ones.
    /// </summary>
    private static async Task<IResult> Events(HttpContext context, DashboardSessions sessions)
    {
        var view = context.Request.Query["view"].ToString();
        if (!DashboardViews.IsView(view))
        {
            return ApiProblem.NotFound(ErrorCodes.RouteNotFound, "No such dashboard page.");
        }

        if (!sessions.TryOpenStream())
        {
            context.Response.Headers.RetryAfter = "5";
            return ApiProblem.Create(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited, "Too many dashboard event streams are open.", ("retryAfter", 5));
        }

        var session = SessionOf(context);
        try
        {
            var response = context.Response;
            response.ContentType = "text/event-stream; charset=utf-8";
            response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, session.Ended);
            await WriteAsync(response, "retry: 3000\n\n", context.RequestAborted);
            string? last = null;
            var quiet = 0;
            while (!stop.IsCancellationRequested && sessions.IsLive(session))
            {
                var fragment = (await DashboardViews.RenderLiveAsync(view, context, session)).Value;
                if (fragment != last)
                {
                    await WriteAsync(response, Event("update", fragment), context.RequestAborted);
                    last = fragment;
                    quiet = 0;
                }
                else if (++quiet >= 15)
                {
                    // A comment now and then, so a client that went away is noticed by the failed write.
                    await WriteAsync(response, ": keep-alive\n\n", context.RequestAborted);
                    quiet = 0;
                }

                try
                {
                    await Task.Delay(RefreshInterval, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            if (!context.RequestAborted.IsCancellationRequested)
            {
                await WriteAsync(response, Event("logout", "ended"), context.RequestAborted);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The browser went away.
        }
        finally
        {
            sessions.CloseStream();
        }

        return Results.Empty;
    }

    /// <summary>One event; every line of the data its own "data:" line, as the format wants.</summary>
    private static string Event(string name, string data)
    {
        var text = new StringBuilder("event: ").Append(name).Append('\n');
        foreach (var line in data.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n'))
        {
            text.Append("data: ").Append(line).Append('\n');
        }

        return text.Append('\n').ToString();
    }

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken cancellationToken)
    {
        await response.WriteAsync(text, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private static IResult LoginPage(HttpContext context, DashboardSessions sessions)
    {
        if (sessions.Find(context.Request.Cookies[DashboardSessions.CookieName]) is not null)
        {
            return new SeeOther(Root);
        }

        return LoginForm(context, StatusCodes.Status200OK, null);
    }

    /// <summary>The login form, with a fresh double-submit token in its own cookie (no session exists yet to tie one to).</summary>
    private static IResult LoginForm(HttpContext context, int status, string? error)
    {
        var token = DashboardSessions.NewToken();
        context.Response.Cookies.Append(DashboardSessions.LoginCookieName, token, CookieOptions(context, TimeSpan.FromMinutes(30)));
        var html = new Html();
        Head(html, "Log in");
        html.Add($"<body class=\"login\"><main><h1>PeerGate</h1><form method=\"post\" action=\"{LoginPath}\" id=\"login\"><fieldset><legend>Operator login</legend>");
        if (error is not null)
        {
            html.Add($"<p class=\"notice error\" role=\"alert\" id=\"notice\">{error}</p>");
        }

        html.Add($"<input type=\"hidden\" name=\"{CsrfField}\" value=\"{token}\">");
        html.Add($"<label>Operator token <input type=\"password\" name=\"token\" id=\"token\" autocomplete=\"off\" required maxlength=\"512\"></label>");
        html.Add($"<button type=\"submit\">Log in</button></fieldset></form>");
        html.Add($"<p class=\"hint\">The token of <code>/v1/admin</code> (the data directory's <code>admin-token</code>, or <code>PeerGate:AdminToken</code>).</p></main></body></html>");
        return new HtmlResult(html.ToString(), status);
    }

    /// <summary>
    /// Exchanges the operator token for a session cookie. The token is compared in fixed time and never
    /// echoed, stored or logged; a wrong one gets the form again with 401.
    /// </summary>
    private static async Task<IResult> Login(HttpContext context, DashboardSessions sessions, AdminToken adminToken, ILoggerFactory loggers)
    {
        if (await ReadFormAsync(context) is not { } form)
        {
            return UnsupportedForm();
        }

        if (!SameOrigin(context.Request) || !DashboardSessions.TokensMatch(Single(form, CsrfField), context.Request.Cookies[DashboardSessions.LoginCookieName] ?? "\0"))
        {
            return CsrfRefused();
        }

        var logger = loggers.CreateLogger("PeerGate.Server.Dashboard");
        if (!DashboardSessions.TokensMatch(Single(form, "token"), adminToken.Value))
        {
            logger.LogWarning("Dashboard login from {Address} refused: not the operator token", context.Connection.RemoteIpAddress);
            return LoginForm(context, StatusCodes.Status401Unauthorized, "That is not the operator token.");
        }

        var (cookie, session) = sessions.Create();
        var options = context.RequestServices.GetRequiredService<ServerOptions>();
        context.Response.Cookies.Append(DashboardSessions.CookieName, cookie, CookieOptions(context, options.DashboardSessionLifetime));
        context.Response.Cookies.Delete(DashboardSessions.LoginCookieName, CookieOptions(context, TimeSpan.Zero));
        logger.LogInformation("Dashboard login from {Address}, until {ExpiresAt:u}", context.Connection.RemoteIpAddress, session.ExpiresAt.UtcDateTime);
        return new SeeOther(Root);
    }

    private static IResult Logout(HttpContext context, DashboardSessions sessions)
    {
        sessions.End(SessionOf(context));
        context.Response.Cookies.Delete(DashboardSessions.CookieName, CookieOptions(context, TimeSpan.Zero));
        return new SeeOther(LoginPath);
    }

    /// <summary>HttpOnly, SameSite=Strict, Secure whenever the client spoke TLS, path /dashboard only, expiring with the login.</summary>
    private static CookieOptions CookieOptions(HttpContext context, TimeSpan lifetime) => new()
    {
        HttpOnly = true,
        Secure = TransportGate.IsTls(context, context.RequestServices.GetRequiredService<ServerOptions>()),
        SameSite = SameSiteMode.Strict,
        Path = Root,
        MaxAge = lifetime > TimeSpan.Zero ? lifetime : null,
        IsEssential = true,
    };

    // The actions: each calls the operator API's own handler (AdminApi), so checks and effects are the CLI's.

    private static Task<IResult> DisableDevice(HttpContext context, AdminStore store, SessionEndAnnouncer announcer, TriggerHub hub) =>
        Act(context, async form =>
        {
            var deviceId = Required(form, "deviceId");
            await AdminApi.DisableDevice(deviceId, store, announcer, hub);
            return $"Device {deviceId} disabled: refused on every route, its sessions ended.";
        });

    private static Task<IResult> EnableDevice(HttpContext context, AdminStore store) =>
        Act(context, async form =>
        {
            var deviceId = Required(form, "deviceId");
            await AdminApi.EnableDevice(deviceId, store);
            return $"Device {deviceId} enabled.";
        });

    private static Task<IResult> RevokeCertificate(HttpContext context, AdminStore store, SessionEndAnnouncer announcer, TriggerHub hub) =>
        Act(context, async form =>
        {
            var serial = Required(form, "serial");
            await AdminApi.RevokeCertificate(serial, store, announcer, hub);
            return $"Certificate {serial} revoked.";
        });

    private static Task<IResult> TerminateSession(HttpContext context, SessionStore store, SessionEndAnnouncer announcer, TimeProvider time, ServerMetrics metrics) =>
        Act(context, async form =>
        {
            var sessionId = Required(form, "sessionId");
            Throw((await AdminApi.TerminateSession(sessionId, store, announcer, time, metrics)).Result);
            return $"Session {sessionId} terminated: both devices are told to end it.";
        });

    private static Task<IResult> SetAllocationEntry(HttpContext context, AllocationStore store) =>
        Act(context, async form =>
        {
            var entry = new AllocationEntry(Number(form, "level"), Required(form, "key"), Required(form, "role"), Required(form, "url"), Number(form, "nextLevel"));
            await AdminApi.ApplyAllocationEntryAsync(entry, store);
            return $"Allocation entry {entry.Level}/{entry.Key} saved.";
        });

    private static Task<IResult> DeleteAllocationEntry(HttpContext context, AllocationStore store) =>
        Act(context, async form =>
        {
            var (level, key) = (Number(form, "level"), Required(form, "key"));
            Throw((await AdminApi.DeleteAllocationEntry(level, key, store)).Result);
            return $"Allocation entry {level}/{key} deleted.";
        });

    private static Task<IResult> SetServiceEntry(HttpContext context, AllocationStore store) =>
        Act(context, async form =>
        {
            var hop = new AllocationHop { Role = Required(form, "role"), Url = Required(form, "url"), Level = Number(form, "level") };
            await AdminApi.ApplyServiceEntryAsync(hop, store);
            return "Service entry saved.";
        });

    /// <summary>
    /// Runs the action and goes back to the page it came from, with what it did, or the refusal's code and
    /// words, shown once there. A refused action changed nothing (the handler's own guarantee).
    /// </summary>
    private static async Task<IResult> Act(HttpContext context, Func<IFormCollection, Task<string>> action)
    {
        var session = SessionOf(context);
        var form = context.Request.Form;
        try
        {
            session.SetNotice(await action(form), error: false);
        }
        catch (ApiProblemException problem)
        {
            session.SetNotice(problem.Code + ": " + problem.Message, error: true);
        }

        var back = Single(form, "return");
        return new SeeOther(Root + "/" + (DashboardViews.IsView(back) ? back : DashboardViews.Devices));
    }

    /// <summary>A handler's problem answer, as the exception the other handlers throw.</summary>
    private static void Throw(IResult result)
    {
        if (result is ProblemHttpResult problem)
        {
            throw ApiProblem.Exception(problem.StatusCode, problem.ProblemDetails.Extensions["code"]?.ToString() ?? ErrorCodes.BadRequest, problem.ProblemDetails.Detail ?? "refused");
        }
    }

    private static string Required(IFormCollection form, string field) =>
        Single(form, field) is { Length: > 0 } value
            ? value
            : throw ApiProblem.Exception(StatusCodes.Status400BadRequest, ErrorCodes.MissingField, field + " is required.");

    private static int Number(IFormCollection form, string field) =>
        int.TryParse(Required(form, field), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Fields.Invalid(field, "must be a whole number");

    private static string? Single(IFormCollection form, string field) => form[field].Count == 1 ? form[field][0] : null;

    /// <summary>The form, read within <see cref="MaxFormBytes"/>; null when the body is not a form.</summary>
    private static async Task<IFormCollection?> ReadFormAsync(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            return null;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxFormBytes;
        }

        if (context.Request.ContentLength > MaxFormBytes)
        {
            throw ApiProblem.Exception(StatusCodes.Status413PayloadTooLarge, ErrorCodes.BodyTooLarge, "A dashboard form is at most 16 KiB.");
        }

        return await context.Request.ReadFormAsync(context.RequestAborted);
    }

    /// <summary>
    /// A browser names the page's origin on every POST; one naming another site (or "null", what a page
    /// that hides its origin sends) is refused even with a token. Clients that send no Origin (not
    /// browsers) still need the token.
    /// </summary>
    private static bool SameOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }

        return Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    private static ProblemHttpResult CsrfRefused() =>
        ApiProblem.Forbidden(ErrorCodes.CsrfInvalid, "This dashboard request lacks the page's CSRF token; reload the page and try again. Nothing changed.");

    private static ProblemHttpResult UnsupportedForm() =>
        ApiProblem.Create(StatusCodes.Status415UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Dashboard requests are forms (application/x-www-form-urlencoded).");

    private static void Head(Html html, string title) =>
        html.Add($"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>PeerGate · {title}</title><link rel=\"stylesheet\" href=\"{Root}/assets/dashboard.css\"><link rel=\"icon\" href=\"{Root}/assets/favicon.svg\" type=\"image/svg+xml\"><script src=\"{Root}/assets/dashboard.js\" defer></script></head>");

    private static readonly Dictionary<string, byte[]> Assets = new(StringComparer.Ordinal);

    private static IResult Asset(string name, string contentType)
    {
        byte[] bytes;
        lock (Assets)
        {
            if (!Assets.TryGetValue(name, out bytes!))
            {
                using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("PeerGate.Server.Dashboard.Assets." + name)
                    ?? throw new InvalidOperationException("The dashboard asset " + name + " is not in the assembly.");
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                bytes = Assets[name] = copy.ToArray();
            }
        }

        return Results.Bytes(bytes, contentType);
    }

    /// <summary>303: after a POST the browser GETs the page (so a reload does not post again).</summary>
    private sealed class SeeOther(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }

    private sealed class HtmlResult(string html, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = "text/html; charset=utf-8";
            return httpContext.Response.WriteAsync(html);
        }
    }
}
