using System;
using System.Collections;
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
    /// <para>At most <see cref="MaxWorkers"/> connections are admitted (in handshake or session), and at
    /// most <see cref="MaxPendingPerSource"/> unauthenticated ones per remote address. A new connection
    /// takes the place of an unauthenticated one: first the oldest of its own source when that source is
    /// at its cap, else, when all slots are held, the oldest that has not sent a preamble naming a live
    /// offer, then the oldest waiting for its Request. An authenticated connection is never evicted; when
    /// every slot holds one, the new connection is closed at once. Idle connections end at the acceptor's
    /// preamble deadline, so sending nothing holds a slot for seconds, not the handshake timeout.</para>
    /// <para>An evicted connection is closed at once and its slot given away; its thread ends at its next
    /// read (at once where closing a socket wakes a blocked read). Threads stay bounded by
    /// <see cref="MaxThreads"/>. Every wait has a timeout.</para>
    /// </remarks>
    public class PeerServer
    {
        /// <summary>How often the accept loop looks at the stop signal.</summary>
        public const int AcceptPollMillis = 500;

        /// <summary>Unauthenticated connections one remote address may hold when not configured otherwise.</summary>
        public const int DefaultMaxPendingPerSource = 1;

        public const int StopJoinMillis = 5000;

        private readonly IPeerNetwork _network;
        private readonly PeerAcceptor _acceptor;
        private readonly LoadMonitor _load;
        private readonly IDeviceLog _log;
        private readonly ManualResetEvent _stop = new ManualResetEvent(false);
        private readonly object _gate = new object();

        private readonly ArrayList _slots = new ArrayList();

        private IPeerListener _listener;
        private Thread _thread;
        private int _threads;

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
            MaxPendingPerSource = DefaultMaxPendingPerSource;
        }

        /// <summary>Unauthenticated connections (no verified Request yet) one remote address may hold.</summary>
        public int MaxPendingPerSource { get; set; }

        /// <summary>Connection threads, evicted ones still unwinding included; beyond this a new connection is closed at once.</summary>
        public int MaxThreads
        {
            get { return MaxWorkers * 2; }
        }

        /// <summary>Connections holding a slot now.</summary>
        public int Admitted
        {
            get
            {
                lock (_slots)
                {
                    return _slots.Count;
                }
            }
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
            Slot slot = Admit(connection);
            if (slot == null)
            {
                _log.Event("peer.rejected", "too many connections from " + connection.RemoteIp);
                connection.Close();
                return;
            }

            Worker worker = new Worker(this, slot);
            new Thread(worker.Run).Start();
        }

        /// <summary>A slot for the connection, evicting an unauthenticated one if need be; null when none can be had.</summary>
        private Slot Admit(IPeerConnection connection)
        {
            string source = connection.RemoteIp;
            Slot slot;
            lock (_slots)
            {
                if (Interlocked.Increment(ref _threads) > MaxThreads)
                {
                    Interlocked.Decrement(ref _threads);
                    return null;
                }

                int pending = 0;
                for (int i = 0; i < _slots.Count; i++)
                {
                    Slot held = (Slot)_slots[i];
                    if (held.Source == source && held.Admission.Stage < PeerAdmission.Authenticated)
                    {
                        pending++;
                    }
                }

                if (pending >= MaxPendingPerSource)
                {
                    EvictOne(source);
                }

                if (_slots.Count >= MaxWorkers)
                {
                    if (EvictOne(null) == null)
                    {
                        Interlocked.Decrement(ref _threads);
                        return null;
                    }
                }

                slot = new Slot(connection, new PeerAdmission(source));
                _slots.Add(slot);
            }

            return slot;
        }

        /// <summary>Under the slots lock: evicts the oldest connection of the lowest stage (of one source, or any); null when all are authenticated.</summary>
        private Slot EvictOne(string source)
        {
            for (int stage = PeerAdmission.Connected; stage < PeerAdmission.Authenticated; stage++)
            {
                for (int i = 0; i < _slots.Count; i++)
                {
                    Slot held = (Slot)_slots[i];
                    if ((source == null || held.Source == source) && held.Admission.Stage == stage && held.Admission.TryEvict())
                    {
                        _slots.RemoveAt(i);
                        _log.Event("peer.evicted", "an unauthenticated connection from " + held.Source + " for a new one");
                        held.Connection.Close();
                        return held;
                    }
                }
            }

            return null;
        }

        private void Release(Slot slot)
        {
            lock (_slots)
            {
                _slots.Remove(slot);
            }
        }

        /// <summary>
        /// Plays the callee on a connection this device opened itself (reverse connect to a caller, F30; a
        /// relay later): the same handshake, application and end notice as for an accepted one, on the
        /// calling thread. It holds no listener slot (it answers an offer the server sent, not a stranger)
        /// but counts against <see cref="MaxThreads"/>; beyond that it is closed at once.
        /// </summary>
        public void ServeConnection(IPeerConnection connection)
        {
            if (connection == null)
            {
                throw new ArgumentNullException(nameof(connection));
            }

            if (Application == null || Interlocked.Increment(ref _threads) > MaxThreads)
            {
                if (Application != null)
                {
                    Interlocked.Decrement(ref _threads);
                }

                _log.Event("peer.rejected", "no room for an outgoing peer connection to " + connection.RemoteIp);
                connection.Close();
                return;
            }

            try
            {
                Run(connection, null);
            }
            finally
            {
                Interlocked.Decrement(ref _threads);
            }
        }

        private void Serve(Slot slot)
        {
            try
            {
                Run(slot.Connection, slot);
            }
            finally
            {
                Interlocked.Decrement(ref _threads);
            }
        }

        /// <summary>
        /// The callee's part on one connection, whoever opened it; a null slot for one without a listener
        /// slot. The session stops counting against the load, and its slot is given back, as soon as its
        /// channel is closed: a caller that dials again right after its session ended finds the device
        /// free, not busy for as long as the end notice's round trip to the server takes.
        /// </summary>
        private void Run(IPeerConnection connection, Slot slot)
        {
            PeerChannel channel = null;
            bool counted = false;
            try
            {
                channel = _acceptor.Accept(connection, slot == null ? null : slot.Admission);
                if (channel == null)
                {
                    // A callee's reverse connection for one of this device's own dials, which now owns it.
                    return;
                }

                _load.SessionStarted();
                counted = true;
                Application.Serve(channel);
                channel.Close(CloseReasons.Finished);
                _log.Event("peer.session-ended", "session " + channel.SessionId + ": received " + channel.BytesReceived.ToString() + " bytes, sent " + channel.BytesSent.ToString() + " bytes");
            }
            catch (PeerException e)
            {
                // The acceptor and the channel have closed the connection and logged the refusal.
                _log.Event("peer.session-failed", e.Code);
            }
            catch (Exception e)
            {
                _log.Event("peer.session-failed", e.Message);
                if (channel != null)
                {
                    channel.Close(ErrorCodes.InternalError);
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

                if (slot != null)
                {
                    Release(slot);
                }
            }

            ReportEnd(channel);
        }

        /// <summary>The end notice of a session that got past the handshake; a refused handshake has none to send.</summary>
        private void ReportEnd(PeerChannel channel)
        {
            SessionClient sessions = Sessions;
            if (channel == null || channel.Session == null || sessions == null)
            {
                return;
            }

            try
            {
                sessions.ReportEnd(channel.Session);
            }
            catch (Exception e)
            {
                // Off the session's try: a failure here must not end the connection's thread unlogged.
                _log.Event("session.end-report-failed", "session " + channel.SessionId + ": " + e.Message);
            }
        }

        /// <summary>One connection's thread (a non-generic closure for nanoFramework 1.x).</summary>
        private class Worker
        {
            private readonly PeerServer _server;
            private readonly Slot _slot;

            public Worker(PeerServer server, Slot slot)
            {
                _server = server;
                _slot = slot;
            }

            public void Run()
            {
                _server.Serve(_slot);
            }
        }

        /// <summary>One admitted connection and how far its handshake got.</summary>
        private class Slot
        {
            public Slot(IPeerConnection connection, PeerAdmission admission)
            {
                Connection = connection;
                Admission = admission;
            }

            public IPeerConnection Connection { get; }

            public PeerAdmission Admission { get; }

            public string Source
            {
                get { return Admission.Source; }
            }
        }
    }
}
