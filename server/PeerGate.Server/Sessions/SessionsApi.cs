using Microsoft.AspNetCore.Http.HttpResults;
using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Observability;
using PeerGate.Server.Registry;
using PeerGate.Server.Triggers;

using PeerGate.Server.Rendezvous;

namespace PeerGate.Server.Sessions;

/// <summary>A device's own sessions (F23-F25): list them, ask for an extension, report the end. Only the two sides may.</summary>
public static class SessionsApi
{
    /// <summary>Most sessions one list answers, newest first.</summary>
    public const int MaxListed = 100;

    private static readonly string[] Reasons =
    [
        SessionEndReasons.Completed, SessionEndReasons.TimeLimit, SessionEndReasons.ByteLimit, SessionEndReasons.ExtensionRefused,
        SessionEndReasons.Terminated, SessionEndReasons.PeerLost, SessionEndReasons.Error,
    ];

    public static IEndpointRouteBuilder MapSessions(this IEndpointRouteBuilder routes)
    {
        var sessions = routes.MapGroup(Routes.Sessions).RequireCertificate();

        sessions.MapGet(string.Empty, List).WithName("ListSessions")
            .Describe("List the device's sessions (F23)", "The calling device's active sessions with their limits.");
        sessions.MapPost("{sessionId}" + Routes.SessionExtensionSuffix, Extend).WithName("ExtendSession").RequireDeviceWriteLimit().Accepts<ExtensionRequest>(RequestBody.JsonType)
            .Describe("Extend a session (F24)", "Adds time or bytes within the operator's maxima; the answer carries the new limits and the tag the peer checks.")
            .Refuses(StatusCodes.Status403Forbidden, ErrorCodes.ExtensionRefused)
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.SessionNotFound)
            .Refuses(StatusCodes.Status409Conflict, ErrorCodes.SessionEnded)
            .Refuses(StatusCodes.Status503ServiceUnavailable, ErrorCodes.TriggerQueueFull);
        sessions.MapPost("{sessionId}" + Routes.SessionEndSuffix, End).WithName("EndSession").RequireDeviceWriteLimit().Accepts<SessionEndNotice>(RequestBody.JsonType)
            .Describe("Report a session's end (F25)", "The device's end notice: why the session ended and the bytes it moved.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.SessionNotFound)
            .Refuses(StatusCodes.Status409Conflict, ErrorCodes.SessionEnded);
        return routes;
    }

    private static async Task<Ok<SessionList>> List(CertifiedCaller caller, SessionStore store, TimeProvider time) =>
        TypedResults.Ok(new SessionList { Sessions = await store.ForTerminalAsync(caller.Certificate.TerminalId, Now(time), MaxListed) });

    /// <summary>New limits within policy, also queued to the other side as a session-limits trigger (F24).</summary>
    private static async Task<Ok<SessionLimits>> Extend(string sessionId, HttpContext context, CertifiedCaller caller, SessionStore store, TriggerHub hub, TimeProvider time, ServerMetrics metrics, RendezvousEndpoint rendezvous, ILogger<SessionStore> logger)
    {
        var request = await RequestBody.ReadAsync<ExtensionRequest>(context);
        RequireSessionId(sessionId);
        if (request.AddSeconds == 0 && request.AddBytes == 0)
        {
            throw Fields.Invalid(nameof(ExtensionRequest.AddSeconds), "or AddBytes must be more than 0");
        }

        (SessionLimits limits, string other) extended;
        try
        {
            extended = await store.ExtendAsync(sessionId, caller.Certificate.TerminalId, request, Now(time));
        }
        catch (ApiProblemException refused) when (refused.Code == ErrorCodes.ExtensionRefused)
        {
            metrics.CountSession("extension_refused");
            throw;
        }

        var (limits, other) = extended;
        metrics.CountSession("extended");
        metrics.CountTriggerQueued(TriggerKinds.SessionLimits);
        hub.Wake(other);

        // A relayed session's relay would otherwise cut it at its old limits.
        rendezvous.UpdateLimits(sessionId, limits.EndsAt, RelayTickets.RelayByteLimit(limits.ByteLimit));
        logger.LogInformation("Session {SessionId} extended by {Terminal}: ends at {EndsAt}, byte limit {ByteLimit}", sessionId, caller.Certificate.TerminalId, limits.EndsAt, limits.ByteLimit);
        return TypedResults.Ok(limits);
    }

    /// <summary>One side's end notice (F25): logged, and the first one ends the session.</summary>
    private static async Task<NoContent> End(string sessionId, HttpContext context, CertifiedCaller caller, SessionStore store, TimeProvider time, ServerMetrics metrics, ILogger<SessionStore> logger)
    {
        var notice = await RequestBody.ReadAsync<SessionEndNotice>(context);
        RequireSessionId(sessionId);
        if (!Reasons.Contains(notice.Reason, StringComparer.Ordinal))
        {
            throw Fields.Invalid(nameof(SessionEndNotice.Reason), "must be one of " + string.Join(", ", Reasons));
        }

        if (!string.IsNullOrEmpty(notice.Detail))
        {
            Fields.RequireLabels([notice.Detail], 1, 64, nameof(SessionEndNotice.Detail));
        }

        await store.RecordEndAsync(sessionId, caller.Certificate.TerminalId, notice, Now(time));
        logger.LogInformation(
            "Session {SessionId} end notice from {Terminal}: {Reason}, sent {BytesSent}, received {BytesReceived}",
            sessionId, caller.Certificate.TerminalId, notice.Reason, notice.BytesSent, notice.BytesReceived);
        metrics.CountSession("ended");
        return TypedResults.NoContent();
    }

    /// <summary>A malformed ID names no session: the same answer as one that is not yours.</summary>
    private static void RequireSessionId(string sessionId)
    {
        if (!Fields.IsName(sessionId))
        {
            throw ApiProblem.Exception(StatusCodes.Status404NotFound, ErrorCodes.SessionNotFound, "You have no session with that ID.");
        }
    }

    private static long Now(TimeProvider time) => time.GetUtcNow().ToUnixTimeSeconds();
}
