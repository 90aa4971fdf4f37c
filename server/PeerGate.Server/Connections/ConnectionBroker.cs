using System.Security.Cryptography;
using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Identity;
using PeerGate.Server.Observability;
using PeerGate.Server.Permits;
using PeerGate.Server.Registry;
using PeerGate.Server.Triggers;

namespace PeerGate.Server.Connections;

/// <summary>
/// Mediates one connection query (F16-F18), stage by stage: the callee exists, permits the caller,
/// is online and on the trigger channel, answers Acceptable to the status query; then a session is
/// issued to both sides. A caller stopped at any stage learns no address and no key, and before the
/// status query the callee is not contacted at all.
/// </summary>
public sealed class ConnectionBroker(
    RegistryStore registry,
    PermitStore permits,
    TriggerStore triggers,
    TriggerHub hub,
    ConnectionStore store,
    ServerOptions options,
    TimeProvider time,
    ServerMetrics metrics,
    ILogger<ConnectionBroker> logger)
{
    public const int PasswordLength = 16;
    public const int KeyLength = 32;

    // One answer for "no such terminal" and for a stranger refused under uniform denial: same status, code and words.
    private static readonly ConnectionDenial NotFound = new(StatusCodes.Status404NotFound, ErrorCodes.CalleeNotFound, "No terminal with that ID takes connections from you.");

    public async Task<ConnectionOutcome> ConnectAsync(CertificatePayload caller, ConnectionRequest request, string? callerObservedIp, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var callee = request.CalleeTerminalId;
        var attempt = new ConnectionAttempt(now, caller.TerminalId, Fields.IsName(callee) ? callee : null);
        ConnectionOutcome outcome;
        try
        {
            outcome = await RunAsync(caller, request, callerObservedIp, attempt, now, cancellationToken);
        }
        catch (ApiProblemException problem)
        {
            End(attempt, problem.Code);
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            End(attempt, AttemptStages.CallerGone);
            throw;
        }

        if (outcome.Denial is { } denial)
        {
            End(attempt, denial.Code);
        }

        return outcome;
    }

    private async Task<ConnectionOutcome> RunAsync(CertificatePayload caller, ConnectionRequest request, string? callerObservedIp, ConnectionAttempt attempt, long now, CancellationToken cancellationToken)
    {
        Fields.RequireName(request.CalleeTerminalId, nameof(ConnectionRequest.CalleeTerminalId));
        Fields.RequireRange(request.CallerPort, 0, 65535, nameof(ConnectionRequest.CallerPort));
        var calleeId = request.CalleeTerminalId;
        if (calleeId == caller.TerminalId)
        {
            return Deny(StatusCodes.Status400BadRequest, ErrorCodes.SelfConnection, "A terminal cannot connect to itself.");
        }

        var callee = registry.Find(calleeId);
        if (callee is null)
        {
            return NotFound;
        }

        attempt.Stage = AttemptStages.CalleeFound;
        if (!permits.Permits(calleeId, caller))
        {
            return permits.UniformDenial(calleeId)
                ? NotFound
                : Deny(StatusCodes.Status403Forbidden, ErrorCodes.PermissionDenied, "The callee does not permit you to connect.");
        }

        attempt.Stage = AttemptStages.Permitted;
        if (!callee.IsOnline(now) || !hub.IsConnected(calleeId))
        {
            return Deny(StatusCodes.Status409Conflict, ErrorCodes.CalleeNotConnected, "The callee is not online or not listening for triggers; try again later.");
        }

        attempt.Stage = AttemptStages.Online;
        var reply = await AskStatusAsync(calleeId, now, attempt, cancellationToken);
        if (reply is null)
        {
            return Deny(StatusCodes.Status504GatewayTimeout, ErrorCodes.CalleeUnreachable, "The callee did not answer whether it can accept.");
        }

        if (reply.Status != AcceptStatus.Acceptable)
        {
            var retryAfter = Math.Max(1, reply.RetryAfterSeconds);
            return Deny(StatusCodes.Status503ServiceUnavailable, ErrorCodes.CalleeBusy, "The callee cannot accept a connection now.", reply.Reason, retryAfter);
        }

        attempt.Stage = AttemptStages.Accepted;
        return Offer(caller, request.CallerPort, callerObservedIp, callee, attempt);
    }

    /// <summary>Queues a status query that expires with the wait, and waits for its reply; null when none came in time.</summary>
    private async Task<TriggerReply?> AskStatusAsync(string calleeId, long now, ConnectionAttempt attempt, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.StatusQueryTimeout, time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        var expiresAt = now + (long)Math.Ceiling(options.StatusQueryTimeout.TotalSeconds);
        var query = new Trigger { Kind = TriggerKinds.StatusQuery, CreatedAt = now };
        using var pending = hub.Line(calleeId).ExpectReply(() => triggers.Enqueue(calleeId, query, expiresAt));
        metrics.CountTriggerQueued(TriggerKinds.StatusQuery);
        hub.Wake(calleeId);
        attempt.Stage = AttemptStages.StatusQuery;
        try
        {
            return await pending.Reply.WaitAsync(wait.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Issues the session: one commit puts the offer in the callee's queue, then the caller gets the same secrets.</summary>
    private ConnectionOutcome Offer(CertificatePayload caller, int callerPort, string? callerObservedIp, Registration callee, ConnectionAttempt attempt)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var expiresAt = now + (long)options.SessionOfferLifetime.TotalSeconds;
        var sessionId = "S" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(PasswordLength));
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyLength));

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
        };

        attempt.Stage = AttemptStages.Granted;
        attempt.SessionId = sessionId;
        store.Offer(sessionId, caller.TerminalId, callee.TerminalId, offer, attempt);
        metrics.CountTriggerQueued(TriggerKinds.SessionOffer);
        metrics.CountConnection(AttemptStages.Granted);
        hub.Wake(callee.TerminalId);
        logger.LogInformation("Connection {Caller} -> {Callee}: session {SessionId} issued, valid until {ExpiresAt}", caller.TerminalId, callee.TerminalId, sessionId, expiresAt);

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
        }, null);
    }

    /// <summary>Logs and counts a query that got no session.</summary>
    private void End(ConnectionAttempt attempt, string code)
    {
        attempt.Code = code;
        store.RecordAttempt(attempt);
        metrics.CountConnection(code);
        logger.LogInformation("Connection {Caller} -> {Callee}: stopped at {Stage} with {Code}", attempt.Caller, attempt.Callee ?? "-", attempt.Stage, code);
    }

    private static ConnectionOutcome Deny(int status, string code, string detail, string? reason = null, int retryAfter = 0) =>
        new ConnectionDenial(status, code, detail, reason, retryAfter);
}

/// <summary>Either a grant or a denial.</summary>
public sealed record ConnectionOutcome(ConnectionGrant? Grant, ConnectionDenial? Denial)
{
    public static implicit operator ConnectionOutcome(ConnectionDenial denial) => new(null, denial);
}

/// <summary>A refusal of the query: problem+json with <see cref="Code"/>; busy adds the reason and when to retry.</summary>
public sealed record ConnectionDenial(int Status, string Code, string Detail, string? Reason = null, int RetryAfter = 0);
