using System;
using System.Collections;
using System.Threading;
using PeerGate.Device.Platform;
using PeerGate.Device.Rendezvous;
using PeerGate.Protocol;
using PeerGate.Protocol.Rendezvous;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>
    /// The rendezvous paths (RendezvousPath over HolePuncher and RelayConnector), through their public surface only,
    /// against MemoryRendezvous, an in-memory rendezvous endpoint that checks the ticket, pairs the two ends and either
    /// splices them (relayed) or tells each the other's address and lets their simultaneous dials meet (punched).
    /// The callee runs on its own thread, the caller on the main one, each with its own clock.
    /// </summary>
    public static class RendezvousFlows
    {
        public static void Register(Runner runner)
        {
            runner.Add("two ends meet at the relay with one ticket and carry bytes both ways", Relayed);
            runner.Add("two ends punched through: each dials the address the endpoint names and they meet directly", Punched);
            runner.Add("a punch that gets no connection falls back to the relay", PunchFallsBackToTheRelay);
            runner.Add("a refused ticket and an unreachable endpoint give no link and never log the ticket", Refusals);
        }

        private static void Relayed()
        {
            MemoryRendezvous endpoint = new MemoryRendezvous(PeerFlows.Secret(RendezvousHello.TicketLength, 7));
            Meeting meeting = Meet(endpoint, ConnectionPaths.Relayed);
            try
            {
                Check.Equal(ConnectionPaths.Relayed, meeting.Caller.Path, "the caller's path");
                Check.Equal(ConnectionPaths.Relayed, meeting.Callee.Path, "the callee's path");
                Check.Equal(2, endpoint.Relayed, "both ends at the relay");
                Carry(meeting);
                Check.True(meeting.CallerLog.Has("relay.ready"), "the relay logged");
                Check.True(!meeting.CallerLog.Contains(endpoint.TicketBase64) && !meeting.CalleeLog.Contains(endpoint.TicketBase64), "the ticket never logged");
            }
            finally
            {
                meeting.Close();
            }
        }

        private static void Punched()
        {
            MemoryRendezvous endpoint = new MemoryRendezvous(PeerFlows.Secret(RendezvousHello.TicketLength, 8));
            Meeting meeting = Meet(endpoint, ConnectionPaths.Punched);
            try
            {
                Check.Equal(ConnectionPaths.Punched, meeting.Caller.Path, "the caller's path");
                Check.Equal(ConnectionPaths.Punched, meeting.Callee.Path, "the callee's path");
                Check.Equal(0, endpoint.Relayed, "nothing through the relay");
                Check.Equal(1, endpoint.Punched, "one simultaneous open");
                Carry(meeting);
                Check.True(meeting.CallerLog.Has("punch.connected"), "the punch logged");
            }
            finally
            {
                meeting.Close();
            }
        }

        private static void PunchFallsBackToTheRelay()
        {
            MemoryRendezvous endpoint = new MemoryRendezvous(PeerFlows.Secret(RendezvousHello.TicketLength, 9));
            endpoint.DialsMeet = false;
            Meeting meeting = Meet(endpoint, ConnectionPaths.Punched);
            try
            {
                Check.Equal(ConnectionPaths.Relayed, meeting.Caller.Path, "the caller fell back");
                Check.Equal(ConnectionPaths.Relayed, meeting.Callee.Path, "the callee fell back");
                Check.Equal(0, endpoint.Punched, "no dial met");
                Carry(meeting);
                Check.True(meeting.CallerLog.Has("punch.failed") && meeting.CallerLog.Has("rendezvous.fallback"), "the fallback logged");
                Check.True(meeting.CallerClock.UptimeMillis >= HolePuncher.DefaultPunchWindowMillis, "the punch had its window");
            }
            finally
            {
                meeting.Close();
            }
        }

        private static void Refusals()
        {
            MemoryRendezvous endpoint = new MemoryRendezvous(PeerFlows.Secret(RendezvousHello.TicketLength, 10));
            FlowClock clock = new FlowClock();
            RecordingLog log = new RecordingLog();
            RendezvousPath path = NewPath(endpoint, clock, log);
            string wrong = Convert.ToBase64String(PeerFlows.Secret(RendezvousHello.TicketLength, 11));

            Check.True(path.Open(ConnectionPaths.Relayed, MemoryRendezvous.Host, MemoryRendezvous.Port, wrong, "S-R1") == null, "a wrong ticket gives no link");
            Check.True(log.Has("relay.refused"), "the refusal logged");
            Check.True(path.Open(ConnectionPaths.Relayed, "rv.unknown", MemoryRendezvous.Port, endpoint.TicketBase64, "S-R2") == null, "an unreachable endpoint gives no link");
            Check.True(log.Has("relay.unreachable"), "the unreachable endpoint logged");
            Check.True(!log.Contains(wrong) && !log.Contains(endpoint.TicketBase64), "no ticket in the log");

            bool refused = false;
            try
            {
                path.Open(ConnectionPaths.Relayed, MemoryRendezvous.Host, MemoryRendezvous.Port, "AAAA", "S-R3");
            }
            catch (ArgumentException)
            {
                refused = true;
            }

            Check.True(refused, "a ticket that is not 32 bytes is refused before any connection");
            Check.Equal(1, endpoint.Connections, "one connection made: the wrong ticket's");
        }

        private static RendezvousPath NewPath(MemoryRendezvous endpoint, FlowClock clock, RecordingLog log)
        {
            // The answer waits read their deadline from the clock while they wait on real pipes.
            clock.FollowRealTime = true;
            RendezvousPath path = new RendezvousPath(endpoint.For(clock), clock, log);
            path.Relay.PairWaitMillis = PeerFlows.WaitMillis;
            path.Puncher.PairWaitMillis = PeerFlows.WaitMillis;
            return path;
        }

        private static Meeting Meet(MemoryRendezvous endpoint, string path)
        {
            Meeting meeting = new Meeting();
            meeting.CallerClock = new FlowClock();
            meeting.CallerLog = new RecordingLog();
            meeting.CalleeLog = new RecordingLog();
            Side callee = new Side(NewPath(endpoint, new FlowClock(), meeting.CalleeLog), path, endpoint.TicketBase64);
            Thread thread = new Thread(callee.Run);
            thread.Start();
            meeting.Caller = NewPath(endpoint, meeting.CallerClock, meeting.CallerLog).Open(path, MemoryRendezvous.Host, MemoryRendezvous.Port, endpoint.TicketBase64, "S-MEET");
            Check.True(callee.Done.WaitOne(4 * PeerFlows.WaitMillis + HolePuncher.DefaultPunchWindowMillis, false), "the callee's side ended");
            meeting.Callee = callee.Link;
            Check.True(meeting.Caller != null, "the caller has a link");
            Check.True(meeting.Callee != null, "the callee has a link");
            return meeting;
        }

        private static void Carry(Meeting meeting)
        {
            byte[] data = World.Pattern(700, 6);
            byte[] into = new byte[1024];
            Check.True(meeting.Caller.Connection.Write(data, 0, data.Length), "written by the caller");
            Check.True(ReadAll(meeting.Callee.Connection, into, data.Length), "read by the callee");
            Check.Bytes(data, into, data.Length, "caller to callee");
            Check.True(meeting.Callee.Connection.Write(data, 0, 300), "written by the callee");
            Check.True(ReadAll(meeting.Caller.Connection, into, 300), "read by the caller");
            Check.Bytes(data, into, 300, "callee to caller");
        }

        private static bool ReadAll(IPeerConnection connection, byte[] into, int count)
        {
            int read = 0;
            while (read < count)
            {
                int n = connection.Read(into, read, count - read, PeerFlows.WaitMillis);
                if (n <= 0)
                {
                    return false;
                }

                read += n;
            }

            return true;
        }

        private sealed class Meeting
        {
            public RendezvousLink Caller;
            public RendezvousLink Callee;
            public FlowClock CallerClock;
            public RecordingLog CallerLog;
            public RecordingLog CalleeLog;

            public void Close()
            {
                if (Caller != null)
                {
                    Caller.Connection.Close();
                }

                if (Callee != null)
                {
                    Callee.Connection.Close();
                }
            }
        }

        private sealed class Side
        {
            private readonly RendezvousPath _path;
            private readonly string _kind;
            private readonly string _ticket;

            public Side(RendezvousPath path, string kind, string ticket)
            {
                _path = path;
                _kind = kind;
                _ticket = ticket;
            }

            public readonly ManualResetEvent Done = new ManualResetEvent(false);

            public RendezvousLink Link;

            public void Run()
            {
                try
                {
                    Link = _path.Open(_kind, MemoryRendezvous.Host, MemoryRendezvous.Port, _ticket, "S-MEET");
                }
                catch (Exception e)
                {
                    Console.WriteLine("callee side: " + e.GetType().FullName + " " + e.Message);
                }
                finally
                {
                    Done.Set();
                }
            }
        }
    }

    /// <summary>
    /// The rendezvous endpoint in memory: one ticket; the first hello waits for the second of its kind, then a relay
    /// pair is spliced and a punch pair told each other's address and port. Dials from those ports meet when both
    /// arrive (a simultaneous open) unless <see cref="DialsMeet"/> is false (port-randomising NATs on both sides).
    /// A failed dial moves its side's clock by its timeout, as a real one would wait it out.
    /// </summary>
    public sealed class MemoryRendezvous
    {
        public const string Host = "rv.example";
        public const int Port = 5443;

        private readonly byte[] _ticket;
        private readonly object _lock = new object();
        private readonly ArrayList _dials = new ArrayList();
        private Arrival _waiting;
        private int _clients;

        public MemoryRendezvous(byte[] ticket)
        {
            _ticket = ticket;
            TicketBase64 = Convert.ToBase64String(ticket);
            DialsMeet = true;
        }

        public string TicketBase64 { get; }

        public bool DialsMeet { get; set; }

        public int Connections { get; private set; }

        public int Relayed { get; private set; }

        public int Punched { get; private set; }

        /// <summary>The network as one device sees it: its failed dials wait on its own clock.</summary>
        public IRendezvousNetwork For(FlowClock clock)
        {
            return new Network(this, clock);
        }

        private IRendezvousConnection ConnectServer(string host, int port)
        {
            if (host != Host || port != Port)
            {
                return null;
            }

            BytePipe up = new BytePipe();
            BytePipe down = new BytePipe();
            int client;
            lock (_lock)
            {
                Connections++;
                _clients++;
                client = _clients;
            }

            Arrival arrival = new Arrival(this, new PipeConnection(up, down, "198.51.100." + client.ToString()), (byte)client, 40000 + client);
            new Thread(arrival.Run).Start();
            return new RendezvousPipe(down, up, Host, arrival.LocalPort);
        }

        private void Arrived(Arrival arrival)
        {
            Arrival partner = null;
            lock (_lock)
            {
                if (_waiting != null && _waiting.Type == arrival.Type)
                {
                    partner = _waiting;
                    _waiting = null;
                }
                else
                {
                    _waiting = arrival;
                }
            }

            if (partner == null)
            {
                return;
            }

            if (arrival.Type == RendezvousHello.TypeRelay)
            {
                lock (_lock)
                {
                    Relayed += 2;
                }

                byte[] ready = new byte[RendezvousHello.MaxAnswerLength];
                int length = RendezvousHello.WriteRelayReady(ready);
                partner.Server.Write(ready, 0, length);
                arrival.Server.Write(ready, 0, length);
                new Thread(new Splice(partner.Server, arrival.Server).Run).Start();
                new Thread(new Splice(arrival.Server, partner.Server).Run).Start();
            }
            else
            {
                Tell(partner, arrival);
                Tell(arrival, partner);
                partner.Server.Close();
                arrival.Server.Close();
            }
        }

        private static void Tell(Arrival to, Arrival about)
        {
            byte[] answer = new byte[RendezvousHello.MaxAnswerLength];
            int length = RendezvousHello.WritePunchPeer(answer, new byte[] { 198, 51, 100, about.Client }, about.LocalPort, 0);
            to.Server.Write(answer, 0, length);
        }

        private IPeerConnection ConnectFrom(FlowClock clock, int localPort, int port, int timeoutMillis)
        {
            Dial mine = null;
            lock (_lock)
            {
                if (DialsMeet)
                {
                    for (int i = 0; i < _dials.Count; i++)
                    {
                        Dial other = (Dial)_dials[i];
                        if (other.From == port && other.To == localPort)
                        {
                            _dials.RemoveAt(i);
                            BytePipe a = new BytePipe();
                            BytePipe b = new BytePipe();
                            other.Connection = new PipeConnection(a, b, "198.51.100.0");
                            other.Met.Set();
                            Punched++;
                            return new PipeConnection(b, a, "198.51.100.0");
                        }
                    }

                    mine = new Dial(localPort, port);
                    _dials.Add(mine);
                }
            }

            if (mine != null && mine.Met.WaitOne(timeoutMillis < PeerFlows.WaitMillis ? timeoutMillis : PeerFlows.WaitMillis, false))
            {
                return mine.Connection;
            }

            lock (_lock)
            {
                if (mine != null)
                {
                    _dials.Remove(mine);
                    if (mine.Connection != null)
                    {
                        return mine.Connection;
                    }
                }
            }

            clock.Advance(timeoutMillis);
            return null;
        }

        private sealed class Network : IRendezvousNetwork
        {
            private readonly MemoryRendezvous _endpoint;
            private readonly FlowClock _clock;

            public Network(MemoryRendezvous endpoint, FlowClock clock)
            {
                _endpoint = endpoint;
                _clock = clock;
            }

            public IRendezvousConnection ConnectServer(string host, int port, int localPort, int timeoutMillis)
            {
                return _endpoint.ConnectServer(host, port);
            }

            public IPeerConnection ConnectFrom(int localPort, string ip, int port, int timeoutMillis)
            {
                return _endpoint.ConnectFrom(_clock, localPort, port, timeoutMillis);
            }
        }

        private sealed class Dial
        {
            public Dial(int from, int to)
            {
                From = from;
                To = to;
            }

            public readonly ManualResetEvent Met = new ManualResetEvent(false);

            public int From { get; }

            public int To { get; }

            public IPeerConnection Connection;
        }

        /// <summary>One hello on the endpoint's side: read it, check the ticket, then wait for the other end.</summary>
        private sealed class Arrival
        {
            private readonly MemoryRendezvous _endpoint;

            public Arrival(MemoryRendezvous endpoint, PipeConnection server, byte client, int localPort)
            {
                _endpoint = endpoint;
                Server = server;
                Client = client;
                LocalPort = localPort;
            }

            public PipeConnection Server { get; }

            public byte Client { get; }

            public int LocalPort { get; }

            public int Type;

            public void Run()
            {
                byte[] hello = new byte[RendezvousHello.HelloLength];
                int read = 0;
                while (read < hello.Length)
                {
                    int n = Server.Read(hello, read, hello.Length - read, PeerFlows.WaitMillis);
                    if (n <= 0)
                    {
                        Server.Close();
                        return;
                    }

                    read += n;
                }

                RendezvousHello reader = new RendezvousHello();
                if (!reader.Read(hello, read) || !reader.TicketIs(_endpoint._ticket))
                {
                    // A refused ticket: closed without an answer, as the real endpoint does.
                    Server.Close();
                    return;
                }

                Type = reader.Type;
                _endpoint.Arrived(this);
            }
        }

        /// <summary>Copies one direction of a relayed pair until either end closes.</summary>
        private sealed class Splice
        {
            private readonly IPeerConnection _from;
            private readonly IPeerConnection _to;

            public Splice(IPeerConnection from, IPeerConnection to)
            {
                _from = from;
                _to = to;
            }

            public void Run()
            {
                byte[] buffer = new byte[512];
                long idleUntil = BytePipe.NowMillis() + 30000;
                while (BytePipe.NowMillis() < idleUntil)
                {
                    int n = _from.Read(buffer, 0, buffer.Length, 200);
                    if (n == 0 || (n > 0 && !_to.Write(buffer, 0, n)))
                    {
                        _to.Close();
                        return;
                    }

                    if (n > 0)
                    {
                        idleUntil = BytePipe.NowMillis() + 30000;
                    }
                }

                _to.Close();
            }
        }
    }

    /// <summary>A client's end of its connection to the endpoint, with the local port the endpoint saw.</summary>
    public sealed class RendezvousPipe : IRendezvousConnection
    {
        private readonly PipeConnection _pipe;

        public RendezvousPipe(BytePipe incoming, BytePipe outgoing, string remoteIp, int localPort)
        {
            _pipe = new PipeConnection(incoming, outgoing, remoteIp);
            LocalPort = localPort;
        }

        public int LocalPort { get; }

        public string RemoteIp
        {
            get { return _pipe.RemoteIp; }
        }

        public int Read(byte[] buffer, int offset, int count, int timeoutMillis)
        {
            return _pipe.Read(buffer, offset, count, timeoutMillis);
        }

        public bool Write(byte[] buffer, int offset, int count)
        {
            return _pipe.Write(buffer, offset, count);
        }

        public void Close()
        {
            _pipe.Close();
        }
    }
}
