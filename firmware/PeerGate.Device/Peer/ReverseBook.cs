using System;
using System.Collections;
using System.Threading;
using PeerGate.Device.Platform;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Peer
{
    /// <summary>
    /// The caller's side of reverse connect (F30): the dials that wait for their callee to connect in,
    /// each with the tag its session key gives (<see cref="ReversePreamble.Tag"/>). The listener hands a
    /// connection whose reverse preamble names an awaited session to that dial only when the tag
    /// verifies (fixed time), and only one connection per dial; anything else is refused and closed.
    /// </summary>
    /// <remarks>
    /// The callee can connect before the caller has read its grant (the server answers the caller as it
    /// queues the offer). So while a connection query that named a listening port is in flight
    /// (<see cref="RequestStarted"/>), a reverse connection naming a session not yet awaited waits up to
    /// <see cref="ArrivalWaitMillis"/> for its dial (so does one arriving within that time after a query
    /// ended, as its dial begins); otherwise it is refused at once.
    /// </remarks>
    public class ReverseBook
    {
        /// <summary>How long a reverse connection may wait for the dial of its session to begin.</summary>
        public const int ArrivalWaitMillis = 3000;

        internal const int LookMillis = 50;

        private readonly IPeerCrypto _crypto;
        private readonly IClock _clock;
        private readonly IDeviceLog _log;
        private readonly ArrayList _waits = new ArrayList();
        private readonly ManualResetEvent _never = new ManualResetEvent(false);
        private int _requests;
        private long _graceUntil;

        public ReverseBook(IPeerCrypto crypto, IClock clock, IDeviceLog log)
        {
            _crypto = crypto ?? throw new ArgumentNullException(nameof(crypto));
            _clock = clock ?? throw new ArgumentNullException(nameof(clock));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        internal IClock Clock
        {
            get { return _clock; }
        }

        /// <summary>Dials waiting now.</summary>
        public int Waiting
        {
            get
            {
                lock (_waits)
                {
                    return _waits.Count;
                }
            }
        }

        /// <summary>A connection query that names a listening port is going out; pair with <see cref="RequestEnded"/>.</summary>
        public void RequestStarted()
        {
            lock (_waits)
            {
                _requests++;
            }
        }

        public void RequestEnded()
        {
            lock (_waits)
            {
                if (_requests > 0)
                {
                    _requests--;
                }

                // Its dial begins a moment later: reverse connections may still wait for it meanwhile.
                _graceUntil = _clock.UptimeMillis + ArrivalWaitMillis;
            }
        }

        /// <summary>Starts waiting for the callee of <paramref name="sessionId"/>; the key is not kept, only the tag it gives.</summary>
        public ReverseWait Await(string sessionId, byte[] sessionKey)
        {
            byte[] tag = ReversePreamble.Tag(_crypto, sessionKey, sessionId);
            ReverseWait wait = new ReverseWait(this, sessionId, tag);
            lock (_waits)
            {
                _waits.Add(wait);
            }

            return wait;
        }

        /// <summary>
        /// The listener's side: a reverse preamble naming <paramref name="sessionId"/> with
        /// <paramref name="tag"/> arrived on <paramref name="connection"/>. True when the connection went to
        /// the dial that awaits it (the caller now owns it); false when refused (the listener closes it).
        /// </summary>
        public bool Hand(string sessionId, byte[] tag, IPeerConnection connection, PeerAdmission admission)
        {
            long deadline = _clock.UptimeMillis + ArrivalWaitMillis;
            while (true)
            {
                ReverseWait wait;
                bool querying;
                lock (_waits)
                {
                    wait = Find(sessionId);
                    querying = _requests > 0 || _clock.UptimeMillis < _graceUntil;
                }

                if (wait != null)
                {
                    if (!AuthProofs.FixedTimeEquals(wait.Tag, tag))
                    {
                        _log.Event("peer.reverse-refused", "session " + sessionId + " from " + connection.RemoteIp + ": the tag does not verify");
                        return false;
                    }

                    if (!wait.Deliver(connection))
                    {
                        _log.Event("peer.reverse-refused", "session " + sessionId + " from " + connection.RemoteIp + ": the dial already has its connection or gave up");
                        return false;
                    }

                    _log.Event("peer.reverse-accepted", "session " + sessionId + " from " + connection.RemoteIp);
                    return true;
                }

                if (!querying || _clock.UptimeMillis >= deadline || (admission != null && admission.IsEvicted))
                {
                    _log.Event("peer.reverse-refused", "session " + sessionId + " from " + connection.RemoteIp + ": no dial awaits it");
                    return false;
                }

                _clock.Sleep(LookMillis, _never);
            }
        }

        internal void Remove(ReverseWait wait)
        {
            lock (_waits)
            {
                _waits.Remove(wait);
            }
        }

        /// <summary>Under the lock.</summary>
        private ReverseWait Find(string sessionId)
        {
            for (int i = 0; i < _waits.Count; i++)
            {
                ReverseWait wait = (ReverseWait)_waits[i];
                if (wait.SessionId == sessionId)
                {
                    return wait;
                }
            }

            return null;
        }
    }

    /// <summary>One dial waiting for its callee's reverse connection; <see cref="Take"/> once.</summary>
    public class ReverseWait
    {
        private readonly ReverseBook _book;
        private readonly ManualResetEvent _arrived = new ManualResetEvent(false);
        private readonly object _lock = new object();
        private IPeerConnection _connection;
        private bool _done;

        internal ReverseWait(ReverseBook book, string sessionId, byte[] tag)
        {
            _book = book;
            SessionId = sessionId;
            Tag = tag;
        }

        public string SessionId { get; }

        internal byte[] Tag { get; }

        /// <summary>
        /// The callee's connection, or null when none verified within <paramref name="timeoutMillis"/> (on
        /// the device clock). Leaves the book either way; a connection that arrives later is refused.
        /// </summary>
        public IPeerConnection Take(int timeoutMillis)
        {
            IClock clock = _book.Clock;
            long deadline = clock.UptimeMillis + timeoutMillis;
            try
            {
                while (true)
                {
                    lock (_lock)
                    {
                        if (_connection != null || clock.UptimeMillis >= deadline)
                        {
                            _done = true;
                            return _connection;
                        }
                    }

                    long remaining = deadline - clock.UptimeMillis;
                    clock.Sleep(remaining > ReverseBook.LookMillis ? ReverseBook.LookMillis : (int)remaining, _arrived);
                }
            }
            finally
            {
                _book.Remove(this);
                Array.Clear(Tag, 0, Tag.Length);
            }
        }

        /// <summary>Stops waiting without taking (the dial failed before it could wait).</summary>
        public void Cancel()
        {
            lock (_lock)
            {
                _done = true;
            }

            _book.Remove(this);
            Array.Clear(Tag, 0, Tag.Length);
        }

        internal bool Deliver(IPeerConnection connection)
        {
            lock (_lock)
            {
                if (_done || _connection != null)
                {
                    return false;
                }

                _connection = connection;
            }

            _arrived.Set();
            return true;
        }
    }
}
