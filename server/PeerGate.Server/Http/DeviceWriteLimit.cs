using System.Globalization;
using PeerGate.Protocol;
using PeerGate.Server.Registry;

namespace PeerGate.Server.Http;

/// <summary>
/// Bounds what one authenticated device makes the server write: registrations (and with them name
/// changes), permit changes, connection queries, extensions, end notices and trigger replies. A token
/// bucket per Terminal ID, not per address, so devices behind one NAT do not share it: a minute's worth
/// (<see cref="ServerOptions.DeviceWritesPerMinute"/>) at once, then one back every 60/N seconds, on the
/// server's clock. Past it the answer is 429 rate_limited with Retry-After, before the handler runs, so
/// nothing is stored. Reads (trigger polls, inquiries, lists) are not counted.
/// Hand-written rather than System.Threading.RateLimiting's token bucket (which the per-address limit
/// uses): that one refills on its own timer, and this one must follow the injected clock, which tests
/// step and sessions share.
/// </summary>
public sealed class DeviceWriteLimiter(ServerOptions options, TimeProvider time)
{
    // Buckets that have refilled are as good as absent; they are dropped once this many exist.
    private const int PruneAbove = 4096;

    private readonly CountedDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Takes one write of <paramref name="terminalId"/>: 0 when allowed, else the whole seconds until one is back.</summary>
    public int TryTake(string terminalId)
    {
        var perMinute = options.DeviceWritesPerMinute;
        if (perMinute <= 0)
        {
            return 0;
        }

        var now = time.GetUtcNow();
        if (_buckets.Count > PruneAbove)
        {
            Prune(now, perMinute);
        }

        var bucket = _buckets.GetOrAdd(terminalId, static (_, start) => new Bucket(start.perMinute, start.now), (perMinute, now));
        return bucket.TryTake(perMinute, now);
    }

    private void Prune(DateTimeOffset now, int perMinute)
    {
        foreach (var (terminalId, bucket) in _buckets)
        {
            if (bucket.IsFull(perMinute, now))
            {
                _buckets.TryRemove(terminalId, out _);
            }
        }
    }

    private sealed class Bucket(int tokens, DateTimeOffset now)
    {
        private readonly object _gate = new();
        private double _tokens = tokens;
        private DateTimeOffset _updated = now;

        public int TryTake(int perMinute, DateTimeOffset now)
        {
            lock (_gate)
            {
                Refill(perMinute, now);
                if (_tokens >= 1)
                {
                    _tokens -= 1;
                    return 0;
                }

                var seconds = (1 - _tokens) * 60.0 / perMinute;
                return Math.Max(1, (int)Math.Ceiling(seconds));
            }
        }

        public bool IsFull(int perMinute, DateTimeOffset now)
        {
            lock (_gate)
            {
                Refill(perMinute, now);
                return _tokens >= perMinute;
            }
        }

        private void Refill(int perMinute, DateTimeOffset now)
        {
            // Never more than a minute's worth, also when the setting was lowered since.
            if (now > _updated)
            {
                _tokens += (now - _updated).TotalMinutes * perMinute;
                _updated = now;
            }

            _tokens = Math.Min(perMinute, _tokens);
        }
    }
}

public static class DeviceWriteLimitFilter
{
    /// <summary>Counts the route against the calling device's write budget; refused with 429 rate_limited past it.</summary>
    public static RouteHandlerBuilder RequireDeviceWriteLimit(this RouteHandlerBuilder endpoint) => endpoint.WithMetadata(DeviceWriteLimited.Instance).AddEndpointFilter(async (invocation, next) =>
    {
        var context = invocation.HttpContext;
        var caller = await CertifiedCaller.FromAsync(context);
        var retryAfter = context.RequestServices.GetRequiredService<DeviceWriteLimiter>().TryTake(caller.Certificate.TerminalId);
        if (retryAfter == 0)
        {
            return await next(invocation);
        }

        context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        return ApiProblem.Create(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited, "Too many changes from this device; try again later.", ("retryAfter", retryAfter));
    });
}
