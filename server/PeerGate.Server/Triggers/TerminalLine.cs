using PeerGate.Protocol;

namespace PeerGate.Server.Triggers;

/// <summary>
/// One terminal's connection to the trigger channel: its current poller, what memory knows of its
/// queue, and the replies being waited for.
/// <para>
/// The queue in <see cref="TriggerStore"/> stays the truth. Memory may also <em>know</em> it: the last
/// seq issued, the cursor acknowledged, and every row beyond that cursor (<see cref="QueuedTrigger"/>).
/// It learns that from a read of the queue that no wake-up overlapped (a version counter proves it), and
/// keeps it exact by taking each committed trigger handed over after its commit, in seq order, when the
/// trigger cannot have changed any row memory holds. Anything else (a seq out of order, a replacing
/// kind next to held rows, a held row expired, too many rows, a wake-up that carries no trigger) makes
/// memory forget, and the next poll reads the queue. So a poll answers from memory only what a read of
/// the queue would have answered, and an idle re-poll touches no database at all.
/// </para>
/// </summary>
public sealed class TerminalLine
{
    private readonly Lock _gate = new();

    // Apart from _gate: an enqueue runs under it, and no poll should wait for a write.
    private readonly Lock _replyGate = new();
    private Poller? _current;
    private DateTimeOffset _lastPollEnded = DateTimeOffset.MinValue;

    // The terminal's polls at other instances of the deployment: when this one last told them of its
    // own (unix ms, its poll's start), whether one began elsewhere since, when one was last heard of.
    private long _announced = long.MinValue;
    private bool _polledElsewhere;
    private DateTimeOffset _lastPolledElsewhere = DateTimeOffset.MinValue;

    // What memory knows of the queue; _last < 0 means nothing.
    private long _last = -1;
    private long _acknowledged;
    private List<QueuedTrigger>? _held;
    private long _version;

    private Dictionary<long, PendingReply>? _replies;

    public bool IsPolling
    {
        get
        {
            lock (_gate)
            {
                return _current is not null;
            }
        }
    }

    /// <summary>True when memory knows the queue (for tests).</summary>
    public bool KnowsQueue
    {
        get
        {
            lock (_gate)
            {
                return _last >= 0;
            }
        }
    }

    /// <summary>
    /// Something the poll must look at again happened (a refusal, or triggers committed that are not
    /// handed over): memory forgets the queue and the poller reads it after checking its certificate.
    /// </summary>
    public void Wake()
    {
        Poller? poller;
        lock (_gate)
        {
            _version++;
            Forget();
            poller = _current;
        }

        poller?.Signal(Poller.Woken);
    }

    /// <summary>
    /// <paramref name="committed"/> is durable in the queue: memory takes it when that keeps memory
    /// exact (else forgets), and the waiting poller is woken to answer it.
    /// </summary>
    public void Handoff(QueuedTrigger committed)
    {
        Poller? poller;
        lock (_gate)
        {
            _version++;
            var seq = committed.Trigger.Seq;
            if (_last >= 0 && seq > _last)
            {
                if (seq == _last + 1 && Fits(committed))
                {
                    (_held ??= []).Add(committed);
                    _last = seq;
                }
                else
                {
                    Forget();
                }
            }

            // seq <= _last: a read since its commit already holds it (or its cursor passed it).
            poller = _current;
        }

        poller?.Signal(Poller.Woken);
    }

    /// <summary>
    /// Whether appending <paramref name="next"/> leaves memory equal to the queue: its Enqueue deleted
    /// expired rows and, for a replacing kind, older limits or ends of its session; held rows that
    /// either could touch make memory forget instead of copying the rule.
    /// </summary>
    private bool Fits(QueuedTrigger next)
    {
        if (_held is not { Count: > 0 } held)
        {
            return true;
        }

        if (held.Count >= TriggerStore.MaxBatch || next.Trigger.Kind is TriggerKinds.SessionLimits or TriggerKinds.SessionEnd)
        {
            return false;
        }

        foreach (var row in held)
        {
            if (row.ExpiresAt <= next.Trigger.CreatedAt)
            {
                return false;
            }
        }

        return true;
    }

    private void Forget()
    {
        _last = -1;
        _held = null;
    }

    /// <summary>The version to pass to <see cref="Learn"/>: taken before reading the queue.</summary>
    public long Version
    {
        get
        {
            lock (_gate)
            {
                return _version;
            }
        }
    }

    /// <summary>
    /// A read of the queue: last seq <paramref name="last"/>, everything up to <paramref name="cursor"/>
    /// deleted, <paramref name="rows"/> beyond it (the whole rest: fewer than a batch). Memory knows the
    /// queue from now on unless a wake-up came since <paramref name="version"/> (it may have been missed).
    /// </summary>
    public void Learn(long version, long last, long cursor, QueuedTrigger[] rows)
    {
        lock (_gate)
        {
            if (_version != version || rows.Length >= TriggerStore.MaxBatch)
            {
                return;
            }

            // A trigger committed between reading the last seq and the rows is among the rows.
            _last = rows.Length > 0 && rows[^1].Trigger.Seq > last ? rows[^1].Trigger.Seq : last;
            _acknowledged = cursor;
            _held = rows.Length == 0 ? null : [.. rows];
        }
    }

    /// <summary>
    /// The queue's last seq as read now: memory that disagrees forgets. Every commit is followed by a
    /// wake-up, so this only matters for one that never came (the process failed between): its trigger
    /// is then found at the poll timeout, as it would without memory.
    /// </summary>
    public void Confirm(long last)
    {
        lock (_gate)
        {
            if (_last >= 0 && last != _last)
            {
                Forget();
            }
        }
    }

    /// <summary>Null when memory does not know; else whether <paramref name="cursor"/> is past the last seq issued.</summary>
    public bool? IsAhead(long cursor)
    {
        lock (_gate)
        {
            return _last < 0 ? null : cursor > _last;
        }
    }

    /// <summary>
    /// Null when memory does not know the queue; else whether acknowledging <paramref name="cursor"/>
    /// deletes anything (rows up to it, or expired ones), which only the database can do.
    /// </summary>
    public bool? MustDelete(long cursor, long now)
    {
        lock (_gate)
        {
            if (_last < 0)
            {
                return null;
            }

            if (_held is { } held)
            {
                foreach (var row in held)
                {
                    if (row.Trigger.Seq <= cursor || row.ExpiresAt <= now)
                    {
                        return true;
                    }
                }
            }

            if (cursor > _acknowledged)
            {
                _acknowledged = cursor;
            }

            return false;
        }
    }

    /// <summary>The database deleted everything up to <paramref name="cursor"/> and what expired by <paramref name="now"/>.</summary>
    public void Acknowledged(long cursor, long now)
    {
        lock (_gate)
        {
            // A read that began before this delete must not teach memory the rows it deleted.
            _version++;
            if (_last < 0)
            {
                return;
            }

            _held?.RemoveAll(row => row.Trigger.Seq <= cursor || row.ExpiresAt <= now);
            if (cursor > _acknowledged)
            {
                _acknowledged = cursor;
            }
        }
    }

    /// <summary>
    /// From memory, what a read of the queue after <paramref name="cursor"/> would answer: null when
    /// memory does not know, empty when nothing is queued.
    /// </summary>
    public Trigger[]? Pending(long cursor, long now)
    {
        lock (_gate)
        {
            if (_last < 0)
            {
                return null;
            }

            if (_held is not { Count: > 0 } held)
            {
                return [];
            }

            var count = 0;
            foreach (var row in held)
            {
                count += row.Trigger.Seq > cursor && row.ExpiresAt > now ? 1 : 0;
            }

            if (count == 0)
            {
                return [];
            }

            var pending = new Trigger[count];
            var i = 0;
            foreach (var row in held)
            {
                if (row.Trigger.Seq > cursor && row.ExpiresAt > now)
                {
                    pending[i++] = row.Trigger;
                }
            }

            return pending;
        }
    }

    /// <summary>The session offers among the rows were deleted from the queue once handed out.</summary>
    public void OffersForgotten(long first, long last)
    {
        lock (_gate)
        {
            _version++;
            _held?.RemoveAll(row => row.Trigger.Kind == TriggerKinds.SessionOffer && row.Trigger.Seq >= first && row.Trigger.Seq <= last);
        }
    }

    /// <summary>
    /// Makes <paramref name="poller"/> the terminal's poller; the one before it is told it was superseded.
    /// True when other instances must hear of it (<see cref="TriggerHub.BeginPoll"/>): its first poll
    /// here, a poll elsewhere since the last they heard of, or that was <paramref name="announceEvery"/>
    /// (ms) ago, so that they count the terminal connected for as long as it polls here.
    /// </summary>
    public bool BeginPoll(Poller poller, long announceEvery)
    {
        Poller? before;
        bool announce;
        lock (_gate)
        {
            before = _current;
            _current = poller;
            announce = _announced == long.MinValue || _polledElsewhere || poller.Started - _announced >= announceEvery;
            if (announce)
            {
                _announced = poller.Started;
                _polledElsewhere = false;
            }
        }

        before?.Signal(Poller.Superseded);
        return announce;
    }

    /// <summary>
    /// The terminal began a poll at unix ms <paramref name="started"/> on another instance, heard of at
    /// <paramref name="now"/>. Memory forgets the queue (that poll acknowledges rows of it), and this
    /// instance's poll is superseded when it began before (on a tie, when <paramref name="loseTies"/>).
    /// True when this instance's poll is the newer one: the other must hear of it, to supersede its own.
    /// </summary>
    public bool PolledElsewhere(long started, bool loseTies, DateTimeOffset now)
    {
        Poller? superseded = null;
        lock (_gate)
        {
            _version++;
            Forget();
            _lastPolledElsewhere = now > _lastPolledElsewhere ? now : _lastPolledElsewhere;
            if (_current is { } current && (current.Started > started || (current.Started == started && !loseTies)))
            {
                _announced = current.Started;
                _polledElsewhere = false;
                return true;
            }

            superseded = _current;
            _current = null;
            _polledElsewhere = true;
        }

        superseded?.Signal(Poller.Superseded);
        return false;
    }

    /// <summary>The start (unix ms) of the poll waiting here, or null.</summary>
    public long? CurrentPollStarted
    {
        get
        {
            lock (_gate)
            {
                return _current?.Started;
            }
        }
    }

    public void EndPoll(Poller poller, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_current, poller))
            {
                _current = null;
            }

            _lastPollEnded = now > _lastPollEnded ? now : _lastPollEnded;
        }
    }

    /// <summary>Tells the waiting poller the server stops.</summary>
    public void Stop()
    {
        Poller? poller;
        lock (_gate)
        {
            poller = _current;
        }

        poller?.Signal(Poller.Stopping);
    }

    /// <summary>
    /// A poll waits here or ended within <paramref name="grace"/>, or one began at another instance
    /// within <paramref name="elsewhere"/> (which must cover the gap between two of its announcements).
    /// </summary>
    public bool IsConnected(DateTimeOffset now, TimeSpan grace, TimeSpan elsewhere)
    {
        lock (_gate)
        {
            return _current is not null || now - _lastPollEnded <= grace || now - _lastPolledElsewhere <= elsewhere;
        }
    }

    /// <summary>
    /// Queues a trigger of <paramref name="kind"/> through <paramref name="enqueue"/> and starts waiting for
    /// its reply. A reply can only be matched once its waiter exists, so the device must not see the
    /// trigger before: <paramref name="enqueue"/> calls the action it is given with the trigger's seq
    /// inside its transaction, before the commit makes the row visible to any poll, and the waiter is
    /// made there. No lock is held across the commit, so queries to one terminal share a group commit.
    /// </summary>
    public async Task<PendingReply> ExpectReplyAsync(string kind, Func<Action<long>, Task<long>> enqueue)
    {
        PendingReply? pending = null;
        try
        {
            await enqueue(seq =>
            {
                // A transaction that is run again must not leave the first run's waiter behind.
                pending?.Dispose();
                pending = new PendingReply(this, seq, kind);
                lock (_replyGate)
                {
                    (_replies ??= [])[seq] = pending;
                }
            });
            return pending!;
        }
        catch
        {
            // Rolled back (its own failure or the batch's commit): nobody can see that seq, so nobody answers it.
            pending?.Dispose();
            throw;
        }
    }

    /// <summary>The kind of trigger <paramref name="seq"/> whose reply is awaited, or null when none is.</summary>
    public string? AwaitedKind(long seq)
    {
        lock (_replyGate)
        {
            return _replies is not null && _replies.TryGetValue(seq, out var waiting) ? waiting.Kind : null;
        }
    }

    /// <summary>
    /// Hands a reply to the request waiting for trigger <paramref name="seq"/>; null when none waits. Else
    /// what that request hands back to the device once it has acted on the reply: a session offer, or
    /// null (see <see cref="PendingReply.Follow"/>).
    /// </summary>
    public Task<Trigger?>? Complete(long seq, TriggerReply reply)
    {
        PendingReply? waiting;
        lock (_replyGate)
        {
            if (_replies is null || !_replies.Remove(seq, out waiting))
            {
                return null;
            }
        }

        return waiting.Answer(reply) ? waiting.FollowUp : null;
    }

    /// <summary>Stops waiting: a reply arriving later is unknown.</summary>
    public void Forget(long seq)
    {
        lock (_replyGate)
        {
            _replies?.Remove(seq);
        }
    }

    /// <summary>
    /// One poll request and everything that can end its wait, as flags set by whoever notices: a wake-up,
    /// a newer poll, the timeout, the device gone, the server stopping. One small completion per wait,
    /// no cancellation sources.
    /// </summary>
    public sealed class Poller
    {
        public const int Woken = 1;
        public const int Superseded = 2;
        public const int TimedOut = 4;
        public const int Aborted = 8;
        public const int Stopping = 16;

        private readonly Lock _gate = new();
        private int _flags;
        private TaskCompletionSource? _waiter;

        /// <param name="started">When the poll began (unix ms): of two polls at different instances, the later wins.</param>
        public Poller(long started = 0) => Started = started;

        public long Started { get; }

        public void Signal(int flag)
        {
            TaskCompletionSource? waiter;
            lock (_gate)
            {
                _flags |= flag;
                waiter = _waiter;
                _waiter = null;
            }

            waiter?.TrySetResult();
        }

        /// <summary>The flags set so far; <see cref="Woken"/> is cleared by taking it, the others stay.</summary>
        public int Take()
        {
            lock (_gate)
            {
                var flags = _flags;
                _flags &= ~Woken;
                return flags;
            }
        }

        /// <summary>Completes once any flag is set (at once when one is).</summary>
        public Task WaitAsync()
        {
            lock (_gate)
            {
                if (_flags != 0)
                {
                    return Task.CompletedTask;
                }

                _waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _waiter.Task;
            }
        }
    }
}

/// <summary>A committed trigger with the time its row expires (unix seconds).</summary>
public readonly record struct QueuedTrigger(Trigger Trigger, long ExpiresAt);

/// <summary>
/// A reply being waited for, and what follows it back to the device (a session offer, or nothing);
/// dispose to stop waiting, which also ends the follow-up with nothing.
/// </summary>
public sealed class PendingReply : IDisposable
{
    private readonly TerminalLine _line;
    private readonly TaskCompletionSource<TriggerReply> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Trigger?> _followUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PendingReply(TerminalLine line, long seq, string kind)
    {
        _line = line;
        Seq = seq;
        Kind = kind;
    }

    public long Seq { get; }

    public string Kind { get; }

    public Task<TriggerReply> Reply => _reply.Task;

    /// <summary>Until when the asker waits for <see cref="Reply"/>, set before the device is woken.</summary>
    public DateTimeOffset Deadline { get; set; }

    /// <summary>What the device's reply request answers with, once <see cref="Follow"/> or <see cref="Dispose"/> decides it.</summary>
    public Task<Trigger?> FollowUp => _followUp.Task;

    /// <summary>Hands the reply over; false when it was handed already.</summary>
    public bool Answer(TriggerReply reply) => _reply.TrySetResult(reply);

    /// <summary>
    /// The offer <paramref name="followUp"/> (from <see cref="TerminalLine.Complete"/>) brings within
    /// <paramref name="timeout"/>, else null: the offer, if one still comes, is in the queue for the next poll.
    /// </summary>
    public static async Task<Trigger?> OfferWithinAsync(Task<Trigger?> followUp, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            return await followUp.WaitAsync(timeout, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>The committed session offer the reply led to: the device gets it in the answer to its reply.</summary>
    public void Follow(Trigger? offer) => _followUp.TrySetResult(offer);

    public void Dispose()
    {
        _line.Forget(Seq);
        _followUp.TrySetResult(null);
    }
}