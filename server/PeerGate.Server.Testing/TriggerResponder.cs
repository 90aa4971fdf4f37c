using System.Net;
using System.Threading.Channels;
using PeerGate.Protocol;

namespace PeerGate.Server.Testing;

/// <summary>
/// A callee's trigger loop reduced to what tests and benchmarks need: it long-polls with its cursor,
/// answers every status query with <see cref="Answer"/> and every permit query with <see cref="PermitAnswer"/>,
/// hands session offers to <see cref="Offers"/> and session-end and session-limits triggers to <see cref="SessionEvents"/>.
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
                foreach (var trigger in batch.Triggers)
                {
                    await HandleAsync(trigger);
                    Cursor = trigger.Seq;
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

    private async Task HandleAsync(Trigger trigger)
    {
        if (trigger.Kind == TriggerKinds.SessionOffer)
        {
            _offers.Writer.TryWrite(trigger);
            return;
        }

        if (trigger.Kind is TriggerKinds.SessionEnd or TriggerKinds.SessionLimits)
        {
            _sessionEvents.Writer.TryWrite(trigger);
            return;
        }

        TriggerReply? reply;
        if (trigger.Kind == TriggerKinds.StatusQuery)
        {
            Interlocked.Increment(ref _statusQueries);
            reply = Answer(trigger);
        }
        else if (trigger.Kind == TriggerKinds.PermitQuery)
        {
            Interlocked.Increment(ref _permitQueries);
            reply = PermitAnswer(trigger);
        }
        else
        {
            return;
        }

        if (reply is not null)
        {
            using var answered = await TestDevice.ReplyToTriggerAsync(_http, _certificate, reply, _stop.Token);
            if (answered.StatusCode != HttpStatusCode.NoContent && answered.StatusCode != HttpStatusCode.NotFound)
            {
                answered.EnsureSuccessStatusCode();
            }
        }
    }
}
