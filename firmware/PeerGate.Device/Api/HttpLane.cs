using System;
using System.Threading;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Api
{
    /// <summary>
    /// One HTTP exchange at a time over one transport, with the trigger long-poll yielding to every
    /// other call: the design for a board that can afford a single TLS session (about 33 KB of
    /// internal RAM each, see docs/flashing.md).
    /// </summary>
    /// <remarks>
    /// <para>Requests through <see cref="Calls"/> (authentication, registration refresh, extension
    /// requests, end notices, ...) go before any waiting request through <see cref="Polls"/>: when
    /// the lane frees up and a call is waiting, the call gets it, even if the poller asked first.</para>
    /// <para>A synchronous HTTP request cannot be interrupted, so the poll yields by being short: its
    /// timeout is cut to <see cref="PollHoldMillis"/>, and the poller asks the server for a matching
    /// shorter "wait". A call that arrives while a poll is in flight therefore waits at most
    /// <see cref="PollHoldMillis"/> for it, plus the calls that were already waiting.</para>
    /// <para>Every request keeps its own timeout (a poll's is only ever shortened).</para>
    /// </remarks>
    public class HttpLane
    {
        /// <summary>How long a waiter sleeps before it looks at the lane again, in case a wake-up was missed.</summary>
        public const int RecheckMillis = 1000;

        private readonly IHttpTransport _inner;
        private readonly IClock _clock;
        private readonly int _pollHoldMillis;
        private readonly object _gate = new object();
        private readonly AutoResetEvent _callTurn = new AutoResetEvent(false);
        private readonly AutoResetEvent _pollTurn = new AutoResetEvent(false);

        // All under _gate. The lane passes straight from its holder to the next waiter ("granted"),
        // so a waiter of the other kind cannot slip in between.
        private bool _busy;
        private int _callsWaiting;
        private int _pollsWaiting;
        private int _callGrants;
        private int _pollGrants;
        private long _longestCallWaitMillis;

        /// <param name="inner">The one transport; it must honour each request's timeout.</param>
        /// <param name="pollHoldMillis">The longest one poll may hold the lane: its HTTP timeout at most.</param>
        public HttpLane(IHttpTransport inner, IClock clock, int pollHoldMillis)
        {
            _inner = inner ?? throw new ArgumentNullException(nameof(inner));
            _clock = clock ?? throw new ArgumentNullException(nameof(clock));
            if (pollHoldMillis <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(pollHoldMillis));
            }

            _pollHoldMillis = pollHoldMillis;
            Calls = new Entrance(this, false);
            Polls = new Entrance(this, true);
        }

        /// <summary>Every request except the trigger long-poll; these go first.</summary>
        public IHttpTransport Calls { get; }

        /// <summary>The trigger long-poll: waits while a call is waiting, and is cut to <see cref="PollHoldMillis"/>.</summary>
        public IHttpTransport Polls { get; }

        public int PollHoldMillis
        {
            get { return _pollHoldMillis; }
        }

        /// <summary>The longest any call waited for the lane so far, on the clock's uptime.</summary>
        public long LongestCallWaitMillis
        {
            get
            {
                lock (_gate)
                {
                    return _longestCallWaitMillis;
                }
            }
        }

        /// <summary>Calls waiting for the lane right now.</summary>
        public int CallsWaiting
        {
            get
            {
                lock (_gate)
                {
                    return _callsWaiting;
                }
            }
        }

        /// <summary>Polls waiting for the lane right now.</summary>
        public int PollsWaiting
        {
            get
            {
                lock (_gate)
                {
                    return _pollsWaiting;
                }
            }
        }

        private HttpReply Send(bool poll, string method, string url, string jsonBody, string bearerToken, int timeoutMillis)
        {
            if (poll && (timeoutMillis <= 0 || timeoutMillis > _pollHoldMillis))
            {
                timeoutMillis = _pollHoldMillis;
            }

            long queuedAt = _clock.UptimeMillis;
            if (poll)
            {
                EnterAsPoll();
            }
            else
            {
                EnterAsCall();
                long waited = _clock.UptimeMillis - queuedAt;
                lock (_gate)
                {
                    if (waited > _longestCallWaitMillis)
                    {
                        _longestCallWaitMillis = waited;
                    }
                }
            }

            try
            {
                return _inner.Send(method, url, jsonBody, bearerToken, timeoutMillis);
            }
            finally
            {
                Leave();
            }
        }

        private void EnterAsCall()
        {
            lock (_gate)
            {
                if (!_busy)
                {
                    _busy = true;
                    return;
                }

                _callsWaiting++;
            }

            while (true)
            {
                _callTurn.WaitOne(RecheckMillis, false);
                lock (_gate)
                {
                    if (_callGrants > 0)
                    {
                        _callGrants--;
                        _callsWaiting--;
                        return;
                    }
                }
            }
        }

        private void EnterAsPoll()
        {
            lock (_gate)
            {
                if (!_busy && _callsWaiting == 0)
                {
                    _busy = true;
                    return;
                }

                _pollsWaiting++;
            }

            while (true)
            {
                _pollTurn.WaitOne(RecheckMillis, false);
                lock (_gate)
                {
                    if (_pollGrants > 0)
                    {
                        _pollGrants--;
                        _pollsWaiting--;
                        return;
                    }
                }
            }
        }

        private void Leave()
        {
            lock (_gate)
            {
                // The lane stays busy and passes to one waiter: a call if any is waiting that has no
                // grant yet, else a poll.
                if (_callsWaiting > _callGrants)
                {
                    _callGrants++;
                    _callTurn.Set();
                }
                else if (_pollsWaiting > _pollGrants)
                {
                    _pollGrants++;
                    _pollTurn.Set();
                }
                else
                {
                    _busy = false;
                }
            }
        }

        /// <summary>One of the lane's two ways in.</summary>
        private class Entrance : IHttpTransport
        {
            private readonly HttpLane _lane;
            private readonly bool _poll;

            public Entrance(HttpLane lane, bool poll)
            {
                _lane = lane;
                _poll = poll;
            }

            public HttpReply Send(string method, string url, string jsonBody, string bearerToken, int timeoutMillis)
            {
                return _lane.Send(_poll, method, url, jsonBody, bearerToken, timeoutMillis);
            }
        }
    }
}
