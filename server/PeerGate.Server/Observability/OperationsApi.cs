using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Observability;

/// <summary>Health and metrics for whoever runs the VM (F36).</summary>
public static class OperationsApi
{
    /// <summary>GET and HEAD: load balancers probe with either.</summary>
    private static readonly string[] ProbeMethods = [HttpMethods.Get, HttpMethods.Head];

    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder routes)
    {
        // Liveness answers while the process serves HTTP (a restart would not mend a full disk);
        // readiness also needs the database to take a write. /health stays, as liveness.
        routes.MapMethods("/health/live", ProbeMethods, Live).WithName("Liveness").AllowAnonymous()
            .Describe("Liveness", "200 while the process serves HTTP; nothing else is checked.");
        routes.MapMethods("/health", ProbeMethods, Live).WithName("Health").AllowAnonymous()
            .Describe("Liveness (older path)", "The same as /health/live, kept for set-ups made before the split.");
        routes.MapMethods("/health/ready", ProbeMethods, Ready).WithName("Readiness").AllowAnonymous()
            .Describe("Readiness", "200 when the database takes a write now; else 503 with the storage code and Retry-After.")
            .Refuses(StatusCodes.Status503ServiceUnavailable, ApiDocumentation.StorageCodes);
        routes.MapGet("/metrics", RenderMetrics).WithName("Metrics").AllowAnonymous()
            .Describe("Metrics", "Counters and gauges in the Prometheus text format; labels never carry IDs or secrets (see docs/operating.md).");
        return routes;
    }

    private static IResult Live() => TypedResults.Ok(new { status = "ok" });

    private static async Task<IResult> Ready(HttpContext context, StorageHealth storage)
    {
        if (await storage.CheckAsync() is { } fault)
        {
            return StorageProblem.Answer(context, fault);
        }

        return TypedResults.Ok(new { status = "ready" });
    }

    private static IResult RenderMetrics(ServerMetrics metrics) =>
        TypedResults.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
}
