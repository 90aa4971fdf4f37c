using System.Security.Cryptography;
using System.Text.Json;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Server.Cluster;
using PeerGate.Server.Rendezvous;

namespace PeerGate.Server.Triggers;

/// <summary>
/// The in-memory side of the trigger channel (F21): one <see cref="TerminalLine"/> per terminal with
/// its wake-up slot, its current poller and the replies being waited for. Nothing here is the truth
/// about what to deliver; that is the queue in <see cref="TriggerStore"/>. Every wake-up after a trigger
/// is queued passes through <see cref="Wake(string)"/> or, with the committed trigger handed over so a
/// waiting poll answers it from memory, <see cref="Wake(string, Trigger, long)"/>; both also wake a
/// device listening on UDP (F38).
/// <para>
/// Several instances on one database (docs/deployment.md) tell each other through the
/// <see cref="ClusterBus"/> what only memory knows: a trigger queued (the instance the device polls
/// reads its queue), a poll begun (an older poll elsewhere is superseded, and every instance counts the
/// terminal connected), and a device's reply that reached another instance than the one waiting for it
/// (<see cref="ForwardReplyAsync"/>).
/// </para>
/// </summary>
public sealed class TriggerHub : IClusterListener
{
    /// <summary>Forwarded replies waiting for the instance that holds their query; beyond this a reply is answered as unknown.</summary>
    public const int MaxForwards = 4096;

    /// <summary>
    /// How long a forwarded reply waits to hear that some instance took it: two messages through the
    /// database, so far longer than they take. An unknown trigger is answered after this.
    /// </summary>
    public static readonly TimeSpan ForwardTimeout = TimeSpan.FromSeconds(2);

    private readonly CountedDictionary<string, TerminalLine> _lines = new(StringComparer.Ordinal);
    private readonly CountedDictionary<string, Forward> _forwards = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ServerOptions _options;
    private readonly UdpWaker _udp;
    private readonly TriggerStore _store;
    private readonly ClusterBus _bus;

    public TriggerHub(TimeProvider time, ServerOptions options, UdpWaker udp, TriggerStore store, ClusterBus bus)
    {
        _time = time;
        _options = options;
        _udp = udp;
        _store = store;
        _bus = bus;
        bus.Subscribe(this);
    }

    public TerminalLine Line(string terminalId) => _lines.GetOrAdd(terminalId, static (_, _) => new TerminalLine(), 0);

    /// <summary>
    /// Tells the terminal's poller to read its queue again (memory forgets what it knew of the queue),
    /// and a device with a fresh UDP mapping to fetch it (retried until it has polled past the newest seq).
    /// </summary>
    public void Wake(string terminalId)
    {
        // UDP first: once the poll is woken it may hand the trigger out, and then no wake is due.
        _udp.Wake(terminalId);
        Line(terminalId).Wake();
        Tell(ClusterKinds.Wake, terminalId, string.Empty, 0, string.Empty);
    }

    /// <summary>
    /// As <see cref="Wake(string)"/>, after <paramref name="committed"/> (its Seq set) is durable in the
    /// queue with <paramref name="expiresAt"/>: the waiting poll, or the next one, answers it from memory
    /// when memory provably knows the queue, else reads the queue.
    /// </summary>
    public void Wake(string terminalId, Trigger committed, long expiresAt)
    {
        _udp.Wake(terminalId, committed.Seq);
        Line(terminalId).Handoff(new QueuedTrigger(committed, expiresAt));
        Tell(ClusterKinds.Wake, terminalId, string.Empty, committed.Seq, string.Empty);
    }

    /// <summary>Makes <paramref name="poller"/> the terminal's poller (see <see cref="TerminalLine.BeginPoll"/>), and tells the other instances when they must hear of it.</summary>
    public void BeginPoll(string terminalId, TerminalLine line, TerminalLine.Poller poller)
    {
        if (line.BeginPoll(poller, (long)_options.TriggerPollTimeout.TotalMilliseconds))
        {
            Tell(ClusterKinds.PollBegan, terminalId, string.Empty, poller.Started, string.Empty);
        }
    }

    /// <summary>Answers every open poll: the server stops.</summary>
    public void Stop()
    {
        foreach (var line in _lines.Values)
        {
            line.Stop();
        }
    }

    /// <summary>The terminal has every trigger up to <paramref name="seq"/>: it polled with that cursor or was handed it.</summary>
    public void Reached(string terminalId, long seq) => _udp.Reached(terminalId, seq);

    /// <summary>
    /// A poll is in progress, or one ended within <see cref="ServerOptions.TriggerConnectedGrace"/>; or
    /// another instance announced one within two poll timeouts and the grace (an instance announces
    /// again at the first poll a poll timeout after the last announcement).
    /// </summary>
    public bool IsConnected(string terminalId) =>
        _lines.TryGetValue(terminalId, out var line)
        && line.IsConnected(_time.GetUtcNow(), _options.TriggerConnectedGrace, (_options.TriggerPollTimeout * 2) + _options.TriggerConnectedGrace);

    /// <summary>How many terminals have a poll waiting or reading at this instance now (the devices-online gauge).</summary>
    public long PollingCount() => _lines.Values.Count(line => line.IsPolling);

    /// <summary>True while a poll of the terminal is waiting or reading here; for tests and the benchmark.</summary>
    public bool IsPolling(string terminalId) => _lines.TryGetValue(terminalId, out var line) && line.IsPolling;

    /// <summary>
    /// Hands a reply no request here waits for to the instance whose request does, and answers as
    /// <see cref="TriggersApi"/> would have there: <see cref="ForwardedReply.Code"/> null when it was
    /// taken, with the session offer that followed an Acceptable status (or null), else the refusal
    /// code. Alone on its database, or when no instance takes it in time, it is unknown.
    /// </summary>
    public async Task<ForwardedReply> ForwardReplyAsync(string terminalId, TriggerReply reply, CancellationToken cancellationToken)
    {
        if (!_bus.IsClustered || _forwards.Count >= MaxForwards)
        {
            return ForwardedReply.Unknown;
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var forward = new Forward();
        _forwards[id] = forward;
        try
        {
            if (!Tell(ClusterKinds.Reply, terminalId, id, reply.Seq, JsonSerializer.Serialize(reply, WireJson.Options)))
            {
                return ForwardedReply.Unknown;
            }

            var code = await forward.Taken.Task.WaitAsync(ForwardTimeout, _time, cancellationToken);
            if (code != Taken)
            {
                return new ForwardedReply(code, null);
            }

            if (reply.Status != AcceptStatus.Acceptable)
            {
                return new ForwardedReply(null, null);
            }

            // The holder says within its status-query timeout which offer followed (0: none), and the offer
            // is read from the queue, so no session key travels between instances. Gone from the queue,
            // a poll has handed it to the device already.
            var offerSeq = await forward.FollowUp.Task.WaitAsync(_options.StatusQueryTimeout + ForwardTimeout, _time, cancellationToken);
            return new ForwardedReply(null, offerSeq > 0 ? _store.QueuedOffer(terminalId, offerSeq, _time.GetUtcNow().ToUnixTimeSeconds()) : null);
        }
        catch (TimeoutException) when (forward.Taken.Task.IsCompleted)
        {
            // Taken, and the offer, if one still comes, is in the queue for the next poll.
            return new ForwardedReply(null, null);
        }
        catch (TimeoutException)
        {
            return ForwardedReply.Unknown;
        }
        finally
        {
            _forwards.TryRemove(id, out _);
        }
    }

    void IClusterListener.Receive(ClusterMessage message)
    {
        switch (message.Kind)
        {
            case ClusterKinds.Wake:
                if (message.Number > 0)
                {
                    _udp.Wake(message.Target, message.Number);
                }
                else
                {
                    _udp.Wake(message.Target);
                }

                // The trigger itself is not in the message: memory forgets, and the poll reads the queue.
                if (_lines.TryGetValue(message.Target, out var woken))
                {
                    woken.Wake();
                }

                break;

            case ClusterKinds.PollBegan:
                var line = Line(message.Target);
                if (line.PolledElsewhere(message.Number, string.CompareOrdinal(_bus.InstanceId, message.Origin) < 0, _time.GetUtcNow())
                    && line.CurrentPollStarted is { } started)
                {
                    Tell(ClusterKinds.PollBegan, message.Target, string.Empty, started, string.Empty);
                }

                break;

            case ClusterKinds.Reply:
                TakeForwarded(message);
                break;

            case ClusterKinds.ReplyTaken when message.Target == _bus.InstanceId:
                if (_forwards.TryGetValue(message.Id, out var taken))
                {
                    taken.Taken.TrySetResult(message.Text);
                }

                break;

            case ClusterKinds.ReplyFollowUp when message.Target == _bus.InstanceId:
                if (_forwards.TryGetValue(message.Id, out var followed))
                {
                    followed.FollowUp.TrySetResult(message.Number);
                }

                break;
        }
    }

    /// <summary>
    /// Memory of every queue is forgotten and every poller woken, so each reads its queue and checks
    /// its certificate again: a wake-up or a refusal may have been missed.
    /// </summary>
    void IClusterListener.Resync()
    {
        foreach (var line in _lines.Values)
        {
            line.Wake();
        }
    }

    /// <summary>
    /// Another instance's device reply: the instance whose query waits for it (the one that knows the
    /// trigger's kind) checks it, takes it and says so; later it sends what followed. The others stay silent.
    /// </summary>
    private void TakeForwarded(ClusterMessage message)
    {
        if (!_lines.TryGetValue(message.Target, out var line) || line.AwaitedKind(message.Number) is not { } kind)
        {
            return;
        }

        var reply = JsonSerializer.Deserialize<TriggerReply>(message.Text, WireJson.Options);
        if (reply is null || reply.Seq != message.Number)
        {
            return;
        }

        if (kind == TriggerKinds.StatusQuery && reply.Status is null)
        {
            Tell(ClusterKinds.ReplyTaken, message.Origin, message.Id, 0, ErrorCodes.MissingField);
            return;
        }

        var followUp = line.Complete(reply.Seq, reply);
        Tell(ClusterKinds.ReplyTaken, message.Origin, message.Id, 0, followUp is null ? ErrorCodes.TriggerUnknown : Taken);
        if (followUp is not null && reply.Status == AcceptStatus.Acceptable)
        {
            _ = SendFollowUp(message.Origin, message.Id, followUp);
        }
    }

    private async Task SendFollowUp(string instance, string id, Task<Trigger?> followUp)
    {
        var offer = await PendingReply.OfferWithinAsync(followUp, _options.StatusQueryTimeout, _time, CancellationToken.None);
        Tell(ClusterKinds.ReplyFollowUp, instance, id, offer?.Seq ?? 0, string.Empty);
    }

    private bool Tell(char kind, string target, string id, long number, string text) =>
        _bus.IsClustered && _bus.Publish(kind, target, id, number, text);

    private const string Taken = "ok";

    private sealed class Forward
    {
        public TaskCompletionSource<string> Taken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The seq of the session offer that followed; 0 when none did.</summary>
        public TaskCompletionSource<long> FollowUp { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>How another instance took a forwarded reply: <see cref="Code"/> null when taken (with the session offer that followed, if any), else the refusal code.</summary>
public sealed record ForwardedReply(string? Code, Trigger? Offer)
{
    public static readonly ForwardedReply Unknown = new(ErrorCodes.TriggerUnknown, null);
}
