namespace PeerGate.Device.Peer
{
    /// <summary>
    /// How far one incoming connection got, shared by the handshake and the listener that may evict it
    /// (F19): <see cref="Connected"/> (nothing proven), <see cref="Named"/> (its preamble named a live
    /// offer), <see cref="Authenticated"/> (its Request verified under the offer's key). The listener
    /// evicts the lowest stage first and never an authenticated connection.
    /// </summary>
    public class PeerAdmission
    {
        public const int Connected = 0;
        public const int Named = 1;
        public const int Authenticated = 2;

        private readonly object _lock = new object();
        private int _stage;
        private bool _evicted;

        public PeerAdmission(string source)
        {
            Source = source;
        }

        /// <summary>The remote address the connection came from.</summary>
        public string Source { get; }

        public int Stage
        {
            get
            {
                lock (_lock)
                {
                    return _stage;
                }
            }
        }

        public bool IsEvicted
        {
            get
            {
                lock (_lock)
                {
                    return _evicted;
                }
            }
        }

        /// <summary>Moves to <paramref name="stage"/>; false when the connection was evicted first (then it must stop).</summary>
        public bool Advance(int stage)
        {
            lock (_lock)
            {
                if (_evicted)
                {
                    return false;
                }

                if (stage > _stage)
                {
                    _stage = stage;
                }

                return true;
            }
        }

        /// <summary>Marks it evicted unless it is authenticated; true when it was.</summary>
        public bool TryEvict()
        {
            lock (_lock)
            {
                if (_stage >= Authenticated)
                {
                    return false;
                }

                _evicted = true;
                return true;
            }
        }
    }
}
