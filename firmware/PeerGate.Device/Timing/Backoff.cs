using System;
using System.Threading;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Timing
{
    /// <summary>
    /// Jittered exponential backoff with a ceiling: each failure doubles the base delay up to the
    /// ceiling, and the actual delay is drawn from the upper half of the base ("equal jitter"), so a
    /// fleet that lost its server together does not come back in lockstep.
    /// </summary>
    public class Backoff
    {
        private readonly IRandomSource _random;
        private readonly int _initialMillis;
        private readonly int _ceilingMillis;
        private int _baseMillis;

        public Backoff(IRandomSource random, int initialMillis, int ceilingMillis)
        {
            if (initialMillis <= 0 || ceilingMillis < initialMillis)
            {
                throw new ArgumentException("need 0 < initial <= ceiling");
            }

            _random = random ?? throw new ArgumentNullException(nameof(random));
            _initialMillis = initialMillis;
            _ceilingMillis = ceilingMillis;
            _baseMillis = initialMillis;
        }

        public int CeilingMillis
        {
            get { return _ceilingMillis; }
        }

        /// <summary>Failures since the last <see cref="Reset"/>.</summary>
        public int Attempts { get; private set; }

        /// <summary>The delay before the next attempt: in [base/2, base], base doubling per call up to the ceiling.</summary>
        public int NextDelayMillis()
        {
            int current = _baseMillis;
            int half = current / 2;
            int delay = half + _random.Next(current - half + 1);

            // Double without overflowing: stop at the ceiling.
            _baseMillis = current >= _ceilingMillis / 2 ? _ceilingMillis : current * 2;
            Attempts++;
            return delay;
        }

        /// <summary>Sleeps the next delay on <paramref name="clock"/>; true when <paramref name="stop"/> was set meanwhile.</summary>
        public bool Wait(IClock clock, WaitHandle stop)
        {
            return clock.Sleep(NextDelayMillis(), stop);
        }

        /// <summary>After a success: the next failure starts again from the initial delay.</summary>
        public void Reset()
        {
            _baseMillis = _initialMillis;
            Attempts = 0;
        }
    }
}
