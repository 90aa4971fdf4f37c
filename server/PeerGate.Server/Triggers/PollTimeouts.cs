namespace PeerGate.Server.Triggers;

/// <summary>
/// The deadlines of held polls, timed out together: one periodic tick signals every poll whose
/// deadline has passed, instead of a timer per poll. With 10 000 idle devices some 400 polls time out
/// each second; a timer each meant as many thread-pool wake-ups, most of them waking a sleeping worker
/// for one short answer, where a tick answers the forty or so due in it on workers that are awake.
/// A poll times out at the first tick at or after its deadline, so at most one <see cref="Tick"/> late
/// and never early. Ticks fall on whole multiples of <see cref="Tick"/> of the clock (Unix time), so a
/// test clock that starts on a whole second and moves in multiples of the tick lands on them exactly.
/// Memory: one set entry per held poll (less than the timer each it replaces), bounded by the held polls.
/// </summary>
public sealed class PollTimeouts : IDisposable
{
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    private static readonly long TickMs = (long)Tick.TotalMilliseconds;

    private const long MaxArmMs = 3_600_000;

    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();

    // Held polls by the tick they are due at, earliest first; an ended poll leaves its set at once.
    private readonly SortedDictionary<long, HashSet<TerminalLine.Poller>> _due = [];

    // The last tick swept, and the tick the timer is set for (none: long.MaxValue). The timer runs only
    // while a poll is held and fires only at ticks a poll is due at, so a test clock moved by days
    // fires it once per such tick, not once per 100 ms.
    private long _swept;
    private long _armed = long.MaxValue;

    public PollTimeouts(TimeProvider time)
    {
        _time = time;
        _swept = time.GetUtcNow().ToUnixTimeMilliseconds() / TickMs;
        _timer = time.CreateTimer(static state => ((PollTimeouts)state!).Sweep(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Held polls with a deadline.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                var count = 0;
                foreach (var set in _due.Values)
                {
                    count += set.Count;
                }

                return count;
            }
        }
    }

    /// <summary>Signals <paramref name="poller"/> <see cref="TerminalLine.Poller.TimedOut"/> once <paramref name="timeout"/> has passed; dispose the result when the poll ends.</summary>
    public Deadline Add(TerminalLine.Poller poller, TimeSpan timeout)
    {
        var dueMs = _time.GetUtcNow().ToUnixTimeMilliseconds() + (long)timeout.TotalMilliseconds;
        var tick = (dueMs + TickMs - 1) / TickMs;
        lock (_gate)
        {
            if (tick > _swept)
            {
                if (!_due.TryGetValue(tick, out var set))
                {
                    _due[tick] = set = [];
                }

                set.Add(poller);
                if (tick < _armed)
                {
                    Arm(tick);
                }

                return new Deadline(this, poller, tick);
            }
        }

        // Already due (a zero wait): timed out at once.
        poller.Signal(TerminalLine.Poller.TimedOut);
        return default;
    }

    public void Dispose() => _timer.Dispose();

    private void Remove(TerminalLine.Poller poller, long tick)
    {
        // The timer stays set: if it finds nothing due, it sets itself for the next tick that has a poll.
        lock (_gate)
        {
            if (_due.TryGetValue(tick, out var set) && set.Remove(poller) && set.Count == 0)
            {
                _due.Remove(tick);
            }
        }
    }

    private void Sweep()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds() / TickMs;
        List<TerminalLine.Poller>? expired = null;
        lock (_gate)
        {
            _swept = Math.Max(_swept, now);
            while (_due.Count > 0)
            {
                var (tick, set) = First();
                if (tick > _swept)
                {
                    break;
                }

                (expired ??= []).AddRange(set);
                _due.Remove(tick);
            }

            _armed = long.MaxValue;
            if (_due.Count > 0)
            {
                Arm(First().Key);
            }
            else
            {
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }

        if (expired is not null)
        {
            foreach (var poller in expired)
            {
                poller.Signal(TerminalLine.Poller.TimedOut);
            }
        }
    }

    private KeyValuePair<long, HashSet<TerminalLine.Poller>> First()
    {
        using var earliest = _due.GetEnumerator();
        earliest.MoveNext();
        return earliest.Current;
    }

    /// <summary>
    /// Sets the timer for the start of <paramref name="tick"/>, or an hour from now when that is later (a
    /// timer cannot wait past 49 days; one that finds nothing due sets itself again); under the lock.
    /// </summary>
    private void Arm(long tick)
    {
        _armed = tick;
        var wait = Math.Clamp((tick * TickMs) - _time.GetUtcNow().ToUnixTimeMilliseconds(), 0, MaxArmMs);
        _timer.Change(TimeSpan.FromMilliseconds(wait), Timeout.InfiniteTimeSpan);
    }

    /// <summary>A held poll's place among the deadlines; disposing it takes the poll out (nothing when it has timed out).</summary>
    public readonly struct Deadline(PollTimeouts? owner, TerminalLine.Poller? poller, long tick) : IDisposable
    {
        public void Dispose() => owner?.Remove(poller!, tick);
    }
}
