using Microsoft.AspNetCore.Http.HttpResults;
using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Registry;

namespace PeerGate.Server.Permits;

/// <summary>A terminal edits and reads its own permit table and policy (F14, F16); the certificate says whose.</summary>
public static class PermitsApi
{
    public static IEndpointRouteBuilder MapPermits(this IEndpointRouteBuilder routes)
    {
        var permits = routes.MapGroup(Routes.Permits).RequireCertificate();

        permits.MapGet(string.Empty, GetTable).WithName("GetPermits")
            .Describe("Read the permit table (F14)", "Who may connect to the calling device, and its connection policy.");
        permits.MapPost(string.Empty, Register).WithName("RegisterPermits").RequireDeviceWriteLimit().Accepts<PermitRequest>(RequestBody.JsonType)
            .Describe("Change permits (F14)", "Adds or removes entries of the calling device's permit table, all or nothing.")
            .Refuses(StatusCodes.Status400BadRequest, ErrorCodes.PermitInvalid);
        permits.MapPut("/policy", SetPolicy).WithName("SetConnectionPolicy").RequireDeviceWriteLimit().Accepts<ConnectionPolicy>(RequestBody.JsonType)
            .Describe("Set the connection policy (F15, F16)", "Whether connections need a permit, the device's confirmation, or both.");
        return routes;
    }

    private static Ok<PermitTable> GetTable(CertifiedCaller caller, PermitStore store) =>
        TypedResults.Ok(store.Table(caller.Certificate.TerminalId));

    /// <summary>REGISTER: every operation checked first, then all applied together; "complete" with the resulting table.</summary>
    private static async Task<Ok<PermitResult>> Register(HttpContext context, CertifiedCaller caller, PermitStore store)
    {
        var request = await RequestBody.ReadAsync<PermitRequest>(context);
        PermitRules.Validate(request);
        var entries = await store.ApplyAsync(caller.Certificate.TerminalId, request.Operations);
        return TypedResults.Ok(new PermitResult { Result = "complete", Entries = entries });
    }

    private static async Task<Ok<PermitTable>> SetPolicy(HttpContext context, CertifiedCaller caller, PermitStore store)
    {
        var policy = await RequestBody.ReadAsync<ConnectionPolicy>(context);
        await store.SetPolicyAsync(caller.Certificate.TerminalId, policy);
        return TypedResults.Ok(store.Table(caller.Certificate.TerminalId));
    }
}
