namespace PeerGate.Device.Triggers
{
    /// <summary>
    /// The session offers the device took from the answer to its status reply, by sequence number, until
    /// the cursor passes them. The server also keeps each in the queue until then (so an answer lost on
    /// the way loses nothing); a poll that brings one of these again is not handed on, and one right after
    /// the cursor moves the cursor on, so the next poll acknowledges it instead of fetching it.
    /// </summary>
    public class AnsweredOffers
    {
        /// <summary>More offers between two polls than this is a burst; an offer past it may be handed on twice, which the offer book ignores.</summary>
        public const int Capacity = 8;

        private readonly long[] _seqs = new long[Capacity];
        private readonly object _gate = new object();
        private int _next;

        /// <summary>Notes offer <paramref name="seq"/> as taken (0, an offer the queue does not hold, is not noted).</summary>
        public void Add(long seq)
        {
            if (seq <= 0)
            {
                return;
            }

            lock (_gate)
            {
                _seqs[_next] = seq;
                _next = (_next + 1) % Capacity;
            }
        }

        public bool Contains(long seq)
        {
            if (seq <= 0)
            {
                return false;
            }

            lock (_gate)
            {
                for (int i = 0; i < Capacity; i++)
                {
                    if (_seqs[i] == seq)
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        /// <summary>
        /// The cursor moved past every taken offer that directly follows <paramref name="cursor"/>; those
        /// at or before the result are forgotten.
        /// </summary>
        public long Advance(long cursor)
        {
            while (Contains(cursor + 1))
            {
                cursor++;
            }

            lock (_gate)
            {
                for (int i = 0; i < Capacity; i++)
                {
                    if (_seqs[i] <= cursor)
                    {
                        _seqs[i] = 0;
                    }
                }
            }

            return cursor;
        }
    }
}
