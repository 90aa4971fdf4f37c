using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Allocation;
using PeerGate.Server.Connections;
using PeerGate.Server.Http;
using PeerGate.Server.Observability;
using PeerGate.Server.Permits;
using PeerGate.Server.Registry;
using PeerGate.Server.Sessions;
using PeerGate.Server.Triggers;

namespace PeerGate.Server.Admin;

/// <summary>The operator API under /v1/admin, behind the admin bearer token (F3, F4, F6, F33).</summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup(AdminPaths.Root).RequireAdminToken();

        admin.MapGet("/devices", ListDevices)
            .Describe("List devices", "Every enrolled device with its standing, registration and trigger channel.");
        admin.MapPost("/devices", EnrollDevice).Accepts<EnrollDeviceRequest>(RequestBody.JsonType)
            .Describe("Enroll a device (F3)", "Stores a device and its key (generated unless given), optionally binding a name.")
            .Refuses(StatusCodes.Status409Conflict, ErrorCodes.AlreadyExists, ErrorCodes.NameTaken);
        admin.MapPost("/devices/{deviceId}/disable", DisableDevice)
            .Describe("Disable a device", "Refuses the device on every certificate route at once, cuts its trigger poll and ends its sessions.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound);
        admin.MapPost("/devices/{deviceId}/enable", EnableDevice)
            .Describe("Enable a device", "Restores a disabled device; ends nothing.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound);
        admin.MapPost("/devices/{deviceId}/revoke", RevokeDevice)
            .Describe("Revoke a device", "Revokes the device and its certificates for good.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound);
        admin.MapPost("/groups", EnrollGroup).Accepts<EnrollGroupRequest>(RequestBody.JsonType)
            .Describe("Enroll a group (F3)", "Stores a group key (generated unless given) and its derivation.")
            .Refuses(StatusCodes.Status409Conflict, ErrorCodes.AlreadyExists);
        admin.MapPost("/groups/{groupId}/disable", DisableGroup)
            .Describe("Disable a group", "Refuses every member on every certificate route at once.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound);
        admin.MapPost("/groups/{groupId}/enable", EnableGroup)
            .Describe("Enable a group", "Restores a disabled group.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound);
        admin.MapPost("/groups/{groupId}/revoke", RevokeGroup)
            .Describe("Revoke a group", "Revokes the group and its members for good.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound);
        admin.MapGet("/groups", ListGroups)
            .Describe("List groups", "Every group with its standing and enrollment settings.");
        admin.MapGet("/groups/{groupId}", GetGroup)
            .Describe("Read a group", "One group with its standing and enrollment settings.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound);
        admin.MapPut("/groups/{groupId}/enrollment-cap", SetGroupEnrollmentCap).Accepts<GroupEnrollmentCapRequest>(RequestBody.JsonType)
            .Describe("Set a group's enrollment cap", "How many devices may enroll through the group key; null for the server default.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound);
        admin.MapPost("/groups/{groupId}/enrollment/stop", StopGroupEnrollment)
            .Describe("Stop group enrollment", "No further device enrolls through the group key.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound);
        admin.MapPost("/groups/{groupId}/enrollment/start", StartGroupEnrollment)
            .Describe("Start group enrollment", "Devices may enroll through the group key again.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound);
        admin.MapGet("/groups/{groupId}/allowlist", GetGroupAllowlist)
            .Describe("Read a group's allowlist", "The factory allowlist of Device IDs and whether it is on.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound);
        admin.MapPost("/groups/{groupId}/allowlist", AllowInGroup).Accepts<GroupAllowlistRequest>(RequestBody.JsonType)
            .Describe("Add to a group's allowlist", "Adds Device IDs and turns the allowlist on; all or nothing.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound)
            .Refuses(StatusCodes.Status409Conflict, ErrorCodes.AllowlistFull);
        admin.MapPost("/groups/{groupId}/allowlist/remove", DisallowInGroup).Accepts<GroupAllowlistRequest>(RequestBody.JsonType)
            .Describe("Remove from a group's allowlist", "Removes Device IDs from the allowlist.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound);
        admin.MapDelete("/groups/{groupId}/allowlist", RemoveGroupAllowlist)
            .Describe("Clear a group's allowlist", "Empties the allowlist and turns it off.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound);
        admin.MapPost("/certificates/{serial}/revoke", RevokeCertificate)
            .Describe("Revoke a certificate", "Puts the serial on the revocation list and cuts the trigger poll made with it.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound);
        admin.MapGet("/allocation", GetAllocationTable)
            .Describe("Read the allocation table (F6)", "The service entry and every allocation entry.");
        admin.MapPut("/allocation/service-entry", SetServiceEntry).Accepts<AllocationHop>(RequestBody.JsonType)
            .Describe("Set the service entry (F6)", "Where devices start resolving.");
        admin.MapPut("/allocation/entries", SetAllocationEntry).Accepts<AllocationEntry>(RequestBody.JsonType)
            .Describe("Set an allocation entry (F6)", "The next hop for a key at a level.");
        admin.MapDelete("/allocation/entries/{level:int}/{key}", DeleteAllocationEntry)
            .Describe("Delete an allocation entry (F6)", "Removes the entry for a key at a level.")
            .Refuses(StatusCodes.Status400BadRequest, ErrorCodes.InvalidField)
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound);
        admin.MapGet("/connection-attempts", ListConnectionAttempts)
            .Describe("List connection attempts", "The attempt log: who asked for whom, the outcome and the path.")
            .Refuses(StatusCodes.Status400BadRequest, ErrorCodes.InvalidField);
        admin.MapGet("/permits/{terminalId}", GetPermits)
            .Describe("Read a terminal's permits", "A terminal's permit table and connection policy.")
            .Refuses(StatusCodes.Status400BadRequest, ErrorCodes.InvalidField);
        admin.MapGet("/sessions", ListSessions)
            .Describe("List sessions", "Active (and recently ended) sessions with their limits.");
        admin.MapPost("/sessions/{sessionId}/terminate", TerminateSession)
            .Describe("Terminate a session (F26)", "Ends an active session at once; both sides are told.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.SessionNotFound)
            .Refuses(StatusCodes.Status409Conflict, ErrorCodes.SessionEnded);
        admin.MapPut("/session-policies/{terminalId}", SetSessionPolicy).Accepts<SessionPolicyRequest>(RequestBody.JsonType)
            .Describe("Set a terminal's session maxima", "Per-device maxima of session time and bytes.");
        admin.MapGet("/names", ListNames)
            .Describe("List device names (F22)", "Bound, reserved and suspended names.");
        admin.MapPost("/names/bind", BindName).Accepts<NameBindingRequest>(RequestBody.JsonType)
            .Describe("Bind a device name (F22)", "Binds a name to a device; Rebind moves it from another.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound)
            .Refuses(StatusCodes.Status409Conflict, ErrorCodes.NameTaken, ErrorCodes.AlreadyExists);
        admin.MapPost("/names/reserve", ReserveName).Accepts<NameBindingRequest>(RequestBody.JsonType)
            .Describe("Reserve a device name (F22)", "Keeps a name from being claimed.")
            .Refuses(StatusCodes.Status409Conflict, ErrorCodes.NameTaken);
        admin.MapPost("/names/release", ReleaseName).Accepts<NameBindingRequest>(RequestBody.JsonType)
            .Describe("Release a device name (F22)", "Frees a bound, reserved or suspended name.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.NotFound);
        return routes;
    }

    private static async Task<Ok<DeviceSummary[]>> ListDevices(AdminStore store) => TypedResults.Ok(await store.ListDevicesAsync());

    private static async Task<Created<EnrolledDevice>> EnrollDevice(HttpContext context, AdminStore store)
    {
        var request = await RequestBody.ReadAsync<EnrollDeviceRequest>(context);
        Fields.RequireDeviceId(request.DeviceId, nameof(EnrollDeviceRequest.DeviceId));
        var key = request.KeyHex is null ? null : Fields.RequireHexKey(request.KeyHex, nameof(EnrollDeviceRequest.KeyHex));
        var groups = (request.Groups ?? []).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var group in groups)
        {
            Fields.RequireName(group, nameof(EnrollDeviceRequest.Groups));
        }

        if (request.Name is not null)
        {
            Fields.RequireDeviceName(request.Name, nameof(EnrollDeviceRequest.Name));
        }

        return TypedResults.Created(AdminPaths.Device(request.DeviceId), await store.EnrollDeviceAsync(request.DeviceId, key, groups, request.Name));
    }

    private static async Task<Created<EnrolledGroup>> EnrollGroup(HttpContext context, AdminStore store)
    {
        var request = await RequestBody.ReadAsync<EnrollGroupRequest>(context);
        Fields.RequireName(request.GroupId, nameof(EnrollGroupRequest.GroupId));
        var key = request.KeyHex is null ? null : Fields.RequireHexKey(request.KeyHex, nameof(EnrollGroupRequest.KeyHex));

        // A generated key has no devices flashed with v1 yet: it is v2, whatever was asked.
        if (key is null && request.Derivation == AuthProofs.GroupDerivationV1)
        {
            throw Fields.Invalid(nameof(EnrollGroupRequest.Derivation), "can be 1 only with a KeyHex whose devices were flashed with v1");
        }

        return TypedResults.Created(AdminPaths.Group(request.GroupId), await store.EnrollGroupAsync(request.GroupId, key, request.Derivation ?? AuthProofs.GroupDerivationV2));
    }

    private static Ok<GroupSummary[]> ListGroups(AdminStore store) => TypedResults.Ok(store.ListGroups());

    private static Ok<GroupSummary> GetGroup(string groupId, AdminStore store) => TypedResults.Ok(store.GetGroup(groupId));

    private static async Task<Ok<GroupSummary>> SetGroupEnrollmentCap(string groupId, HttpContext context, AdminStore store)
    {
        var request = await RequestBody.ReadAsync<GroupEnrollmentCapRequest>(context);
        return TypedResults.Ok(await store.SetGroupEnrollmentCapAsync(groupId, request.Cap));
    }

    private static async Task<Ok<GroupSummary>> StopGroupEnrollment(string groupId, AdminStore store) => TypedResults.Ok(await store.SetGroupEnrollmentStoppedAsync(groupId, stopped: true));

    private static async Task<Ok<GroupSummary>> StartGroupEnrollment(string groupId, AdminStore store) => TypedResults.Ok(await store.SetGroupEnrollmentStoppedAsync(groupId, stopped: false));

    private static Ok<GroupAllowlist> GetGroupAllowlist(string groupId, AdminStore store) => TypedResults.Ok(store.GetGroupAllowlist(groupId));

    private static async Task<Ok<GroupAllowlist>> AllowInGroup(string groupId, HttpContext context, AdminStore store) =>
        TypedResults.Ok(await store.AllowInGroupAsync(groupId, await ReadAllowlistDeviceIdsAsync(context)));

    private static async Task<Ok<GroupAllowlist>> DisallowInGroup(string groupId, HttpContext context, AdminStore store) =>
        TypedResults.Ok(await store.DisallowInGroupAsync(groupId, await ReadAllowlistDeviceIdsAsync(context)));

    private static async Task<Ok<GroupAllowlist>> RemoveGroupAllowlist(string groupId, AdminStore store) => TypedResults.Ok(await store.RemoveGroupAllowlistAsync(groupId));

    /// <summary>At least one Device ID, each canonical; one bad ID refuses them all.</summary>
    private static async Task<string[]> ReadAllowlistDeviceIdsAsync(HttpContext context)
    {
        var request = await RequestBody.ReadAsync<GroupAllowlistRequest>(context);
        if (request.DeviceIds.Length == 0)
        {
            throw Fields.Invalid(nameof(GroupAllowlistRequest.DeviceIds), "must name at least one Device ID");
        }

        foreach (var deviceId in request.DeviceIds)
        {
            Fields.RequireDeviceId(deviceId, nameof(GroupAllowlistRequest.DeviceIds));
        }

        return request.DeviceIds.Distinct(StringComparer.Ordinal).ToArray();
    }

    internal static async Task<NoContent> DisableDevice(string deviceId, AdminStore store, SessionEndAnnouncer announcer, TriggerHub hub) =>
        Refused(await store.SetDeviceDisabledAsync(deviceId, disabled: true), "device disabled", announcer, hub);

    internal static async Task<NoContent> EnableDevice(string deviceId, AdminStore store)
    {
        await store.SetDeviceDisabledAsync(deviceId, disabled: false);
        return TypedResults.NoContent();
    }

    internal static async Task<NoContent> RevokeDevice(string deviceId, AdminStore store, SessionEndAnnouncer announcer, TriggerHub hub) =>
        Refused(await store.RevokeDeviceAsync(deviceId), "device revoked", announcer, hub);

    private static async Task<NoContent> DisableGroup(string groupId, AdminStore store, SessionEndAnnouncer announcer, TriggerHub hub) =>
        Refused(await store.SetGroupDisabledAsync(groupId, disabled: true), "group disabled", announcer, hub);

    private static async Task<NoContent> EnableGroup(string groupId, AdminStore store)
    {
        await store.SetGroupDisabledAsync(groupId, disabled: false);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> RevokeGroup(string groupId, AdminStore store, SessionEndAnnouncer announcer, TriggerHub hub) =>
        Refused(await store.RevokeGroupAsync(groupId), "group revoked", announcer, hub);

    internal static async Task<NoContent> RevokeCertificate(string serial, AdminStore store, SessionEndAnnouncer announcer, TriggerHub hub) =>
        Refused(await store.RevokeCertificateAsync(serial), "certificate revoked", announcer, hub);

    /// <summary>
    /// After the refusal is committed: announces the sessions it ended and wakes the refused
    /// terminals' trigger polls, which check their certificate again and answer the refusal at once.
    /// </summary>
    private static NoContent Refused(Refusal refusal, string cause, SessionEndAnnouncer announcer, TriggerHub hub)
    {
        announcer.Announce(refusal.EndedSessions, cause);
        foreach (var terminal in refusal.Terminals)
        {
            hub.Wake(terminal);
        }

        return TypedResults.NoContent();
    }

    private static Ok<AllocationTable> GetAllocationTable(AllocationStore store) =>
        TypedResults.Ok(new AllocationTable(store.GetServiceEntry(), store.ListEntries()));

    private static async Task<NoContent> SetServiceEntry(HttpContext context, AllocationStore store) =>
        await ApplyServiceEntryAsync(await RequestBody.ReadAsync<AllocationHop>(context), store);

    /// <summary>Checks and stores the service entry; the dashboard's form comes here too.</summary>
    internal static async Task<NoContent> ApplyServiceEntryAsync(AllocationHop hop, AllocationStore store)
    {
        RequireHop(hop.Role, hop.Url, hop.Level, nameof(AllocationHop.Level));
        await store.SetServiceEntryAsync(hop);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> SetAllocationEntry(HttpContext context, AllocationStore store) =>
        await ApplyAllocationEntryAsync(await RequestBody.ReadAsync<AllocationEntry>(context), store);

    /// <summary>Checks and stores one allocation entry; the dashboard's form comes here too.</summary>
    internal static async Task<NoContent> ApplyAllocationEntryAsync(AllocationEntry entry, AllocationStore store)
    {
        Fields.RequireName(entry.Key, nameof(AllocationEntry.Key));
        RequireHop(entry.Role, entry.Url, entry.NextLevel, nameof(AllocationEntry.NextLevel));
        await store.SetEntryAsync(entry);
        return TypedResults.NoContent();
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAllocationEntry(int level, string key, AllocationStore store) =>
        await store.DeleteEntryAsync(level, key)
            ? TypedResults.NoContent()
            : ApiProblem.NotFound(ErrorCodes.NotFound, "No such allocation entry.");

    private static async Task<Ok<ConnectionAttemptSummary[]>> ListConnectionAttempts(ConnectionStore store, int? limit)
    {
        var count = limit ?? 100;
        Fields.RequireRange(count, 1, 1000, "limit");
        return TypedResults.Ok(await store.RecentAttemptsAsync(count));
    }

    private static Ok<PermitTable> GetPermits(string terminalId, PermitStore store)
    {
        Fields.RequireName(terminalId, nameof(terminalId));
        return TypedResults.Ok(store.Table(terminalId));
    }

    private static async Task<Ok<SessionSummary[]>> ListSessions(SessionStore store, TimeProvider time, int? limit)
    {
        var count = limit ?? 100;
        Fields.RequireRange(count, 1, 1000, "limit");
        return TypedResults.Ok(await store.RecentAsync(count, time.GetUtcNow().ToUnixTimeSeconds()));
    }

    /// <summary>Ends an active session (F26): the state and both session-end triggers are committed before the answer.</summary>
    internal static async Task<Results<Ok<SessionSummary>, ProblemHttpResult>> TerminateSession(string sessionId, SessionStore store, SessionEndAnnouncer announcer, TimeProvider time, ServerMetrics metrics)
    {
        var terminated = Fields.IsName(sessionId) ? await store.TerminateAsync(sessionId, time.GetUtcNow().ToUnixTimeSeconds()) : null;
        if (terminated is null)
        {
            return ApiProblem.NotFound(ErrorCodes.SessionNotFound, "No session with that ID.");
        }

        announcer.Announce(terminated.SessionId, terminated.Caller, terminated.Callee, "the operator");
        metrics.CountSession("terminated");
        return TypedResults.Ok(terminated);
    }

    private static async Task<NoContent> SetSessionPolicy(string terminalId, HttpContext context, SessionPolicy policy)
    {
        var request = await RequestBody.ReadAsync<SessionPolicyRequest>(context);
        Fields.RequireName(terminalId, nameof(terminalId));
        await policy.SetAsync(terminalId, request.MaxSeconds, request.MaxBytes);
        return TypedResults.NoContent();
    }

    private static Ok<DeviceNameSummary[]> ListNames(DeviceNameStore names) => TypedResults.Ok(names.All());

    /// <summary>Binds a device name to a device (F22): by Device ID, of this instance's devices unless an issuer is named.</summary>
    private static async Task<Ok<DeviceNameSummary>> BindName(HttpContext context, DeviceNameStore names)
    {
        var request = await RequestBody.ReadAsync<NameBindingRequest>(context);
        Fields.RequireDeviceName(request.Name, nameof(NameBindingRequest.Name));
        if (request.DeviceId is null)
        {
            throw ApiProblem.Exception(StatusCodes.Status400BadRequest, ErrorCodes.MissingField, "DeviceId is required.");
        }

        Fields.RequireDeviceId(request.DeviceId, nameof(NameBindingRequest.DeviceId));
        if (request.Issuer is not null)
        {
            Fields.RequireName(request.Issuer, nameof(NameBindingRequest.Issuer));
        }

        return TypedResults.Ok(await names.BindNameAsync(request.Name, request.Issuer ?? names.OwnIssuer, request.DeviceId, request.Rebind));
    }

    private static async Task<Ok<DeviceNameSummary>> ReserveName(HttpContext context, DeviceNameStore names)
    {
        var request = await RequestBody.ReadAsync<NameBindingRequest>(context);
        Fields.RequireDeviceName(request.Name, nameof(NameBindingRequest.Name));
        RequireNameOnly(request);
        return TypedResults.Ok(await names.ReserveAsync(request.Name));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> ReleaseName(HttpContext context, DeviceNameStore names)
    {
        var request = await RequestBody.ReadAsync<NameBindingRequest>(context);
        Fields.RequireDeviceName(request.Name, nameof(NameBindingRequest.Name));
        RequireNameOnly(request);
        return await names.ReleaseAsync(request.Name)
            ? TypedResults.NoContent()
            : ApiProblem.NotFound(ErrorCodes.NotFound, "No device, reservation or suspended entry holds that name.");
    }

    /// <summary>Reserve and release name no device: one that does is a mistake worth refusing, not ignoring.</summary>
    private static void RequireNameOnly(NameBindingRequest request)
    {
        if (request.DeviceId is not null || request.Issuer is not null || request.Rebind)
        {
            throw Fields.Invalid(nameof(NameBindingRequest.DeviceId), "must not be given to reserve or release a name");
        }
    }

    /// <summary>An allocation hop names the level it leads to (1-4); an authentication hop leads to level 0.</summary>
    private static void RequireHop(string role, string url, int level, string levelField)
    {
        if (role != HopRoles.Allocation && role != HopRoles.Authentication)
        {
            throw Fields.Invalid("Role", $"must be \"{HopRoles.Allocation}\" or \"{HopRoles.Authentication}\"");
        }

        Fields.RequireUrl(url, "Url");
        if (role == HopRoles.Allocation)
        {
            Fields.RequireRange(level, 1, ChainWalker.MaxLevels, levelField);
        }
        else
        {
            Fields.RequireRange(level, 0, 0, levelField);
        }
    }
}

public static class AdminTokenFilter
{
    /// <summary>Every route of the group needs "Authorization: Bearer &lt;admin token&gt;" (compared in fixed time).</summary>
    public static RouteGroupBuilder RequireAdminToken(this RouteGroupBuilder group)
    {
        group.WithMetadata(OperatorTokenRequired.Instance);
        group.AddEndpointFilter(async (invocation, next) =>
        {
            var context = invocation.HttpContext;
            var expected = context.RequestServices.GetRequiredService<AdminToken>().Value;
            var presented = BearerToken.From(context.Request);
            if (presented is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected)))
            {
                return ApiProblem.Unauthorized(ErrorCodes.AdminUnauthorized, "Present the operator token as \"Authorization: Bearer <token>\".");
            }

            return await next(invocation);
        });
        return group;
    }
}

/// <summary>The operator token of this instance, configured or generated into the data directory.</summary>
public sealed record AdminToken(string Value);
