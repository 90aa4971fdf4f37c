using Microsoft.AspNetCore.Http.HttpResults;
using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Identity;
using PeerGate.Server.Observability;
using PeerGate.Server.Permits;
using PeerGate.Server.Registry;

namespace PeerGate.Server.Triggers;

/// <summary>The trigger channel (F21): the device's long-poll, and its replies to triggers that ask one (F17).</summary>
public static class TriggersApi
{
    public static IEndpointRouteBuilder MapTriggers(this IEndpointRouteBuilder routes)
    {
        var triggers = routes.MapGroup(Routes.Triggers).RequireCertificate();

        triggers.MapGet(string.Empty, Poll).WithName("PollTriggers")
            .Describe("Long-poll for triggers (F21)", "Answers the triggers after the cursor `after`, waiting up to `wait` seconds (or the server's poll timeout) for one. A newer poll of the same device supersedes this one.")
            .Refuses(StatusCodes.Status400BadRequest, ErrorCodes.InvalidField)
            .Refuses(StatusCodes.Status409Conflict, ErrorCodes.PollerSuperseded, ErrorCodes.CursorAhead);
        triggers.MapPost("/replies", Reply).WithName("ReplyToTrigger").RequireDeviceWriteLimit().Accepts<TriggerReply>(RequestBody.JsonType)
            .Describe("Reply to a trigger (F15, F17, F18)", "The device's answer to a status query or a permit query. An Acceptable answer to a status query that leads to a session is answered 200 with its session offer (also kept in the queue until the cursor passes it); anything else 204.")
            .Refuses(StatusCodes.Status404NotFound, ErrorCodes.TriggerUnknown);
        return routes;
    }

    /// <summary>
    /// Acknowledges everything up to <c>after</c>, then answers what is queued beyond it: at once when
    /// there is something, else when a wake-up brings something or the poll times out. What is queued
    /// comes from the terminal's memory of its queue when that is provably exact (a committed trigger
    /// handed over after its commit, see <see cref="TerminalLine"/>), else from a read of the queue, so
    /// only the queue decides what is delivered and an idle re-poll touches no database. A server that
    /// stops answers its open polls at once, so shutdown does not wait out the timeout. After every
    /// wake-up the certificate's standing is checked again, and the operator wakes the terminal when it
    /// refuses it: a poll of a device disabled or revoked meanwhile is answered with that refusal at once.
    /// </summary>
    private static async Task<Results<Ok<TriggerBatch>, ProblemHttpResult, EmptyHttpResult>> Poll(
        HttpContext context,
        CertifiedCaller caller,
        CertificateVerifier verifier,
        TriggerStore store,
        TriggerHub hub,
        PollTimeouts timeouts,
        ServerOptions options,
        TimeProvider time,
        ServerMetrics metrics,
        IHostApplicationLifetime lifetime)
    {
        var cursor = ReadCursor(context.Request.Query["after"]);
        var pollTimeout = ReadWait(context.Request.Query["wait"], options.TriggerPollTimeout);
        var terminalId = caller.Certificate.TerminalId;
        var line = hub.Line(terminalId);
        // Memory may not have been told yet of a trigger the device already holds (the offer in the answer
        // to its reply, a wake still on its way from another instance), so only the database says "ahead".
        if (line.IsAhead(cursor) is not false && IsAheadOfQueue(store, line, terminalId, cursor))
        {
            // The device handled numbers this server never issued: the queue was reset. Acknowledging
            // with that cursor would swallow every new trigger, so the device must start again from 0.
            metrics.CountPoll(ErrorCodes.CursorAhead);
            return ApiProblem.Create(StatusCodes.Status409Conflict, ErrorCodes.CursorAhead, "The cursor is past every trigger this server issued; poll again with after=0.");
        }

        // The poll's deadline starts before the poll is visible as "connected", so a clock that moves
        // once the device is seen polling always counts against this poll. Deadlines are timed out in
        // batches (PollTimeouts); a static callback for an abort: the poller is its whole state, so a
        // held poll costs no closure.
        var poller = new TerminalLine.Poller(time.GetUtcNow().ToUnixTimeMilliseconds());
        using var timeout = timeouts.Add(poller, pollTimeout);
        using var aborted = context.RequestAborted.UnsafeRegister(static state => ((TerminalLine.Poller)state!).Signal(TerminalLine.Poller.Aborted), poller);
        hub.BeginPoll(terminalId, line, poller);
        try
        {
            // The hub answers every open poll once stopping begins; one that began after is answered here.
            if (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                poller.Signal(TerminalLine.Poller.Stopping);
            }

            Acknowledge(store, line, terminalId, cursor, Now(time));
            hub.Reached(terminalId, cursor);
            while (true)
            {
                var flags = poller.Take();
                if ((flags & TerminalLine.Poller.Superseded) != 0)
                {
                    metrics.CountPoll("superseded");
                    return Superseded();
                }

                if ((flags & TerminalLine.Poller.Aborted) != 0)
                {
                    // The device went away: nobody to answer, and nothing was delivered.
                    return TypedResults.Empty;
                }

                if ((flags & TerminalLine.Poller.Woken) != 0)
                {
                    metrics.CountPollWake();

                    // The certificate filter admitted this poll; a refusal since then throws its problem here.
                    await verifier.RecheckAsync(caller.Certificate, context.RequestAborted);
                }

                if ((flags & TerminalLine.Poller.TimedOut) != 0 && line.KnowsQueue)
                {
                    // One read per timeout, not per poll: a commit whose wake-up was lost still arrives.
                    line.Confirm(store.LastSeq(terminalId));
                }

                var now = Now(time);
                var pending = line.Pending(cursor, now) ?? Read(store, line, terminalId, cursor, now);
                if (pending.Length > 0 || (flags & (TerminalLine.Poller.TimedOut | TerminalLine.Poller.Stopping)) != 0)
                {
                    metrics.CountTriggersDelivered(pending);
                    metrics.CountPoll(pending.Length > 0 ? "triggers" : "empty");
                    if (pending.Length > 0)
                    {
                        await store.ForgetDeliveredOffersAsync(terminalId, pending);
                        line.OffersForgotten(pending[0].Seq, pending[^1].Seq);
                        hub.Reached(terminalId, pending[^1].Seq);
                    }

                    return TypedResults.Ok(new TriggerBatch { Triggers = pending });
                }

                await poller.WaitAsync();
            }
        }
        finally
        {
            line.EndPoll(poller, time.GetUtcNow());
        }
    }

    /// <summary>
    /// Deletes what <paramref name="cursor"/> acknowledges, in the next commit and without waiting for it;
    /// when memory knows the queue holds nothing to delete, without touching the database. Memory learns
    /// of the delete once it is durable.
    /// </summary>
    private static void Acknowledge(TriggerStore store, TerminalLine line, string terminalId, long cursor, long now)
    {
        if (line.MustDelete(cursor, now) is false)
        {
            return;
        }

        // A failed delete leaves the rows and memory as they were: the next poll deletes them.
        store.AcknowledgeSoon(terminalId, cursor, now)?.ContinueWith(
            delete =>
            {
                if (delete.IsCompletedSuccessfully)
                {
                    line.Acknowledged(cursor, now);
                }
                else
                {
                    _ = delete.Exception;
                }
            },
            TaskScheduler.Default);
    }

    /// <summary>Reads the queue after <paramref name="cursor"/> and lets memory learn it (last seq first: see <see cref="TerminalLine.Learn"/>).</summary>
    private static Trigger[] Read(TriggerStore store, TerminalLine line, string terminalId, long cursor, long now)
    {
        var version = line.Version;
        var last = store.LastSeq(terminalId);
        var rows = store.PendingRows(terminalId, cursor, now);
        line.Learn(version, last, cursor, rows);
        return Array.ConvertAll(rows, row => row.Trigger);
    }

    /// <summary>
    /// Completes the connection query waiting for this (terminal, seq); unknown or too late is 404. A status
    /// query needs Status (F17); a permit query needs nothing but well-formed Permits and Denies (F15).
    /// An Acceptable status reply is answered once the query has acted on it: with the session offer it led
    /// to, committed and queued (F18), so the device needs no poll for it; with nothing (204) when none
    /// followed. The wait is bounded by the status-query timeout.
    /// </summary>
    private static async Task<Results<Ok<TriggerReplyAnswer>, NoContent, ProblemHttpResult>> Reply(HttpContext context, CertifiedCaller caller, TriggerHub hub, ServerOptions options, TimeProvider time, ServerMetrics metrics)
    {
        var reply = await RequestBody.ReadAsync<TriggerReply>(context);
        if (reply.Status is not null && reply.Status != AcceptStatus.Acceptable && reply.Status != AcceptStatus.Busy)
        {
            throw Fields.Invalid(nameof(TriggerReply.Status), $"must be \"{AcceptStatus.Acceptable}\" or \"{AcceptStatus.Busy}\"");
        }

        if (reply.Status == AcceptStatus.Busy && reply.Reason is null)
        {
            throw ApiProblem.Exception(StatusCodes.Status400BadRequest, ErrorCodes.MissingField, "Reason is required when busy.");
        }

        if (reply.Reason is not null)
        {
            Fields.RequireLabels([reply.Reason], 1, 64, nameof(TriggerReply.Reason));
        }

        DeviceHeldList.Validate(reply.Permits, nameof(TriggerReply.Permits));
        DeviceHeldList.Validate(reply.Denies, nameof(TriggerReply.Denies));

        var line = hub.Line(caller.Certificate.TerminalId);
        if (line.AwaitedKind(reply.Seq) == TriggerKinds.StatusQuery && reply.Status is null)
        {
            throw StatusRequired();
        }

        var followUp = line.Complete(reply.Seq, reply);
        if (followUp is null)
        {
            // Another instance of the deployment may be the one waiting for it.
            var forwarded = await hub.ForwardReplyAsync(caller.Certificate.TerminalId, reply, context.RequestAborted);
            return forwarded.Code switch
            {
                null => Answer(forwarded.Offer, metrics),
                ErrorCodes.MissingField => throw StatusRequired(),
                _ => UnknownTrigger(),
            };
        }

        if (reply.Status != AcceptStatus.Acceptable)
        {
            return TypedResults.NoContent();
        }

        return Answer(await PendingReply.OfferWithinAsync(followUp, options.StatusQueryTimeout, time, context.RequestAborted), metrics);
    }

    private static ApiProblemException StatusRequired() =>
        ApiProblem.Exception(StatusCodes.Status400BadRequest, ErrorCodes.MissingField, "Status is required in the answer to a status query.");

    private static Results<Ok<TriggerReplyAnswer>, NoContent, ProblemHttpResult> Answer(Trigger? offer, ServerMetrics metrics)
    {
        if (offer is null)
        {
            return TypedResults.NoContent();
        }

        metrics.CountTriggersDelivered([offer]);
        return TypedResults.Ok(new TriggerReplyAnswer { Offer = offer });
    }

    private static ProblemHttpResult UnknownTrigger() =>
        ApiProblem.NotFound(ErrorCodes.TriggerUnknown, "No request is waiting for a reply to that trigger; it is unknown or its wait is over.");

    /// <summary>Whether <paramref name="cursor"/> is past the last seq the queue issued; memory that knew another last forgets.</summary>
    private static bool IsAheadOfQueue(TriggerStore store, TerminalLine line, string terminalId, long cursor)
    {
        var last = store.LastSeq(terminalId);
        line.Confirm(last);
        return cursor > last;
    }

    private static long ReadCursor(Microsoft.Extensions.Primitives.StringValues value) =>
        NumericFields.Query(value, "after", 0, FieldRanges.MaxTriggerSeq, 0);

    /// <summary>
    /// How long this poll may wait: the server's poll timeout, or less when the device asks with
    /// <c>wait</c> (seconds) so that the answer beats its own HTTP timeout. Asking for more than the
    /// server allows gets the server's limit.
    /// </summary>
    private static TimeSpan ReadWait(Microsoft.Extensions.Primitives.StringValues value, TimeSpan longest)
    {
        if (value.Count == 0)
        {
            return longest;
        }

        var seconds = NumericFields.Query(value, "wait", 1, FieldRanges.MaxPollWaitSeconds, 0);
        return seconds < longest.TotalSeconds ? TimeSpan.FromSeconds(seconds) : longest;
    }

    private static ProblemHttpResult Superseded() =>
        ApiProblem.Create(StatusCodes.Status409Conflict, ErrorCodes.PollerSuperseded, "A newer poll for this terminal replaced this one.");

    private static long Now(TimeProvider time) => time.GetUtcNow().ToUnixTimeSeconds();
}
