using System.Security.Cryptography;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;
using PeerGate.Server.Cluster;
using PeerGate.Server.Http;
using PeerGate.Server.Identity;
using PeerGate.Server.Observability;
using PeerGate.Server.Permits;
using PeerGate.Server.Registry;
using PeerGate.Server.Rendezvous;
using PeerGate.Server.Sessions;
using PeerGate.Server.Triggers;

namespace PeerGate.Server.Connections;

/// <summary>
/// Mediates one connection query (F16-F18), stage by stage: the callee (by Terminal ID or device name,
/// F22) exists, permits the caller (from its table, or from the lists it sends when it keeps them
/// itself, F15), is online and on the trigger channel, answers Acceptable to the status query; then a
/// session with its limits (F23) is issued to both sides. A caller stopped at any stage learns no address and no key, and before the
/// status query the callee is not contacted at all.
/// </summary>
public sealed class ConnectionBroker(
    RegistryStore registry,
    DeviceNameStore names,
    PermitStore permits,
    TriggerStore triggers,
    TriggerHub hub,
    ConnectionStore store,
    SessionPolicy sessionPolicy,
    ServerOptions options,
    TimeProvider time,
    ServerMetrics metrics,
    UdpMappings udpMappings,
    UdpPresence udpPresence,
    RelayTickets relayTickets,
    RendezvousEndpoint rendezvous,
    ILogger<ConnectionBroker> logger)
{
    public const int PasswordLength = 16;
    public const int KeyLength = 32;

    /// <summary>Longest device connection password a caller may send (F28); longer is refused as the request is read.</summary>
    public const int MaxDevicePasswordLength = 128;

    /// <summary>Why no path was possible, as the attempt log records it (stable: operators filter on it).</summary>
    public static class NoPathReasons
    {
        /// <summary>The callee is behind a NAT (its declared address is not the one observed, and it declared no port-forward) and the caller listens on no port.</summary>
        public const string CalleeBehindNatCallerNotListening = "callee_behind_nat_caller_not_listening";

        /// <summary>As above, and the rendezvous endpoint's ticket book is full of live sessions: no punch or relay either.</summary>
        public const string RendezvousFull = "rendezvous_full";
    }

    // One answer for "no such terminal" and for a stranger refused under uniform denial: same status, code and words.
    private static readonly ConnectionDenial NotFound = new(StatusCodes.Status404NotFound, ErrorCodes.CalleeNotFound, "No such terminal takes connections from you.");

    private static readonly ConnectionDenial SelfConnection = new(StatusCodes.Status400BadRequest, ErrorCodes.SelfConnection, "A terminal cannot connect to itself.");

    private static readonly ConnectionDenial NotConnected = new(StatusCodes.Status409Conflict, ErrorCodes.CalleeNotConnected, "The callee is not online or not listening for triggers; try again later.");

    /// <param name="apiHost">The host the caller reached the HTTP API at: the rendezvous host devices dial when no other is configured.</param>
    public async Task<ConnectionOutcome> ConnectAsync(CertificatePayload caller, ConnectionRequest request, string? callerObservedIp, CancellationToken cancellationToken, string? apiHost = null)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var attempt = new ConnectionAttempt(now, caller.TerminalId) { Callee = Fields.IsName(request.CalleeTerminalId) ? request.CalleeTerminalId : null };
        ConnectionOutcome outcome;
        try
        {
            outcome = await RunAsync(caller, request, callerObservedIp, apiHost, attempt, now, cancellationToken);
        }
        catch (ApiProblemException problem)
        {
            await EndAsync(attempt, problem.Code);
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await EndAsync(attempt, AttemptStages.CallerGone);
            throw;
        }

        if (outcome.Denial is { } denial)
        {
            await EndAsync(attempt, denial.Code);
        }

        return outcome;
    }

    private async Task<ConnectionOutcome> RunAsync(CertificatePayload caller, ConnectionRequest request, string? callerObservedIp, string? apiHost, ConnectionAttempt attempt, long now, CancellationToken cancellationToken)
    {
        var byName = RequireOneCallee(request);
        RequireDevicePassword(request.DevicePassword);
        if (!byName && request.CalleeTerminalId == caller.TerminalId)
        {
            return SelfConnection;
        }

        var callee = byName ? registry.FindByName(request.CalleeName) : registry.Find(request.CalleeTerminalId);
        if (callee is null)
        {
            return NotFound;
        }

        if (callee.TerminalId == caller.TerminalId)
        {
            return SelfConnection;
        }

        var calleeId = callee.TerminalId;
        attempt.Callee = calleeId;
        attempt.Stage = AttemptStages.CalleeFound;
        var uniformDenial = permits.UniformDenial(calleeId);
        bool permitted;
        if (permits.DeviceHeld(calleeId))
        {
            // The callee decides from its own lists (F15), so it must be reachable before anything is known.
            if (!Reachable(callee, now))
            {
                return uniformDenial ? NotFound : NotConnected;
            }

            var callerName = names.NameOf(caller.Issuer, caller.DeviceId);
            var question = new Trigger { Kind = TriggerKinds.PermitQuery, PeerTerminalId = caller.TerminalId, PeerName = callerName, PeerGroups = caller.Groups };
            using var asked = await AskAsync(calleeId, question, now, attempt, AttemptStages.PermitQuery);
            var lists = await WaitForReplyAsync(asked, cancellationToken);
            if (lists is null)
            {
                return Unreachable("The callee did not send its permit list in time.");
            }

            permitted = DeviceHeldList.Permits(lists, caller, callerName, callee.Issuer);
        }
        else
        {
            permitted = permits.Permits(calleeId, caller);
        }

        if (!permitted)
        {
            return uniformDenial
                ? NotFound
                : Deny(StatusCodes.Status403Forbidden, ErrorCodes.PermissionDenied, "The callee does not permit you to connect.");
        }

        attempt.Stage = AttemptStages.Permitted;
        if (!Reachable(callee, now))
        {
            return NotConnected;
        }

        attempt.Stage = AttemptStages.Online;
        if (callee.LocalPort == 0)
        {
            // It registered no listening port: it only calls out, so no caller can reach it, and
            // asking it or issuing a session it can never use would only queue secrets for nothing.
            return Unreachable("The callee takes no incoming connections (it registered no listening port).");
        }

        // The session's ID is named in the question, so the callee lets a caller that arrives before
        // the offer wait for it, and refuses every other unknown session at once.
        var sessionId = "S" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        // Held until this query ends: the callee's reply request is answered with the offer it led to,
        // or with nothing as soon as no offer follows (busy, no path, refused, caller gone).
        using var status = await AskAsync(calleeId, new Trigger { Kind = TriggerKinds.StatusQuery, SessionId = sessionId }, now, attempt, AttemptStages.StatusQuery);
        var reply = await WaitForReplyAsync(status, cancellationToken);
        if (reply is null)
        {
            return Unreachable("The callee did not answer whether it can accept.");
        }

        // The operator's device list shows each device's last answer (F33); the reply was validated as it arrived.
        // It is kept in the commit that ends the attempt (the session, or the denial), not a commit of its own.
        attempt.Answer = new StatusAnswer(reply.Status ?? AcceptStatus.Busy, reply.Status == AcceptStatus.Acceptable ? null : reply.Reason, time.GetUtcNow().ToUnixTimeSeconds());

        if (reply.Status != AcceptStatus.Acceptable)
        {
            var retryAfter = Math.Max(1, reply.RetryAfterSeconds);
            return Deny(StatusCodes.Status503ServiceUnavailable, ErrorCodes.CalleeBusy, "The callee cannot accept a connection now.", reply.Reason, retryAfter);
        }

        attempt.Stage = AttemptStages.Accepted;

        // The callee's NAT mapping from its UDP registrations, when fresher than its HTTP registration (F27, F31).
        callee = udpMappings.Apply(callee, time.GetUtcNow().ToUnixTimeSeconds());
        var rendezvousHost = RendezvousHost(apiHost);
        var path = ChoosePath(callee, request.CallerPort, rendezvousHost is not null);
        if (path is null)
        {
            attempt.NoPath = NoPathReasons.CalleeBehindNatCallerNotListening;
            metrics.CountConnectionPath("none");
            return Unreachable("No path to the callee yet: it is behind a NAT and you listen on no port (CallerPort 0) it could connect back to.");
        }

        attempt.Path = path;
        var (seconds, bytes) = sessionPolicy.Issue(caller.TerminalId, calleeId, request.TimeLimitSeconds, request.ByteLimit);
        RelayTicketPair? tickets = null;
        if (IsRendezvous(path))
        {
            // Both tickets before anything is committed: a full book leaves no session behind.
            tickets = relayTickets.Issue(sessionId, time.GetUtcNow().ToUnixTimeSeconds() + seconds, RelayTickets.RelayByteLimit(bytes));
            if (tickets is null)
            {
                attempt.Path = null;
                attempt.NoPath = NoPathReasons.RendezvousFull;
                metrics.CountConnectionPath("none");
                return Unreachable("No path to the callee now: it is behind a NAT, you listen on no port, and the rendezvous endpoint holds as many sessions as it can.");
            }
        }

        var rendezvousPort = options.RendezvousPublicPort > 0 ? options.RendezvousPublicPort : rendezvous.BoundPort;
        return await OfferAsync(sessionId, caller, request, callerObservedIp, callee, path, seconds, bytes, attempt, tickets is null ? null : new RendezvousGrant(rendezvousHost!, rendezvousPort, tickets), status);
    }

    /// <summary>
    /// The path for a callee that accepted: direct when the callee's listener can be dialled, otherwise
    /// reverse when the caller listens (the callee connects out to it), otherwise none (null).
    /// </summary>
    public static string? ChoosePath(Registration callee, int callerPort) => ChoosePath(callee, callerPort, false);

    /// <summary>
    /// As above, and when neither is possible but the rendezvous endpoint is on: punched (the devices
    /// punch through their NATs, and fall back to the relay with the same tickets). The server does not
    /// know a NAT's port behaviour (it sees one mapping per device), so it always lets the punch be tried:
    /// behind a port-randomising NAT it fails within the punch window and the relay takes over.
    /// </summary>
    public static string? ChoosePath(Registration callee, int callerPort, bool rendezvousOn) =>
        CalleeDialable(callee) ? ConnectionPaths.Direct
        : callerPort > 0 ? ConnectionPaths.Reverse
        : rendezvousOn ? ConnectionPaths.Punched
        : null;

    private static bool IsRendezvous(string path) => path is ConnectionPaths.Punched or ConnectionPaths.Relayed;

    /// <summary>
    /// The host devices dial for the rendezvous endpoint; null when the endpoint is off. The configured
    /// one, else the endpoint's own address when it binds one, else the host the caller reached the API at.
    /// </summary>
    private string? RendezvousHost(string? apiHost)
    {
        if (rendezvous.BoundPort <= 0)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(options.RendezvousPublicHost))
        {
            return options.RendezvousPublicHost;
        }

        var bound = options.RendezvousAddress ?? "127.0.0.1";
        if (System.Net.IPAddress.TryParse(bound, out var address) && !address.Equals(System.Net.IPAddress.Any) && !address.Equals(System.Net.IPAddress.IPv6Any))
        {
            return bound;
        }

        return string.IsNullOrEmpty(apiHost) ? null : apiHost;
    }

    /// <summary>
    /// The callee listens and either nothing rewrites its address (the IP it declared is the IP the server
    /// observed) or it declared itself reachable (a port-forward). Anything else is a NAT in between, which
    /// drops a caller's connection: the device's word that it is reachable is the only way past that.
    /// </summary>
    public static bool CalleeDialable(Registration callee) =>
        callee.LocalPort > 0 && (callee.Reachable || SameAddress(callee.LocalIp, callee.ObservedIp));

    private static bool SameAddress(string? declared, string? observed) =>
        System.Net.IPAddress.TryParse(declared, out var a) && System.Net.IPAddress.TryParse(observed, out var b)
        && (a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).Equals(b.IsIPv4MappedToIPv6 ? b.MapToIPv4() : b);

    /// <summary>The device password is optional; when given it is printable ASCII of bounded length. The message never names its value.</summary>
    private static void RequireDevicePassword(string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            return;
        }

        if (password.Length > MaxDevicePasswordLength || password.Any(c => c < 0x20 || c > 0x7e))
        {
            throw Fields.Invalid(nameof(ConnectionRequest.DevicePassword), $"must be 1 to {MaxDevicePasswordLength} printable ASCII characters");
        }
    }

    /// <summary>
    /// Online, on the trigger channel and not refused here. A disabled callee answers as one that is
    /// offline, so a caller cannot tell that the operator disabled it. The trigger channel is a poll
    /// held here, or a fresh UDP mapping (F38): such a device holds no poll, and the question reaches
    /// it by wake and fetch; if the wake is lost the status query ends in callee_unreachable.
    /// </summary>
    private bool Reachable(Registration callee, long now) =>
        !callee.Refused && callee.IsOnline(now) && (hub.IsConnected(callee.TerminalId) || udpPresence.IsFresh(callee.TerminalId, now));

    /// <summary>True when the callee is named by device name; exactly one of CalleeTerminalId and CalleeName must be given.</summary>
    private static bool RequireOneCallee(ConnectionRequest request)
    {
        var byId = !string.IsNullOrEmpty(request.CalleeTerminalId);
        var byName = !string.IsNullOrEmpty(request.CalleeName);
        if (!byId && !byName)
        {
            throw ApiProblem.Exception(StatusCodes.Status400BadRequest, ErrorCodes.MissingField, "CalleeTerminalId or CalleeName is required.");
        }

        if (byId && byName)
        {
            throw Fields.Invalid(nameof(ConnectionRequest.CalleeName), "must not be given together with CalleeTerminalId");
        }

        if (byId)
        {
            Fields.RequireName(request.CalleeTerminalId, nameof(ConnectionRequest.CalleeTerminalId));
        }
        else
        {
            Fields.RequireDeviceName(request.CalleeName, nameof(ConnectionRequest.CalleeName));
        }

        return byName;
    }

    /// <summary>
    /// Queues a question to the callee that expires with the wait (the same bound for every question);
    /// the reply waiter exists before the commit makes the question visible to a poll.
    /// </summary>
    private async Task<PendingReply> AskAsync(string calleeId, Trigger question, long now, ConnectionAttempt attempt, string stage)
    {
        var expiresAt = now + (long)Math.Ceiling(options.StatusQueryTimeout.TotalSeconds);
        question.CreatedAt = now;
        question.ExpiresAt = expiresAt;
        var pending = await hub.Line(calleeId).ExpectReplyAsync(question.Kind, registered => triggers.EnqueueAsync(calleeId, question, expiresAt, registered));
        metrics.CountTriggerQueued(question.Kind);

        // The wait is counted from here, before the device can hear of the question: however late this
        // request gets to wait, it never waits longer than the timeout after the device was woken.
        pending.Deadline = time.GetUtcNow() + options.StatusQueryTimeout;
        hub.Wake(calleeId, question, expiresAt);
        attempt.Stage = stage;
        return pending;
    }

    /// <summary>The callee's reply to <paramref name="pending"/>; null when none came within the status-query timeout.</summary>
    private async Task<TriggerReply?> WaitForReplyAsync(PendingReply pending, CancellationToken cancellationToken)
    {
        try
        {
            var remaining = pending.Deadline - time.GetUtcNow();
            return remaining > TimeSpan.Zero
                ? await pending.Reply.WaitAsync(remaining, time, cancellationToken)
                : pending.Reply.IsCompletedSuccessfully ? pending.Reply.Result : null;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>
    /// Issues the session: one commit puts the offer in the callee's queue, then the callee (in the answer
    /// to its reply, <paramref name="status"/>) and the caller get the same secrets.
    /// </summary>
    private async Task<ConnectionOutcome> OfferAsync(string sessionId, CertificatePayload caller, ConnectionRequest request, string? callerObservedIp, Registration callee, string path, long sessionSeconds, long byteLimit, ConnectionAttempt attempt, RendezvousGrant? rendezvousGrant, PendingReply status)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var expiresAt = now + (long)options.SessionOfferLifetime.TotalSeconds;
        var callerPort = request.CallerPort;
        var sessionEndsAt = now + sessionSeconds;
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(PasswordLength));
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyLength));

        // Each side's own limits key (F24): the other side never sees it, so it can forward the limits
        // the server tags for it but never make up its own.
        var callerLimitsKey = RandomNumberGenerator.GetBytes(LimitsTag.KeyLength);
        var calleeLimitsKey = RandomNumberGenerator.GetBytes(LimitsTag.KeyLength);

        // The caller's declared address comes from its registration, if it has one; its port is the one it listens on now.
        var callerRegistration = registry.Find(caller.TerminalId);
        var declaredIp = callerRegistration is not null && callerRegistration.IsOnline(now) ? callerRegistration.LocalIp : null;
        var offer = new Trigger
        {
            Kind = TriggerKinds.SessionOffer,
            CreatedAt = now,
            SessionId = sessionId,
            PeerTerminalId = caller.TerminalId,
            PeerLocalIp = declaredIp,
            PeerLocalPort = callerPort,
            PeerObservedIp = callerObservedIp,
            PeerObservedPort = callerPort,
            Password = password,
            Key = key,
            ExpiresAt = expiresAt,
            SessionEndsAt = sessionEndsAt,
            SessionByteLimit = byteLimit,
            LimitsKey = Convert.ToBase64String(calleeLimitsKey),

            // reverse: the callee connects to PeerObservedIp:PeerObservedPort, the caller as the server saw it.
            Path = path,

            // Only here: the offer row is deleted once delivered; the attempt log and the logs never see it.
            DevicePassword = string.IsNullOrEmpty(request.DevicePassword) ? null : request.DevicePassword,

            // punched, relayed: the endpoint and the callee's own ticket (deleted with the offer row once delivered).
            RendezvousHost = rendezvousGrant?.Host,
            RendezvousPort = rendezvousGrant?.Port ?? 0,
            RendezvousTicket = rendezvousGrant is null ? null : Convert.ToBase64String(rendezvousGrant.Tickets.Callee),
        };

        attempt.Stage = AttemptStages.Granted;
        attempt.SessionId = sessionId;
        var refused = await store.OfferAsync(sessionId, caller, callee.TerminalId, offer, callerLimitsKey, calleeLimitsKey);
        if (refused is not null)
        {
            // The operator refused one side while the callee was being asked: no session, and the stage it had reached.
            attempt.Stage = AttemptStages.Accepted;
            attempt.SessionId = null;
            attempt.Path = null;
            if (rendezvousGrant is not null)
            {
                relayTickets.Revoke(sessionId);
            }

            return refused == ConnectionStore.CallerRefused
                ? Deny(StatusCodes.Status403Forbidden, ErrorCodes.DeviceDisabled, "The device or its group has been disabled.")
                : NotConnected;
        }

        _ = store.RecordGrantSoon(attempt).ContinueWith(
            logged => logger.LogWarning(logged.Exception, "The connection-attempt log missed the grant of session {SessionId}", sessionId),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted,
            TaskScheduler.Default);
        metrics.CountTriggerQueued(TriggerKinds.SessionOffer);
        metrics.CountConnection(AttemptStages.Granted);
        if (!IsRendezvous(path))
        {
            // A rendezvous path is counted once the endpoint knows which one the devices took (PathSettled).
            metrics.CountConnectionPath(path);
            metrics.CountConnectionOutcome(AttemptStages.Granted, path);
        }

        // The queue keeps the offer until the callee acknowledges it, so an answer lost on the way loses nothing.
        status.Follow(offer);
        hub.Wake(callee.TerminalId, offer, expiresAt);
        logger.LogInformation("Connection {Caller} -> {Callee}: session {SessionId} issued on path {Path}, offer valid until {ExpiresAt}, session ends at {SessionEndsAt}, byte limit {ByteLimit}",
            caller.TerminalId, callee.TerminalId, sessionId, path, expiresAt, sessionEndsAt, byteLimit);

        return new ConnectionOutcome(new ConnectionGrant
        {
            SessionId = sessionId,
            CalleeTerminalId = callee.TerminalId,
            CalleeLocalIp = callee.LocalIp,
            CalleeLocalPort = callee.LocalPort,
            CalleeObservedIp = callee.ObservedIp,
            CalleeObservedPort = callee.ObservedPort,
            Password = password,
            Key = key,
            ExpiresAt = expiresAt,
            SessionEndsAt = sessionEndsAt,
            SessionByteLimit = byteLimit,
            LimitsKey = Convert.ToBase64String(callerLimitsKey),
            Path = path,
            RendezvousHost = rendezvousGrant?.Host,
            RendezvousPort = rendezvousGrant?.Port ?? 0,
            RendezvousTicket = rendezvousGrant is null ? null : Convert.ToBase64String(rendezvousGrant.Tickets.Caller),
        }, null);
    }

    /// <summary>Logs and counts a query that got no session.</summary>
    private async Task EndAsync(ConnectionAttempt attempt, string code)
    {
        attempt.Code = code;
        await store.RecordAttemptAsync(attempt);
        metrics.CountConnection(code);
        metrics.CountConnectionOutcome(code, "none");
        logger.LogInformation("Connection {Caller} -> {Callee}: stopped at {Stage} with {Code}{NoPath}", attempt.Caller, attempt.Callee ?? "-", attempt.Stage, code, attempt.NoPath is null ? "" : " (no path: " + attempt.NoPath + ")");
    }

    private static ConnectionOutcome Unreachable(string detail) =>
        new ConnectionDenial(StatusCodes.Status504GatewayTimeout, ErrorCodes.CalleeUnreachable, detail);

    private static ConnectionOutcome Deny(int status, string code, string detail, string? reason = null, int retryAfter = 0) =>
        new ConnectionDenial(status, code, detail, reason, retryAfter);
}

/// <summary>Where the devices meet for a punched or relayed session, and their tickets.</summary>
internal sealed record RendezvousGrant(string Host, int Port, RelayTicketPair Tickets);

/// <summary>Either a grant or a denial.</summary>
public sealed record ConnectionOutcome(ConnectionGrant? Grant, ConnectionDenial? Denial)
{
    public static implicit operator ConnectionOutcome(ConnectionDenial denial) => new(null, denial);
}

/// <summary>A refusal of the query: problem+json with <see cref="Code"/>; busy adds the reason and when to retry.</summary>
public sealed record ConnectionDenial(int Status, string Code, string Detail, string? Reason = null, int RetryAfter = 0);
