using System.Threading.Channels;
using PeerGate.Protocol;

namespace PeerGate.Server.Triggers;

/// <summary>
/// One terminal's connection to the trigger channel. The wake-up is a single-slot signal that drops
/// what does not fit: a poller re-reads the queue after every wake-up, and before it first waits, so a
/// signal lost (or left over) never loses (or duplicates) a trigger; it only costs or saves a read.
/// </summary>
public sealed class TerminalLine
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly object _pollGate = new();
    private readonly object _replyGate = new();
    private readonly Dictionary<long, (string Kind, TaskCompletionSource<TriggerReply> Reply)> _replies = [];
    private Poller? _current;
    private DateTimeOffset _lastPollEnded = DateTimeOffset.MinValue;

    public bool IsPolling
    {
        get
        {
            lock (_pollGate)
            {
                return _current is not null;
            }
        }
    }

    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Waits for the next wake-up (or one already in the slot).</summary>
    public async Task WaitForWakeAsync(CancellationToken cancellationToken) => await _wake.Reader.ReadAsync(cancellationToken);

    /// <summary>Makes the caller the terminal's poller; the one before it is told it was superseded.</summary>
    public Poller BeginPoll()
    {
        lock (_pollGate)
        {
            _current?.Supersede();
            _current = new Poller();
            return _current;
        }
    }

    public void EndPoll(Poller poller, DateTimeOffset now)
    {
        lock (_pollGate)
        {
            if (ReferenceEquals(_current, poller))
            {
                _current = null;
            }

            _lastPollEnded = now > _lastPollEnded ? now : _lastPollEnded;
        }

        poller.Dispose();
    }

    public bool IsConnected(DateTimeOffset now, TimeSpan grace)
    {
        lock (_pollGate)
        {
            return _current is not null || now - _lastPollEnded <= grace;
        }
    }

    /// <summary>
    /// Queues a trigger of <paramref name="kind"/> through <paramref name="enqueue"/> and starts waiting for
    /// its reply, as one step: a reply can only be matched once its waiter exists, so the device must not
    /// see the trigger before.
    /// </summary>
    public PendingReply ExpectReply(string kind, Func<long> enqueue)
    {
        lock (_replyGate)
        {
            var seq = enqueue();
            var reply = new TaskCompletionSource<TriggerReply>(TaskCreationOptions.RunContinuationsAsynchronously);
            _replies[seq] = (kind, reply);
            return new PendingReply(this, seq, reply.Task);
        }
    }

    /// <summary>The kind of trigger <paramref name="seq"/> whose reply is awaited, or null when none is.</summary>
    public string? AwaitedKind(long seq)
    {
        lock (_replyGate)
        {
            return _replies.TryGetValue(seq, out var waiting) ? waiting.Kind : null;
        }
    }

    /// <summary>Hands a reply to the request waiting for trigger <paramref name="seq"/>; false when none waits.</summary>
    public bool Complete(long seq, TriggerReply reply)
    {
        (string Kind, TaskCompletionSource<TriggerReply> Reply) waiting;
        lock (_replyGate)
        {
            if (!_replies.Remove(seq, out waiting))
            {
                return false;
            }
        }

        return waiting.Reply.TrySetResult(reply);
    }

    /// <summary>Stops waiting: a reply arriving later is unknown.</summary>
    public void Forget(long seq)
    {
        lock (_replyGate)
        {
            _replies.Remove(seq);
        }
    }

    /// <summary>One poll request; cancelled when a newer poll of the same terminal begins.</summary>
    public sealed class Poller : IDisposable
    {
        private readonly CancellationTokenSource _superseded = new();

        public CancellationToken Superseded => _superseded.Token;

        internal void Supersede() => _superseded.Cancel();

        public void Dispose() => _superseded.Dispose();
    }
}

/// <summary>A reply being waited for; dispose to stop waiting.</summary>
public sealed class PendingReply(TerminalLine line, long seq, Task<TriggerReply> reply) : IDisposable
{
    public long Seq { get; } = seq;

    public Task<TriggerReply> Reply { get; } = reply;

    public void Dispose() => line.Forget(Seq);
}
