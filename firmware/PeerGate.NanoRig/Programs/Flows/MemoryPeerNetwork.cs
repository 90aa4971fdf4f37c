using System;
using System.Threading;
using PeerGate.Device.Platform;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>Peer connections as in-memory byte pipes: Connect hands the other end to the one listener.</summary>
    public sealed class MemoryPeerNetwork : IPeerNetwork, IPeerListener
    {
        private readonly object _gate = new object();
        private readonly AutoResetEvent _arrived = new AutoResetEvent(false);
        private IPeerConnection _waiting;

        public int Port
        {
            get { return 7001; }
        }

        public int Connects { get; private set; }

        public IPeerConnection Connect(string ip, int port, int timeoutMillis)
        {
            BytePipe toCallee = new BytePipe();
            BytePipe toCaller = new BytePipe();
            lock (_gate)
            {
                Connects++;
                _waiting = new PipeConnection(toCallee, toCaller, "10.0.0.1");
            }

            _arrived.Set();
            return new PipeConnection(toCaller, toCallee, ip);
        }

        public IPeerListener Listen(int port)
        {
            return this;
        }

        public IPeerConnection Accept(int timeoutMillis)
        {
            long deadline = BytePipe.NowMillis() + timeoutMillis;
            while (true)
            {
                lock (_gate)
                {
                    if (_waiting != null)
                    {
                        IPeerConnection connection = _waiting;
                        _waiting = null;
                        return connection;
                    }
                }

                long left = deadline - BytePipe.NowMillis();
                if (left <= 0)
                {
                    return null;
                }

                _arrived.WaitOne((int)left, false);
            }
        }

        public void Close()
        {
        }
    }

    /// <summary>One direction of a connection: a fixed ring of bytes, end of stream once either side closes.</summary>
    public sealed class BytePipe
    {
        public const int Size = 16384;
        private readonly byte[] _ring = new byte[Size];
        private readonly object _gate = new object();
        private readonly AutoResetEvent _written = new AutoResetEvent(false);
        private int _start;
        private int _count;
        private bool _ended;

        public static long NowMillis()
        {
            return DateTime.UtcNow.Ticks / TimeSpan.TicksPerMillisecond;
        }

        public bool Write(byte[] buffer, int offset, int count)
        {
            lock (_gate)
            {
                if (_ended || _count + count > Size)
                {
                    return false;
                }

                for (int i = 0; i < count; i++)
                {
                    _ring[(_start + _count + i) % Size] = buffer[offset + i];
                }

                _count += count;
            }

            _written.Set();
            return true;
        }

        public void End()
        {
            lock (_gate)
            {
                _ended = true;
            }

            _written.Set();
        }

        /// <summary>As IPeerConnection.Read: 0 at end of stream, -1 when nothing came within the (real-time) timeout.</summary>
        public int Read(byte[] buffer, int offset, int count, int timeoutMillis)
        {
            long deadline = NowMillis() + timeoutMillis;
            while (true)
            {
                lock (_gate)
                {
                    if (_count > 0)
                    {
                        int n = count < _count ? count : _count;
                        for (int i = 0; i < n; i++)
                        {
                            buffer[offset + i] = _ring[(_start + i) % Size];
                        }

                        _start = (_start + n) % Size;
                        _count -= n;
                        return n;
                    }

                    if (_ended)
                    {
                        return 0;
                    }
                }

                long left = deadline - NowMillis();
                if (left <= 0)
                {
                    return -1;
                }

                _written.WaitOne((int)left, false);
            }
        }
    }

    public sealed class PipeConnection : IPeerConnection
    {
        private readonly BytePipe _incoming;
        private readonly BytePipe _outgoing;
        private bool _closed;

        public PipeConnection(BytePipe incoming, BytePipe outgoing, string remoteIp)
        {
            _incoming = incoming;
            _outgoing = outgoing;
            RemoteIp = remoteIp;
        }

        public string RemoteIp { get; }

        public int Read(byte[] buffer, int offset, int count, int timeoutMillis)
        {
            return _closed ? 0 : _incoming.Read(buffer, offset, count, timeoutMillis);
        }

        public bool Write(byte[] buffer, int offset, int count)
        {
            return !_closed && _outgoing.Write(buffer, offset, count);
        }

        public void Close()
        {
            _closed = true;
            _outgoing.End();
            _incoming.End();
        }
    }
}
