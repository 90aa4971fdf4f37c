using System.Net;
using System.Threading.Channels;
using PeerGate.Protocol;

namespace PeerGate.Server.Testing;

/// <summary>
/// A callee's trigger loop reduced to what tests and benchmarks need: it long-polls with its cursor,
/// answers every status query with <see cref="Answer"/> and every permit query with <see cref="PermitAnswer"/>,
/// hands session offers to <see cref="Offers"/> and session-end and session-limits triggers to <see cref="SessionEvents"/>.
/// A session offer that comes in the answer to its reply is taken from there; the same offer in a later
/// poll (the queue keeps it until the cursor passes it) is not handed on again. The queries of one poll
/// batch are answered side by side, as a device with more than one HTTP connection can, even where
/// offers lie between them.
/// Stops when disposed, when superseded, or when the server refuses it.
/// </summary>
public sealed class TriggerResponder : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly string _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<Trigger> _offers = Channel.CreateUnbounded<Trigger>();
    private readonly Channel<Trigger> _sessionEvents = Channel.CreateUnbounded<Trigger>();
    private readonly Task _loop;
    private int _statusQueries;
    private int _permitQueries;
    private int _answeredOffers;

    // Seqs of offers taken from reply answers and not yet passed by the cursor.
    private readonly HashSet<long> _taken = [];
    private int _disposed;

    /// <param name="answer">The reply to a status query; null leaves it unanswered (a callee that never answers).</param>
    public TriggerResponder(HttpClient http, string certificate, Func<Trigger, TriggerReply?>? answer = null)
    {
        _http = http;
        _certificate = certificate;
        Answer = answer ?? (query => TestDevice.Reply(query.Seq));
        _loop = Task.Run(RunAsync);
    }

    public Func<Trigger, TriggerReply?> Answer { get; set; }

    /// <summary>True (the default): offers in reply answers are taken; false: the answer's body is ignored, as by an older device, and offers come by poll.</summary>
    public bool TakeOffersFromAnswers { get; set; } = true;

    /// <summary>Session offers taken from the answer to a reply rather than from a poll.</summary>
    public int AnsweredOffers => Volatile.Read(ref _answeredOffers);

    /// <summary>The reply to a permit query (F15); null (the default) leaves it unanswered.</summary>
    public Func<Trigger, TriggerReply?> PermitAnswer { get; set; } = _ => null;

    /// <summary>session-end and session-limits triggers in the order they arrived (F24, F26).</summary>
    public ChannelReader<Trigger> SessionEvents => _sessionEvents.Reader;

    /// <summary>Permit queries seen so far.</summary>
    public int PermitQueries => Volatile.Read(ref _permitQueries);

    /// <summary>Session offers in the order they arrived.</summary>
    public ChannelReader<Trigger> Offers => _offers.Reader;

    /// <summary>Status queries seen so far.</summary>
    public int StatusQueries => Volatile.Read(ref _statusQueries);

    /// <summary>The last sequence number handled; the next poll acknowledges up to it.</summary>
    public long Cursor { get; private set; }

    /// <summary>Why the loop ended early (superseded, refused), or null while it runs or after a clean stop.</summary>
    public string? StoppedBecause { get; private set; }

    /// <summary>Stops the loop (a device going away); a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var response = await TestDevice.PollTriggersAsync(_http, _certificate, Cursor, _stop.Token);
                if (!response.IsSuccessStatusCode)
                {
                    StoppedBecause = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) + ": " + await response.Content.ReadAsStringAsync();
                    break;
                }

                var batch = await TestDevice.ReadAsync<TriggerBatch>(response, _stop.Token);
                var triggers = batch.Triggers;

                // Every query of the batch is answered side by side; everything else is handed on in
                // the batch's order as it is met, so queries interleaved with offers still go together.
                var answers = new List<Task>();
                foreach (var trigger in triggers)
                {
                    if (IsQuery(trigger))
                    {
                        answers.Add(AnswerAsync(trigger));
                    }
                    else
                    {
                        HandOn(trigger);
                    }
                }

                await Task.WhenAll(answers);
                if (triggers.Length > 0)
                {
                    Cursor = triggers[^1].Seq;
                }

                lock (_taken)
                {
                    // Offers taken from answers right after the cursor are handled: the next poll acknowledges them.
                    while (_taken.Contains(Cursor + 1))
                    {
                        Cursor++;
                    }

                    _taken.RemoveWhere(seq => seq <= Cursor);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (HttpRequestException gone)
            {
                // The server went away (a test killed it): stop, and say why.
                StoppedBecause = "server unreachable: " + gone.Message;
                break;
            }
        }

        _offers.Writer.TryComplete();
        _sessionEvents.Writer.TryComplete();
    }

    private static bool IsQuery(Trigger trigger) => trigger.Kind is TriggerKinds.StatusQuery or TriggerKinds.PermitQuery;

    /// <summary>A trigger that asks nothing: an offer (unless already taken from a reply's answer) or a session event.</summary>
    private void HandOn(Trigger trigger)
    {
        if (trigger.Kind == TriggerKinds.SessionOffer)
        {
            lock (_taken)
            {
                if (_taken.Contains(trigger.Seq))
                {
                    return;
                }
            }

            _offers.Writer.TryWrite(trigger);
        }
        else if (trigger.Kind is TriggerKinds.SessionEnd or TriggerKinds.SessionLimits)
        {
            _sessionEvents.Writer.TryWrite(trigger);
        }
    }

    /// <summary>Answers a status query or a permit query, and takes the session offer its answer may carry.</summary>
    private async Task AnswerAsync(Trigger trigger)
    {
        TriggerReply? reply;
        if (trigger.Kind == TriggerKinds.StatusQuery)
        {
            Interlocked.Increment(ref _statusQueries);
            reply = Answer(trigger);
        }
        else
        {
            Interlocked.Increment(ref _permitQueries);
            reply = PermitAnswer(trigger);
        }

        if (reply is not null)
        {
            using var answered = await TestDevice.ReplyToTriggerAsync(_http, _certificate, reply, _stop.Token);
            if (answered.StatusCode == HttpStatusCode.OK && TakeOffersFromAnswers)
            {
                var offer = (await TestDevice.ReadAsync<TriggerReplyAnswer>(answered, _stop.Token)).Offer;
                lock (_taken)
                {
                    _taken.Add(offer.Seq);
                }

                Interlocked.Increment(ref _answeredOffers);
                _offers.Writer.TryWrite(offer);
            }
            else if (answered.StatusCode != HttpStatusCode.NoContent && answered.StatusCode != HttpStatusCode.NotFound)
            {
                answered.EnsureSuccessStatusCode();
            }
        }
    }
}
