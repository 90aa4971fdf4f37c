using System;
using System.Collections;
using PeerGate.Device.Platform;
using PeerGate.Protocol;

namespace PeerGate.Device.Peer
{
    /// <summary>
    /// The session offers a callee holds (F18-F19). <see cref="Take"/> is the one place a one-time
    /// password is spent: under one lock, so of any number of connections presenting the same session
    /// exactly one gets the offer. Taken offers stay listed, marked, until they expire, so a replayed
    /// REQUEST is told apart from an unknown session.
    /// </summary>
    /// <remarks>
    /// <para>Bounded twice: at most <c>perCaller</c> untaken offers per caller (a caller at its bound loses
    /// its own oldest: a newer grant to the same caller supersedes it) and <c>capacity</c> in all (a full
    /// book drops expired offers, then the oldest taken one, then the oldest offer of the caller holding
    /// the most). So one permitted caller can never push out the offers of callers that hold fewer.</para>
    /// <para>The book wipes the secrets of every untaken offer it drops; a taken offer belongs to its
    /// taker, which wipes it once the handshake is done (<see cref="PeerOffer.Wipe"/>).</para>
    /// </remarks>
    public class OfferBook
    {
        /// <summary>Untaken offers one caller may hold when the constructor is not told otherwise.</summary>
        public const int DefaultPerCaller = 2;

        /// <summary>
        /// How long a session the server announced (it asked whether this device can accept it) may be
        /// waited for: the offer follows the answer at once, so this only has to cover the trigger round.
        /// </summary>
        public const int ExpectedMillis = 10000;

        private readonly IClock _clock;
        private readonly int _capacity;
        private readonly int _perCaller;
        private readonly ArrayList _entries = new ArrayList();
        private readonly string[] _expected;
        private readonly long[] _expectedUntil;
        private readonly object _lock = new object();

        public OfferBook(IClock clock, int capacity)
            : this(clock, capacity, capacity < DefaultPerCaller ? capacity : DefaultPerCaller)
        {
        }

        public OfferBook(IClock clock, int capacity, int perCaller)
        {
            if (capacity <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(capacity));
            }

            if (perCaller <= 0 || perCaller > capacity)
            {
                throw new ArgumentOutOfRangeException(nameof(perCaller));
            }

            _clock = clock ?? throw new ArgumentNullException(nameof(clock));
            _capacity = capacity;
            _perCaller = perCaller;
            _expected = StringArrays.Create(capacity);
            _expectedUntil = new long[capacity];
        }

        /// <summary>
        /// Notes a session whose offer may follow: the server asked whether this device can accept it
        /// and it said yes. Only such a session may wait for its offer (<see cref="IsExpected"/>); a
        /// connection naming any other session without an offer is refused at once. As many are kept as
        /// offers can be; a new one replaces the one that runs out first.
        /// </summary>
        public void Expect(string sessionId)
        {
            if (sessionId == null || sessionId.Length == 0)
            {
                return;
            }

            lock (_lock)
            {
                int slot = 0;
                for (int i = 0; i < _expected.Length; i++)
                {
                    if (_expected[i] != null && _expected[i] == sessionId)
                    {
                        slot = i;
                        break;
                    }

                    if (_expectedUntil[i] < _expectedUntil[slot])
                    {
                        slot = i;
                    }
                }

                _expected[slot] = sessionId;
                _expectedUntil[slot] = _clock.UptimeMillis + ExpectedMillis;
            }
        }

        /// <summary>
        /// Drops the expectation of <paramref name="sessionId"/>: its offer was refused (a wrong connection
        /// password), so a connection naming it is refused at once instead of waiting for an offer.
        /// </summary>
        public void Unexpect(string sessionId)
        {
            lock (_lock)
            {
                for (int i = 0; i < _expected.Length; i++)
                {
                    if (_expected[i] != null && _expected[i] == sessionId)
                    {
                        _expected[i] = null;
                        _expectedUntil[i] = 0;
                    }
                }
            }
        }

        /// <summary>True while the server's announcement of <paramref name="sessionId"/> (<see cref="Expect"/>) is fresh.</summary>
        public bool IsExpected(string sessionId)
        {
            lock (_lock)
            {
                long now = _clock.UptimeMillis;
                for (int i = 0; i < _expected.Length; i++)
                {
                    if (_expected[i] != null && _expected[i] == sessionId && _expectedUntil[i] > now)
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        /// <summary>Offers held, taken ones included (expired ones are dropped, and their secrets wiped, whenever the book is asked).</summary>
        public int Count
        {
            get
            {
                lock (_lock)
                {
                    return _entries.Count;
                }
            }
        }

        /// <summary>
        /// Holds an offer. A second offer for a session that was already taken is ignored: a re-delivered
        /// trigger must not make a spent password usable again.
        /// </summary>
        public void Add(PeerOffer offer)
        {
            if (offer == null)
            {
                throw new ArgumentNullException(nameof(offer));
            }

            lock (_lock)
            {
                int existing = IndexOf(offer.SessionId);
                if (existing >= 0)
                {
                    Entry entry = (Entry)_entries[existing];
                    if (entry.Taken)
                    {
                        offer.Wipe();
                        return;
                    }

                    RemoveAt(existing);
                }

                DropExpired();
                if (CountUntaken(offer.CallerTerminalId) >= _perCaller)
                {
                    RemoveAt(OldestUntaken(offer.CallerTerminalId));
                }

                if (_entries.Count >= _capacity)
                {
                    RemoveAt(Victim());
                }

                _entries.Add(new Entry(offer));
            }
        }

        /// <summary>The offer for a session, taken or not, without spending it; null when unknown or expired.</summary>
        public PeerOffer Find(string sessionId)
        {
            lock (_lock)
            {
                DropExpired();
                int index = IndexOf(sessionId);
                return index < 0 ? null : ((Entry)_entries[index]).Offer;
            }
        }

        /// <summary>Spends the offer: the first call for a live session gets it, every later one is refused.</summary>
        /// <exception cref="PeerException">peer_request_invalid (unknown or expired), peer_request_replayed (already taken).</exception>
        public PeerOffer Take(string sessionId)
        {
            lock (_lock)
            {
                int index = IndexOf(sessionId);
                if (index < 0)
                {
                    throw new PeerException(ErrorCodes.PeerRequestInvalid, "no offer for session " + sessionId);
                }

                Entry entry = (Entry)_entries[index];
                if (entry.Taken)
                {
                    throw new PeerException(ErrorCodes.PeerRequestReplayed, "session " + sessionId + " was already used");
                }

                if (entry.Offer.ExpiresAt <= _clock.UtcNowSeconds)
                {
                    RemoveAt(index);
                    throw new PeerException(ErrorCodes.PeerRequestInvalid, "the offer for session " + sessionId + " expired");
                }

                entry.Taken = true;
                return entry.Offer;
            }
        }

        private int IndexOf(string sessionId)
        {
            for (int i = 0; i < _entries.Count; i++)
            {
                if (((Entry)_entries[i]).Offer.SessionId == sessionId)
                {
                    return i;
                }
            }

            return -1;
        }

        private void DropExpired()
        {
            long now = _clock.UtcNowSeconds;
            for (int i = _entries.Count - 1; i >= 0; i--)
            {
                if (((Entry)_entries[i]).Offer.ExpiresAt <= now)
                {
                    RemoveAt(i);
                }
            }
        }

        /// <summary>Drops an entry; an untaken offer's secrets die with it (a taken one's taker wipes it).</summary>
        private void RemoveAt(int index)
        {
            Entry entry = (Entry)_entries[index];
            _entries.RemoveAt(index);
            if (!entry.Taken)
            {
                entry.Offer.Wipe();
            }
        }

        private int CountUntaken(string callerTerminalId)
        {
            int count = 0;
            for (int i = 0; i < _entries.Count; i++)
            {
                Entry entry = (Entry)_entries[i];
                if (!entry.Taken && entry.Offer.CallerTerminalId == callerTerminalId)
                {
                    count++;
                }
            }

            return count;
        }

        private int OldestUntaken(string callerTerminalId)
        {
            for (int i = 0; i < _entries.Count; i++)
            {
                Entry entry = (Entry)_entries[i];
                if (!entry.Taken && entry.Offer.CallerTerminalId == callerTerminalId)
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>What a full book drops: the oldest taken entry, else the oldest offer of the caller holding the most.</summary>
        private int Victim()
        {
            for (int i = 0; i < _entries.Count; i++)
            {
                if (((Entry)_entries[i]).Taken)
                {
                    return i;
                }
            }

            int victim = 0;
            int most = 0;
            for (int i = 0; i < _entries.Count; i++)
            {
                int held = CountUntaken(((Entry)_entries[i]).Offer.CallerTerminalId);
                if (held > most)
                {
                    most = held;
                    victim = i;
                }
            }

            return victim;
        }

        private class Entry
        {
            public Entry(PeerOffer offer)
            {
                Offer = offer;
            }

            public PeerOffer Offer { get; }

            public bool Taken { get; set; }
        }
    }
}
