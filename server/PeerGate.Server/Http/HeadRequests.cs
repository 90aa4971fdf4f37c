namespace PeerGate.Server.Http;

/// <summary>
/// HEAD is answered wherever GET is (RFC 9110 §9.3.2), for every GET route including any added later:
/// routing matches a HEAD request as GET, and the method is HEAD again before the endpoint runs, so
/// Kestrel sends the GET answer's status and headers without its body. Handlers and logs see HEAD.
/// </summary>
public static class HeadRequests
{
    private static readonly object ItemKey = new();

    /// <summary>Before routing: a HEAD request is matched as GET.</summary>
    public static IApplicationBuilder UseHeadAsGet(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (HttpMethods.IsHead(context.Request.Method))
            {
                context.Items[ItemKey] = true;
                context.Request.Method = HttpMethods.Get;
            }

            return next(context);
        });

    /// <summary>After routing: the request is HEAD again, so no body is sent.</summary>
    public static IApplicationBuilder UseHeadRestored(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (context.Items.ContainsKey(ItemKey))
            {
                context.Request.Method = HttpMethods.Head;
            }

            return next(context);
        });
}
