using PeerGate.Server.Storage;

namespace PeerGate.Server.Observability;

/// <summary>Health and metrics for whoever runs the VM (F36).</summary>
public static class OperationsApi
{
    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", CheckHealth).WithName("Health");
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

    private static IResult CheckHealth(Database database)
    {
        // A read through the same connection settings as every request: the file is there and readable.
        database.Read(connection => connection.Scalar(null, "SELECT count(*) FROM service_entry;"));
        return TypedResults.Ok(new { status = "ok" });
    }

    private static IResult RenderMetrics(ServerMetrics metrics) =>
        TypedResults.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
}
