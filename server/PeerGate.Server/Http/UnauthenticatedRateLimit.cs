using System.Globalization;
using System.Threading.RateLimiting;
using PeerGate.Protocol;

namespace PeerGate.Server.Http;

/// <summary>
/// Bounds what one client address makes the server do before it has proved anything: challenges (each
/// stores a nonce), proofs (each an HMAC check against a stored key) and allocation lookups. A token
/// bucket per address lets a fleet boot at once behind one NAT. Past the bucket the answer is
/// 429 rate_limited with Retry-After, and nothing is stored.
/// </summary>
public static class UnauthenticatedRateLimit
{
    public const string PolicyName = "unauthenticated";

    public static IServiceCollection AddUnauthenticatedRateLimit(this IServiceCollection services, ServerOptions options)
    {
        var perMinute = options.UnauthenticatedRequestsPerMinute;
        return services.AddRateLimiter(limiter =>
        {
            limiter.OnRejected = (rejected, _) => RejectAsync(rejected.HttpContext, rejected.Lease);
            limiter.AddPolicy(PolicyName, context => perMinute <= 0
                ? RateLimitPartition.GetNoLimiter(string.Empty)
                : RateLimitPartition.GetTokenBucketLimiter(
                    context.Connection.RemoteIpAddress?.ToString() ?? string.Empty,
                    _ => new TokenBucketRateLimiterOptions
                    {
                        // A full minute's worth at once, then one back every 60/perMinute seconds.
                        TokenLimit = perMinute,
                        TokensPerPeriod = 1,
                        ReplenishmentPeriod = TimeSpan.FromMinutes(1) / perMinute,
                        QueueLimit = 0,
                    }));
        });
    }

    private static async ValueTask RejectAsync(HttpContext context, RateLimitLease lease)
    {
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        await ApiProblem.Create(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited, "Too many requests from this address; try again later.", ("retryAfter", retryAfter))
            .ExecuteAsync(context);
    }
}
