using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Registry;

namespace PeerGate.Server.Connections;

/// <summary>The connection query (F16-F18): a caller asks for a callee by Terminal ID and gets a grant or one denial code.</summary>
public static class ConnectionsApi
{
    public static IEndpointRouteBuilder MapConnections(this IEndpointRouteBuilder routes)
    {
        var connections = routes.MapGroup(Routes.Connections).RequireCertificate();

        connections.MapPost(string.Empty, Connect).WithName("Connect").RequireDeviceWriteLimit().Accepts<ConnectionRequest>(RequestBody.JsonType)
            .Describe("Ask for a connection (F16-F18, F22, F23, F28-F30)", "Checks permits and policy, asks the callee over its trigger channel, and grants a session with its path, password and keys.")
            .Refuses(StatusCodes.Status400BadRequest, ErrorCodes.SelfConnection)
            .Refuses(StatusCodes.Status403Forbidden, ErrorCodes.PermissionDenied)
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.CalleeNotFound)
            .Refuses(StatusCodes.Status409Conflict, ErrorCodes.CalleeNotConnected)
            .Refuses(StatusCodes.Status503ServiceUnavailable, ErrorCodes.CalleeBusy, ErrorCodes.TriggerQueueFull)
            .Refuses(StatusCodes.Status504GatewayTimeout, ErrorCodes.CalleeUnreachable);
        return routes;
    }

    private static async Task<Results<Ok<ConnectionGrant>, ProblemHttpResult>> Connect(HttpContext context, CertifiedCaller caller, ConnectionBroker broker)
    {
        var request = await RequestBody.ReadAsync<ConnectionRequest>(context);
        var observedIp = RegistryApi.ObservedIp(context.Connection.RemoteIpAddress);
        var outcome = await broker.ConnectAsync(caller.Certificate, request, observedIp, context.RequestAborted, context.Request.Host.Host);
        if (outcome.Grant is { } grant)
        {
            return TypedResults.Ok(grant);
        }

        var denial = outcome.Denial!;
        if (denial.Code != ErrorCodes.CalleeBusy)
        {
            return ApiProblem.Create(denial.Status, denial.Code, denial.Detail);
        }

        context.Response.Headers.RetryAfter = denial.RetryAfter.ToString(CultureInfo.InvariantCulture);
        return ApiProblem.Create(denial.Status, denial.Code, denial.Detail, ("reason", denial.Reason), ("retryAfter", denial.RetryAfter));
    }
}
