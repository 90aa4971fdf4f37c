using Microsoft.AspNetCore.Http.HttpResults;
using PeerGate.Protocol;
using PeerGate.Server.Http;

namespace PeerGate.Server.Allocation;

/// <summary>The service server and allocation server roles (F6-F8).</summary>
public static class AllocationApi
{
    public static IEndpointRouteBuilder MapAllocation(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(Routes.ServiceEntry, GetServiceEntry).WithName("ServiceEntry")
            .AllowAnonymous()
            .Describe("The service entry (F6)", "The first hop of allocation: where a device starts resolving its servers.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.ServiceEntryMissing);
        routes.MapPost(Routes.ServiceResolve, ResolveForDevice).WithName("ServiceResolve").RequireRateLimiting(UnauthenticatedRateLimit.PolicyName).Accepts<DelegatedAllocationRequest>(RequestBody.JsonType)
            .AllowAnonymous()
            .Describe("Resolve for a device (F8)", "Walks the allocation chain on the device's behalf and answers the final hop.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.AllocationKeyUnknown, ErrorCodes.ServiceEntryMissing)
            .Refuses(StatusCodes.Status502BadGateway, ErrorCodes.AllocationChainBroken);
        routes.MapPost(Routes.AllocationResolve, ResolveHop).WithName("AllocationResolve").RequireRateLimiting(UnauthenticatedRateLimit.PolicyName).Accepts<AllocationRequest>(RequestBody.JsonType)
            .AllowAnonymous()
            .Describe("Resolve one hop (F6)", "The next hop for an allocation key at a level of this server's table.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.AllocationKeyUnknown);
        return routes;
    }

    private static Results<Ok<AllocationHop>, ProblemHttpResult> GetServiceEntry(AllocationStore store) =>
        store.GetServiceEntry() is { } hop
            ? TypedResults.Ok(hop)
            : ApiProblem.NotFound(ErrorCodes.ServiceEntryMissing, "The operator has not set a service entry on this server.");

    private static async Task<Results<Ok<AllocationHop>, ProblemHttpResult>> ResolveHop(HttpContext context, AllocationStore store)
    {
        var request = await RequestBody.ReadAsync<AllocationRequest>(context);
        Fields.RequireName(request.Key, nameof(AllocationRequest.Key));

        return store.Resolve(request.Level, request.Key) is { } hop
            ? TypedResults.Ok(hop)
            : ApiProblem.NotFound(ErrorCodes.AllocationKeyUnknown, $"No level {request.Level} entry for that key.");
    }

    private static async Task<Ok<AllocationHop>> ResolveForDevice(HttpContext context, ChainWalker walker)
    {
        var request = await RequestBody.ReadAsync<DelegatedAllocationRequest>(context);
        if (request.Keys.Length is < 1 or > ChainWalker.MaxLevels)
        {
            throw Fields.Invalid(nameof(DelegatedAllocationRequest.Keys), $"must hold 1 to {ChainWalker.MaxLevels} keys");
        }

        foreach (var key in request.Keys)
        {
            Fields.RequireName(key, nameof(DelegatedAllocationRequest.Keys));
        }

        return TypedResults.Ok(await walker.WalkAsync(request.Keys, context.RequestAborted));
    }
}
