namespace PeerGate.Server.Connections;

/// <summary>
/// How far a connection query got (F16-F18), in order; the attempt log keeps the furthest stage
/// with the code the query ended with.
/// </summary>
public static class AttemptStages
{
    /// <summary>The query arrived with a valid certificate.</summary>
    public const string Received = "received";

    /// <summary>The callee is a known terminal.</summary>
    public const string CalleeFound = "callee_found";

    /// <summary>The callee keeps its permit list itself (F15) and was asked for it; it stops here when it does not answer.</summary>
    public const string PermitQuery = "permit_query";

    /// <summary>The callee's permit table (or the list it sent) names the caller.</summary>
    public const string Permitted = "permitted";

    /// <summary>The callee is registered and connected to the trigger channel.</summary>
    public const string Online = "online";

    /// <summary>The status query is queued for the callee.</summary>
    public const string StatusQuery = "status_query";

    /// <summary>The callee answered that it can accept.</summary>
    public const string Accepted = "accepted";

    /// <summary>The session offer is queued for the callee.</summary>
    public const string Offered = "offered";

    /// <summary>The caller was answered with the grant.</summary>
    public const string Granted = "granted";

    /// <summary>Log-only outcome: the caller hung up before it could be answered.</summary>
    public const string CallerGone = "caller_gone";
}
