using Microsoft.AspNetCore.Http.HttpResults;
using PeerGate.Protocol;

namespace PeerGate.Server.Http;

/// <summary>
/// Every refusal the API gives: RFC 9457 problem+json with a stable <c>code</c> from
/// <see cref="ErrorCodes"/>, the same code the device branches on.
/// </summary>
public static class ApiProblem
{
    public const string TypeBase = "https://peergate.dev/problems/";

    public static ProblemHttpResult Create(int status, string code, string detail)
    {
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Type = TypeBase + code,
            Title = TitleOf(code),
            Status = status,
            Detail = detail,
        };
        problem.Extensions["code"] = code;
        return TypedResults.Problem(problem);
    }

    /// <summary>A problem with members beyond <c>code</c>, e.g. callee_busy's reason and retryAfter.</summary>
    public static ProblemHttpResult Create(int status, string code, string detail, params (string Name, object? Value)[] members)
    {
        var result = Create(status, code, detail);
        foreach (var (name, value) in members)
        {
            result.ProblemDetails.Extensions[name] = value;
        }

        return result;
    }

    public static ProblemHttpResult BadRequest(string code, string detail) => Create(StatusCodes.Status400BadRequest, code, detail);

    public static ProblemHttpResult Unauthorized(string code, string detail) => Create(StatusCodes.Status401Unauthorized, code, detail);

    public static ProblemHttpResult Forbidden(string code, string detail) => Create(StatusCodes.Status403Forbidden, code, detail);

    public static ProblemHttpResult NotFound(string code, string detail) => Create(StatusCodes.Status404NotFound, code, detail);

    /// <summary>Thrown where a handler cannot return early (deep in a helper); turned into the problem it carries.</summary>
    public static ApiProblemException Exception(int status, string code, string detail) => new(status, code, detail);

    /// <summary>The problem's title for a stable code; a test holds every code of <see cref="ErrorCodes"/> to a title of its own.</summary>
    public static string TitleOf(string code) => code switch
    {
        ErrorCodes.MalformedJson => "Malformed JSON",
        ErrorCodes.BodyTooLarge => "Request body too large",
        ErrorCodes.MissingField => "Required field missing",
        ErrorCodes.InvalidField => "Invalid field",
        ErrorCodes.UnsupportedMediaType => "Unsupported media type",
        ErrorCodes.UnsupportedVersion => "Unsupported API version",
        ErrorCodes.RouteNotFound => "No such route",
        ErrorCodes.MethodNotAllowed => "Method not allowed",
        ErrorCodes.RateLimited => "Too many requests",
        ErrorCodes.UnknownDevice => "Unknown device",
        ErrorCodes.WrongKey => "Proof does not match the device key",
        ErrorCodes.DeviceDisabled => "Device disabled",
        ErrorCodes.NonceUnknown => "Unknown nonce",
        ErrorCodes.NonceUsed => "Nonce already used",
        ErrorCodes.NonceExpired => "Nonce expired",
        ErrorCodes.CertificateMissing => "Certificate missing",
        ErrorCodes.CertificateInvalid => "Certificate invalid",
        ErrorCodes.CertificateExpired => "Certificate expired",
        ErrorCodes.CertificateRevoked => "Certificate revoked",
        ErrorCodes.AllocationKeyUnknown => "Unknown allocation key",
        ErrorCodes.AllocationChainBroken => "Allocation chain broken",
        ErrorCodes.ServiceEntryMissing => "No service entry configured",
        ErrorCodes.NotOwnTerminal => "Not the certificate's terminal",
        ErrorCodes.TerminalNotFound => "Terminal not found",
        ErrorCodes.GroupNotFound => "Group not found",
        ErrorCodes.NoMatch => "No matching terminal",
        ErrorCodes.PermitInvalid => "Permit request invalid",
        ErrorCodes.PollerSuperseded => "Poller superseded",
        ErrorCodes.TriggerUnknown => "Unknown trigger",
        ErrorCodes.PermissionDenied => "Permission denied",
        ErrorCodes.CalleeNotFound => "Callee not found",
        ErrorCodes.CalleeNotConnected => "Callee not connected",
        ErrorCodes.CalleeBusy => "Callee busy",
        ErrorCodes.CalleeUnreachable => "Callee unreachable",
        ErrorCodes.SelfConnection => "Connection to itself",
        ErrorCodes.NameTaken => "Device name taken",
        ErrorCodes.NameNotBound => "Device name not bound to this device",
        ErrorCodes.SessionNotFound => "Session not found",
        ErrorCodes.SessionEnded => "Session ended",
        ErrorCodes.ExtensionRefused => "Extension refused",
        ErrorCodes.AdminUnauthorized => "Operator token required",
        ErrorCodes.AlreadyExists => "Already exists",
        ErrorCodes.NotFound => "Not found",
        ErrorCodes.InternalError => "Internal server error",
        ErrorCodes.CursorAhead => "Trigger cursor ahead of the server",
        ErrorCodes.AuthenticationFailed => "Authentication failed",
        ErrorCodes.StorageFull => "Storage full",
        ErrorCodes.StorageReadOnly => "Storage read-only",
        ErrorCodes.StorageBusy => "Storage busy",
        ErrorCodes.StorageUnavailable => "Storage unavailable",
        ErrorCodes.BadRequest => "Bad request",
        ErrorCodes.UriTooLong => "Request line too long",
        ErrorCodes.HeadersTooLarge => "Request headers too large",
        ErrorCodes.HttpVersionNotSupported => "HTTP version not supported",
        ErrorCodes.RequestTimeout => "Request timeout",
        ErrorCodes.TriggerQueueFull => "Trigger queue full",
        ErrorCodes.TlsRequired => "TLS required",
        ErrorCodes.CertificateNotYetValid => "Certificate not yet valid",
        ErrorCodes.TerminalIssuerMismatch => "Terminal ID belongs to another issuer",
        ErrorCodes.AllowlistFull => "Group allowlist full",
        ErrorCodes.DashboardUnauthorized => "Dashboard login required",
        ErrorCodes.CsrfInvalid => "CSRF token missing or wrong",
        ErrorCodes.PeerRequestInvalid => "Peer request invalid",
        ErrorCodes.PeerRequestReplayed => "Peer request replayed",
        ErrorCodes.PeerPasswordWrong => "Peer connection password wrong",
        ErrorCodes.FrameMalformed => "Frame malformed",
        ErrorCodes.FrameTampered => "Frame tampered",
        ErrorCodes.FrameOutOfOrder => "Frame out of order",
        ErrorCodes.PeerTimeout => "Peer timed out",
        ErrorCodes.ReverseConnectTimeout => "Reverse connection timed out",
        _ => "Request refused",
    };
}

/// <summary>A storage fault as an answer: 503, its code, and when to try again (header and member).</summary>
public static class StorageProblem
{
    public static IResult Answer(HttpContext context, PeerGate.Server.Storage.StorageFault fault)
    {
        context.Response.Headers.RetryAfter = fault.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.RequestServices.GetService<PeerGate.Server.Observability.ServerMetrics>()?.CountStorageFault(fault.Code);
        return ApiProblem.Create(StatusCodes.Status503ServiceUnavailable, fault.Code, fault.Detail, ("retryAfter", fault.RetryAfterSeconds));
    }
}

/// <summary>A refusal raised below a handler; the problem middleware writes it as problem+json.</summary>
public sealed class ApiProblemException(int status, string code, string detail) : Exception(detail)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    public ProblemHttpResult ToResult() => ApiProblem.Create(Status, Code, Message);
}
