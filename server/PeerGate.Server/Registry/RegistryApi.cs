using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;
using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Identity;
using PeerGate.Server.Observability;
using PeerGate.Server.Rendezvous;

namespace PeerGate.Server.Registry;

/// <summary>The registry role: registration (F10), inquiry by terminal (F11) and group (F12), matching (F13).</summary>
public static class RegistryApi
{
    public static IEndpointRouteBuilder MapRegistry(this IEndpointRouteBuilder routes)
    {
        var registry = routes.MapGroup("/v1/registry").RequireCertificate();

        registry.MapPost("/registrations", Register).WithName("Register").RequireDeviceWriteLimit().Accepts<RegistrationRequest>(RequestBody.JsonType)
            .Describe("Register the device's address (F10)", "Stores the calling terminal's declared and observed address, trigger channel and optional name; the Terminal ID must be the certificate's.")
            .Refuses(StatusCodes.Status403Forbidden, ErrorCodes.NotOwnTerminal, ErrorCodes.NameNotBound)
            .Refuses(StatusCodes.Status409Conflict, ErrorCodes.NameTaken, ErrorCodes.AlreadyExists);
        registry.MapGet("/terminals/{terminalId}", FindTerminal).WithName("FindTerminal")
            .Describe("Look up a terminal (F11)", "The registered address of a terminal the caller may see.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.TerminalNotFound);
        registry.MapGet("/groups/{groupId}/members", ListGroupMembers).WithName("ListGroupMembers")
            .Describe("List a group's members (F12)", "The registered terminals of a group that the caller may see (none for a group it may not see).");
        registry.MapPost("/match", Match).WithName("Match").Accepts<MatchRequest>(RequestBody.JsonType)
            .Describe("Match a terminal (F13)", "The first registered terminal that fits the request and that the caller may see.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NoMatch);
        return routes;
    }

    private static async Task<Results<Ok<RegistrationResponse>, ProblemHttpResult>> Register(
        HttpContext context, CertifiedCaller caller, RegistryStore store, ServerOptions options, TimeProvider time, ServerMetrics metrics)
    {
        var request = await RequestBody.ReadAsync<RegistrationRequest>(context);
        var certificate = caller.Certificate;
        if (request.TerminalId != certificate.TerminalId)
        {
            return NotOwnTerminal();
        }

        Fields.RequireIp(request.LocalIp, nameof(RegistrationRequest.LocalIp));
        if (request.Kind is not null)
        {
            Fields.RequireLabels([request.Kind], 1, 64, nameof(RegistrationRequest.Kind));
        }

        Fields.RequireLabels(request.Capabilities, 16, 64, nameof(RegistrationRequest.Capabilities));
        Fields.RequireLabels(request.Attributes, 16, 128, nameof(RegistrationRequest.Attributes), keyValue: true);
        if (!string.IsNullOrEmpty(request.Name))
        {
            Fields.RequireDeviceName(request.Name, nameof(RegistrationRequest.Name));
        }

        if (request.TriggerChannel is not null && request.TriggerChannel != TriggerChannels.Udp && request.TriggerChannel != TriggerChannels.LongPoll)
        {
            throw Fields.Invalid(nameof(RegistrationRequest.TriggerChannel), "must be udp or long-poll");
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var lifetime = (long)options.RegistrationLifetime.TotalSeconds;

        // Never online past the certificate: an expired certificate must re-authenticate first.
        var expiresAt = Math.Min(now + lifetime, certificate.ExpiresAt);
        var observedIp = ObservedIp(context.Connection.RemoteIpAddress);
        var observedPort = context.Connection.RemotePort;

        if (!await store.RegisterAsync(certificate, request, observedIp, observedPort, now, expiresAt, options.DeviceNameSelfClaim))
        {
            return NotOwnTerminal();
        }

        metrics.CountRegistration();
        return TypedResults.Ok(new RegistrationResponse
        {
            TerminalId = certificate.TerminalId,
            ObservedIp = observedIp,
            ObservedPort = observedPort,
            ExpiresAt = expiresAt,
            RefreshAfter = now + ((expiresAt - now) / 2),
        });
    }

    private static Results<Ok<TerminalAddress>, ProblemHttpResult> FindTerminal(string terminalId, CertifiedCaller caller, RegistryStore store, VisibilityGate gate, UdpMappings udp, TimeProvider time)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var target = Fields.IsName(terminalId) ? store.Find(terminalId) : null;

        // Unknown, offline and not permitted answer alike, so a stranger cannot probe who exists.
        return target is not null && gate.CanSee(caller.Certificate, target, now)
            ? TypedResults.Ok(ToAddress(udp.Apply(target, now)))
            : ApiProblem.NotFound(ErrorCodes.TerminalNotFound, "No terminal with that ID is visible to you.");
    }

    private static Ok<GroupMembers> ListGroupMembers(string groupId, CertifiedCaller caller, RegistryStore store, VisibilityGate gate, UdpMappings udp, TimeProvider time)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();

        // An unknown group and a group with nothing visible both answer an empty list: no probing.
        var members = Fields.IsName(groupId)
            ? store.OnlineInGroup(groupId, now).Where(gate.For(caller.Certificate, now)).Select(member => ToAddress(udp.Apply(member, now))).ToArray()
            : [];
        return TypedResults.Ok(new GroupMembers { GroupId = groupId, Members = members });
    }

    private static async Task<Results<Ok<TerminalAddress>, ProblemHttpResult>> Match(HttpContext context, CertifiedCaller caller, RegistryStore store, VisibilityGate gate, UdpMappings udp, TimeProvider time)
    {
        var request = await RequestBody.ReadAsync<MatchRequest>(context);
        Fields.RequireLabels(request.Capabilities, 16, 64, nameof(MatchRequest.Capabilities));
        Fields.RequireLabels(request.Attributes, 16, 128, nameof(MatchRequest.Attributes), keyValue: true);

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var visible = gate.For(caller.Certificate, now);
        var match = store.FirstOnlineMatch(request.Kind, request.Capabilities ?? [], request.Attributes ?? [], now, visible);

        return match is not null
            ? TypedResults.Ok(ToAddress(udp.Apply(match, now)))
            : ApiProblem.NotFound(ErrorCodes.NoMatch, "No online terminal visible to you fits those requirements.");
    }

    /// <summary>The address as callers see it; the observed one is the fresh UDP mapping's when there is one (F27).</summary>
    private static TerminalAddress ToAddress(Registration registration) => new()
    {
        TerminalId = registration.TerminalId,
        LocalIp = registration.LocalIp,
        LocalPort = registration.LocalPort,
        ObservedIp = registration.ObservedIp,
        ObservedPort = registration.ObservedPort,
        Kind = registration.Kind,
        LastSeen = registration.LastSeen,
        ExpiresAt = registration.ExpiresAt,
    };

    private static ProblemHttpResult NotOwnTerminal() =>
        ApiProblem.Forbidden(ErrorCodes.NotOwnTerminal, "A device can only register the terminal its certificate names.");

    /// <summary>The peer address as devices should read it: IPv4-mapped IPv6 as plain IPv4.</summary>
    public static string? ObservedIp(IPAddress? address) =>
        address is null ? null : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
}
