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
    /// <remarks>Bounded: at most <c>capacity</c> offers; adding to a full book drops expired ones, then the oldest.</remarks>
    public class OfferBook
    {
        private readonly IClock _clock;
        private readonly int _capacity;
        private readonly ArrayList _entries = new ArrayList();
        private readonly object _lock = new object();

        public OfferBook(IClock clock, int capacity)
        {
            if (capacity <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(capacity));
            }

            _clock = clock ?? throw new ArgumentNullException(nameof(clock));
            _capacity = capacity;
        }

        /// <summary>Offers held, taken ones included.</summary>
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
                        return;
                    }

                    _entries.RemoveAt(existing);
                }

                DropExpired();
                if (_entries.Count >= _capacity)
                {
                    _entries.RemoveAt(0);
                }

                _entries.Add(new Entry(offer));
            }
        }

        /// <summary>The offer for a session, taken or not, without spending it; null when unknown.</summary>
        public PeerOffer Find(string sessionId)
        {
            lock (_lock)
            {
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
                    _entries.RemoveAt(index);
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
                    _entries.RemoveAt(i);
                }
            }
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
