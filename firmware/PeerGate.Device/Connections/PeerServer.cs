using System;
using System.Threading;
using PeerGate.Device.Load;
using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Device.Sessions;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Connections
{
    /// <summary>
    /// The callee's listener (F19): accepts peers on the configured port, runs the handshake through
    /// <see cref="PeerAcceptor"/> and hands each accepted channel to the <see cref="IPeerApplication"/>,
    /// counting it as a session in the <see cref="LoadMonitor"/>.
    /// </summary>
    /// <remarks>
    /// Threads are bounded: one accept loop and at most <see cref="MaxWorkers"/> connections in
    /// handshake or session; a connection beyond that is closed at once. Every wait has a timeout.
    /// </remarks>
    public class PeerServer
    {
        /// <summary>How often the accept loop looks at the stop signal.</summary>
        public const int AcceptPollMillis = 500;

        public const int StopJoinMillis = 5000;

        private readonly IPeerNetwork _network;
        private readonly PeerAcceptor _acceptor;
        private readonly LoadMonitor _load;
        private readonly IDeviceLog _log;
        private readonly ManualResetEvent _stop = new ManualResetEvent(false);
        private readonly object _gate = new object();

        private IPeerListener _listener;
        private Thread _thread;
        private int _workers;

        public PeerServer(IPeerNetwork network, PeerAcceptor acceptor, LoadMonitor load, IDeviceLog log, int maxWorkers)
        {
            if (maxWorkers <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(maxWorkers));
            }

            _network = network ?? throw new ArgumentNullException(nameof(network));
            _acceptor = acceptor ?? throw new ArgumentNullException(nameof(acceptor));
            _load = load ?? throw new ArgumentNullException(nameof(load));
            _log = log ?? throw new ArgumentNullException(nameof(log));
            MaxWorkers = maxWorkers;
        }

        /// <summary>What accepted peers talk to; the server does not start without one.</summary>
        public IPeerApplication Application { get; set; }

        public int MaxWorkers { get; }

        /// <summary>Where each session's end notice goes (F25); null sends none.</summary>
        public SessionClient Sessions { get; set; }

        /// <summary>The port actually bound; 0 while not listening.</summary>
        public int Port
        {
            get
            {
                IPeerListener listener = _listener;
                return listener == null ? 0 : listener.Port;
            }
        }

        public bool IsRunning
        {
            get
            {
                Thread thread = _thread;
                return thread != null && thread.IsAlive;
            }
        }

        /// <summary>Listens on <paramref name="port"/> and accepts on its own thread; does nothing when already running.</summary>
        public void Start(int port)
        {
            lock (_gate)
            {
                if (IsRunning)
                {
                    return;
                }

                if (Application == null)
                {
                    throw new InvalidOperationException("no peer application to serve");
                }

                _listener = _network.Listen(port);
                _stop.Reset();
                _thread = new Thread(AcceptLoop);
                _thread.Start();
                _log.Event("peer.listening", "port " + _listener.Port.ToString());
            }
        }

        /// <summary>Stops accepting and waits a bounded time; running sessions end by their own timeouts.</summary>
        public void Stop()
        {
            Thread thread;
            lock (_gate)
            {
                _stop.Set();
                thread = _thread;
                _thread = null;
                if (_listener != null)
                {
                    _listener.Close();
                }
            }

            if (thread != null)
            {
                thread.Join(StopJoinMillis);
            }
        }

        private void AcceptLoop()
        {
            try
            {
                while (!_stop.WaitOne(0, false))
                {
                    IPeerConnection connection = _listener.Accept(AcceptPollMillis);
                    if (connection != null)
                    {
                        Dispatch(connection);
                    }
                }
            }
            catch (Exception e)
            {
                _log.Event("peer.listener-failed", e.Message);
            }
        }

        private void Dispatch(IPeerConnection connection)
        {
            if (Interlocked.Increment(ref _workers) > MaxWorkers)
            {
                Interlocked.Decrement(ref _workers);
                _log.Event("peer.rejected", "too many connections from " + connection.RemoteIp);
                connection.Close();
                return;
            }

            Worker worker = new Worker(this, connection);
            new Thread(worker.Run).Start();
        }

        private void Serve(IPeerConnection connection)
        {
            PeerChannel channel = null;
            bool counted = false;
            try
            {
                channel = _acceptor.Accept(connection);
                _load.SessionStarted();
                counted = true;
                Application.Serve(channel);
                channel.Close(CloseReasons.Finished);
                _log.Event("peer.session-ended", "session " + channel.SessionId + ": received " + channel.BytesReceived.ToString() + " bytes, sent " + channel.BytesSent.ToString() + " bytes");
                ReportEnd(channel);
            }
            catch (PeerException e)
            {
                // The acceptor and the channel have closed the connection and logged the refusal.
                _log.Event("peer.session-failed", e.Code);
                ReportEnd(channel);
            }
            catch (Exception e)
            {
                _log.Event("peer.session-failed", e.Message);
                if (channel != null)
                {
                    channel.Close(ErrorCodes.InternalError);
                    ReportEnd(channel);
                }
                else
                {
                    connection.Close();
                }
            }
            finally
            {
                if (counted)
                {
                    _load.SessionEnded();
                }

                Interlocked.Decrement(ref _workers);
            }
        }

        /// <summary>The end notice of a session that got past the handshake; a refused handshake has none to send.</summary>
        private void ReportEnd(PeerChannel channel)
        {
            SessionClient sessions = Sessions;
            if (channel != null && channel.Session != null && sessions != null)
            {
                sessions.ReportEnd(channel.Session);
            }
        }

        /// <summary>One connection's thread (a non-generic closure for nanoFramework 1.x).</summary>
        private class Worker
        {
            private readonly PeerServer _server;
            private readonly IPeerConnection _connection;

            public Worker(PeerServer server, IPeerConnection connection)
            {
                _server = server;
                _connection = connection;
            }

            public void Run()
            {
                _server.Serve(_connection);
            }
        }
    }
}
