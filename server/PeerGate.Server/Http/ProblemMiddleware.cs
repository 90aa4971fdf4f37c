using PeerGate.Protocol;
using PeerGate.Server.Observability;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Http;

/// <summary>
/// Makes every error problem+json: refusals thrown below handlers, empty 404/405/415 answers from
/// routing, storage faults (503 with Retry-After), and anything unexpected (500, logged without
/// request data, which may hold secrets); then counts the response by status. One async frame does
/// all of it, so a held poll keeps one state machine here rather than one per concern.
/// </summary>
public static class ProblemMiddleware
{
    public static IApplicationBuilder UseApiProblems(this IApplicationBuilder app)
    {
        var metrics = app.ApplicationServices.GetRequiredService<ServerMetrics>();
        return app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
                if (EmptyRefusal(context) is { } problem)
                {
                    await problem.ExecuteAsync(context);
                }
            }
            catch (ApiProblemException problem) when (!context.Response.HasStarted)
            {
                await problem.ToResult().ExecuteAsync(context);
            }
            catch (BadHttpRequestException badRequest) when (!context.Response.HasStarted)
            {
                // Kestrel's own refusals while the body is read (over its limit, too slow, truncated or
                // badly chunked): still a client error.
                var code = badRequest.StatusCode switch
                {
                    StatusCodes.Status413PayloadTooLarge => ErrorCodes.BodyTooLarge,
                    StatusCodes.Status408RequestTimeout => ErrorCodes.RequestTimeout,
                    _ => ErrorCodes.BadRequest,
                };
                await ApiProblem.Create(badRequest.StatusCode, code, "The request could not be read.").ExecuteAsync(context);
            }
            catch (Exception exception) when (!context.Response.HasStarted && StorageFault.Of(exception, context.RequestServices.GetService<Database>()?.Path) is { } fault)
            {
                // The disk, not the request: 503 and when to retry; logged with the fault, not the request's data.
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("PeerGate.Server.Storage");
                logger.LogWarning("Storage fault {Code} on {Method} {Path}: {Message}", fault.Code, context.Request.Method, context.Request.Path, exception.Message);
                await StorageProblem.Answer(context, fault).ExecuteAsync(context);
            }
            catch (Exception exception) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("PeerGate.Server.Errors");
                logger.LogError("Unhandled {ExceptionType} on {Method} {Path}: {Message}", exception.GetType().Name, context.Request.Method, context.Request.Path, exception.Message);
                await ApiProblem.Create(StatusCodes.Status500InternalServerError, ErrorCodes.InternalError, "The server failed; try again later.").ExecuteAsync(context);
            }
            finally
            {
                metrics.CountResponse(context.Response.StatusCode);
            }
        });
    }

    /// <summary>
    /// The problem for an error answered with nothing written (routing's unknown route, wrong method,
    /// other media type), or null: what a status-code page would get, with a code.
    /// </summary>
    private static IResult? EmptyRefusal(HttpContext context)
    {
        var response = context.Response;
        if (response.HasStarted || response.ContentLength.HasValue || !string.IsNullOrEmpty(response.ContentType))
        {
            return null;
        }

        return response.StatusCode switch
        {
            StatusCodes.Status404NotFound when IsOtherVersion(context.Request.Path) =>
                ApiProblem.NotFound(ErrorCodes.UnsupportedVersion, "This server speaks API version 1 (/v1/...)."),
            StatusCodes.Status404NotFound => ApiProblem.NotFound(ErrorCodes.RouteNotFound, "No such route."),
            StatusCodes.Status415UnsupportedMediaType =>
                ApiProblem.Create(StatusCodes.Status415UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Send the body as application/json."),
            StatusCodes.Status405MethodNotAllowed =>
                ApiProblem.Create(StatusCodes.Status405MethodNotAllowed, ErrorCodes.MethodNotAllowed, "This route does not take that method."),
            _ => null,
        };
    }

    private static bool IsOtherVersion(PathString path)
    {
        var value = path.Value ?? string.Empty;
        return value.Length > 2 && value[0] == '/' && value[1] == 'v' && char.IsAsciiDigit(value[2]) && !value.StartsWith("/v1/", StringComparison.Ordinal) && value != "/v1";
    }
}
