using System.Net;
using PeerGate.Protocol;

namespace PeerGate.Server.Http;

/// <summary>
/// Refuses every route but the open ones over plain HTTP from another host: the answers carry session
/// keys, one-time passwords and certificates (bearer tokens), and the requests carry them back. A
/// request passes when Kestrel terminated TLS itself, when it came over loopback, when it came from a
/// known TLS-terminating proxy that says the client spoke https, or when the operator allowed plain
/// HTTP outright (a lab). Health, readiness, metrics and the OpenAPI document carry no secret and stay
/// open, so probes and scrapers work either way; every other path, including any route added later,
/// is gated.
/// </summary>
public static class TransportGate
{
    public const string ForwardedProtoHeader = "X-Forwarded-Proto";

    public static IApplicationBuilder UseTransportGate(this IApplicationBuilder app)
    {
        var options = app.ApplicationServices.GetRequiredService<ServerOptions>();
        var proxies = KnownProxies(options);
        // Not async: a request let through is handed on as it is, so a held poll keeps no state of this gate.
        return app.Use((context, next) =>
        {
            var request = context.Request;
            if (IsOpen(request.Path)
                || Allows(options.AllowPlainHttp, options.BehindTlsProxy, proxies, request.IsHttps, context.Connection.RemoteIpAddress, ForwardedProto(request)))
            {
                return next(context);
            }

            // Before routing, binding or the rate limiter: nothing of the request is read or stored.
            return ApiProblem.Forbidden(
                    ErrorCodes.TlsRequired,
                    "This server answers its API over https only; plain HTTP is accepted from this host alone.")
                .ExecuteAsync(context);
        });
    }

    /// <summary>The paths that carry no secret: probes, metrics, the OpenAPI document.</summary>
    public static bool IsOpen(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics") || path.StartsWithSegments("/openapi");

    /// <summary>
    /// The whole decision, with no state. Behind a proxy, a connection from the proxy counts as TLS only
    /// when the proxy says so, never because the proxy happens to sit on loopback: otherwise a proxy that
    /// forwards plain HTTP from the network would make every client look local.
    /// </summary>
    public static bool Allows(bool allowPlainHttp, bool behindTlsProxy, IReadOnlyCollection<IPAddress> knownProxies, bool isHttps, IPAddress? remote, string? forwardedProto)
    {
        if (allowPlainHttp || isHttps)
        {
            return true;
        }

        if (remote is null)
        {
            return false;
        }

        var normalized = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        if (behindTlsProxy && knownProxies.Contains(normalized))
        {
            return string.Equals(forwardedProto, "https", StringComparison.OrdinalIgnoreCase);
        }

        return IPAddress.IsLoopback(normalized);
    }

    /// <summary>The proxies whose X-Forwarded-Proto is believed: configured ones, else loopback (a proxy on this host).</summary>
    public static IReadOnlyCollection<IPAddress> KnownProxies(ServerOptions options) =>
        options.KnownProxies.Count > 0
            ? options.KnownProxies.Select(proxy => proxy.IsIPv4MappedToIPv6 ? proxy.MapToIPv4() : proxy).ToHashSet()
            : new HashSet<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback };

    /// <summary>
    /// True when the client spoke TLS: to Kestrel itself, or to a known proxy that says so (only with
    /// BehindTlsProxy). Loopback plain HTTP is allowed, but is not TLS: a cookie set over it is not Secure.
    /// </summary>
    public static bool IsTls(HttpContext context, ServerOptions options)
    {
        if (context.Request.IsHttps)
        {
            return true;
        }

        var remote = context.Connection.RemoteIpAddress;
        if (!options.BehindTlsProxy || remote is null)
        {
            return false;
        }

        var normalized = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        return KnownProxies(options).Contains(normalized) && string.Equals(ForwardedProto(context.Request), "https", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The one value the proxy set. Several values (a client's own header appended to) are not
    /// believed: the proxy must replace the header, not add to it.
    /// </summary>
    private static string? ForwardedProto(HttpRequest request)
    {
        var values = request.Headers[ForwardedProtoHeader];
        if (values.Count != 1 || values[0] is not { } value || value.Contains(','))
        {
            return null;
        }

        return value.Trim();
    }

    /// <summary>
    /// What the operator should hear at start: plain HTTP allowed outright, or a non-loopback http://
    /// address that devices on the network will be refused on.
    /// </summary>
    public static IEnumerable<string> StartupWarnings(ServerOptions options, IEnumerable<string> urls)
    {
        if (options.AllowPlainHttp)
        {
            yield return "PeerGate:AllowPlainHttp is on: session keys, one-time passwords and certificates travel in the clear to any host. Use it in a lab only.";
            yield break;
        }

        if (options.BehindTlsProxy)
        {
            yield break;
        }

        foreach (var url in urls)
        {
            if (Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
                && uri.Scheme == Uri.UriSchemeHttp
                && !IsLoopbackHost(uri.Host))
            {
                yield return $"Listening on {url} over plain HTTP: API requests from other hosts are refused with tls_required. Listen on https://, or set PeerGate:BehindTlsProxy behind a TLS-terminating proxy.";
            }
        }
    }

    private static bool IsLoopbackHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
