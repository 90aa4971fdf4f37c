using PeerGate.Device.Peer;

namespace PeerGate.Device.Sessions
{
    /// <summary>
    /// The channels of this device's running sessions, by session ID, so a trigger can end one (F26) or
    /// change its limits (F24). Fixed capacity, no allocation after construction; a closed channel's
    /// slot is reused.
    /// </summary>
    public class SessionTable
    {
        private readonly PeerChannel[] _channels;
        private readonly object _gate = new object();

        public SessionTable(int capacity)
        {
            _channels = new PeerChannel[capacity < 1 ? 1 : capacity];
        }

        /// <summary>Keeps the channel; false when every slot holds an open session (it then runs unlisted).</summary>
        public bool Add(PeerChannel channel)
        {
            lock (_gate)
            {
                for (int i = 0; i < _channels.Length; i++)
                {
                    if (_channels[i] == null || _channels[i].IsClosed)
                    {
                        _channels[i] = channel;
                        return true;
                    }
                }

                return false;
            }
        }

        /// <summary>The open channel of <paramref name="sessionId"/>, or null.</summary>
        public PeerChannel Find(string sessionId)
        {
            lock (_gate)
            {
                for (int i = 0; i < _channels.Length; i++)
                {
                    PeerChannel channel = _channels[i];
                    if (channel != null && !channel.IsClosed && channel.SessionId == sessionId)
                    {
                        return channel;
                    }
                }

                return null;
            }
        }
    }
}
