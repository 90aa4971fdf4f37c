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
        routes.MapMethods("/health/live", ProbeMethods, Live).WithName("Liveness");
        routes.MapMethods("/health", ProbeMethods, Live).WithName("Health");
        routes.MapMethods("/health/ready", ProbeMethods, Ready).WithName("Readiness");
        routes.MapGet("/metrics", RenderMetrics).WithName("Metrics").ExcludeFromDescription();
        return routes;
    }

    /// <summary>Counts every response by status; registered first so it sees the final status.</summary>
    public static IApplicationBuilder UseResponseCounting(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            finally
            {
                context.RequestServices.GetRequiredService<ServerMetrics>().CountResponse(context.Response.StatusCode);
            }
        });

    private static IResult Live() => TypedResults.Ok(new { status = "ok" });

    private static IResult Ready(HttpContext context, StorageHealth storage)
    {
        if (storage.Check() is { } fault)
        {
            return StorageProblem.Answer(context, fault);
        }

        return TypedResults.Ok(new { status = "ready" });
    }

    private static IResult RenderMetrics(ServerMetrics metrics) =>
        TypedResults.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
}
