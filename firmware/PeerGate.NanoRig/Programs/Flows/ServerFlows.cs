using System;
using System.Threading;
using PeerGate.Device;
using PeerGate.Device.Connections;
using PeerGate.Device.Load;
using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>
    /// The callee's listener (PeerServer) and the acceptor's first bytes, as PeerServerTests drive them on .NET:
    /// the agent's slots, the preamble deadline on the fake clock, a session with no offer and no announcement
    /// refused at once, and a booked one served through the listener.
    /// </summary>
    public static class ServerFlows
    {
        public static void Register(Runner runner)
        {
            runner.Add("the listener holds SessionLimit + 1 slots and a new connection takes the oldest idle one's place", SlotsAndEviction);
            runner.Add("a connection that sends nothing is closed at the preamble deadline", PreambleDeadline);
            runner.Add("a connection naming a session with no offer and no announcement is refused at once", UnannouncedIsRefused);
            runner.Add("a connection naming a booked offer is served through the listener", BookedIsServed);
        }

        private static bool WaitFor(PeerServer server, int admitted)
        {
            long deadline = BytePipe.NowMillis() + PeerFlows.WaitMillis;
            while (server.Admitted != admitted)
            {
                if (BytePipe.NowMillis() >= deadline)
                {
                    return false;
                }

                Thread.Sleep(10);
            }

            return true;
        }

        private static void SlotsAndEviction()
        {
            World world = new World();
            DeviceAgent agent = world.NewAgent();
            PeerServer server = agent.PeerServer;
            Check.Equal(world.Config.SessionLimit + 1, server.MaxWorkers, "the agent's listener slots");
            server.Application = new EchoApplication(world.Log);
            server.MaxPendingPerSource = 10;
            int slots = server.MaxWorkers;
            IPeerConnection[] idle = new IPeerConnection[slots + 1];
            server.Start(7001);
            try
            {
                for (int i = 0; i < slots; i++)
                {
                    idle[i] = world.Peers.Connect("10.0.0.2", 7001, 1000);
                    Check.True(WaitFor(server, i + 1), "connection " + i.ToString() + " admitted");
                }

                idle[slots] = world.Peers.Connect("10.0.0.2", 7001, 1000);
                Check.Equal(0, idle[0].Read(new byte[1], 0, 1, PeerFlows.WaitMillis), "the oldest idle connection is closed");
                Check.True(WaitFor(server, slots), "the slots stay full: the newest holds the freed one");
                Check.True(world.Log.Has("peer.evicted"), "the eviction is logged");
                for (int i = 1; i <= slots; i++)
                {
                    Check.Equal(-1, idle[i].Read(new byte[1], 0, 1, 50), "connection " + i.ToString() + " still in its handshake");
                }
            }
            finally
            {
                for (int i = 0; i < idle.Length; i++)
                {
                    if (idle[i] != null)
                    {
                        idle[i].Close();
                    }
                }

                server.Stop();
            }

            Check.True(WaitFor(server, 0), "every slot released once its caller hung up");
            Check.True(!server.IsRunning, "stopped");
        }

        private static void PreambleDeadline()
        {
            FlowClock clock = new FlowClock();
            PeerAcceptor acceptor = new PeerAcceptor(new OfferBook(clock, 4), new FlowPeerCrypto(3), clock, new RecordingLog(), 10000);
            ClockedConnection connection = new ClockedConnection(clock, null);

            string code = Refusal(acceptor, connection);

            Check.Equal(ErrorCodes.PeerTimeout, code, "the refusal");
            Check.Equal(PeerAcceptor.DefaultPreambleTimeoutMillis, clock.UptimeMillis, "closed at the preamble deadline, not the handshake timeout");
            Check.True(connection.Closed, "closed");
        }

        private static void UnannouncedIsRefused()
        {
            FlowClock clock = new FlowClock();
            // Another caller's offer is booked; none names S404. (Not announced with OfferBook.Expect: on nanoCLR its
            // string comparison against an empty slot ends the interpreter, see docs/interpreter.md.)
            OfferBook offers = new OfferBook(clock, 4);
            offers.Add(new PeerOffer("S-other", PeerFlows.CallerId, PeerFlows.Secret(16, 1), PeerFlows.Secret(32, 2), clock.UtcNowSeconds + 60));
            PeerAcceptor acceptor = new PeerAcceptor(offers, new FlowPeerCrypto(3), clock, new RecordingLog(), 10000);
            byte[] preamble = new byte[PeerPreamble.MaxLength];
            int length = PeerPreamble.Write("S404", preamble, 0);
            byte[] sent = new byte[length];
            Array.Copy(preamble, sent, length);
            ClockedConnection connection = new ClockedConnection(clock, sent);

            string code = Refusal(acceptor, connection);

            Check.Equal(ErrorCodes.PeerRequestInvalid, code, "the refusal");
            Check.Equal(0, clock.UptimeMillis, "no offer and no announcement: nothing waited for");
            Check.True(connection.Closed, "closed");
        }

        private static void BookedIsServed()
        {
            World world = new World();
            world.Clock.FollowRealTime = true;
            OfferBook book = new OfferBook(world.Clock, 4);
            book.Add(new PeerOffer("S-SERVE", PeerFlows.CallerId, PeerFlows.Secret(16, 1), PeerFlows.Secret(32, 2), world.Clock.UtcNowSeconds + 60, 0, 0));
            PeerAcceptor acceptor = new PeerAcceptor(book, world.Crypto, world.Clock, world.Log, PeerFlows.WaitMillis);
            LoadMonitor load = new LoadMonitor(world.Load, world.Config);
            PeerServer server = new PeerServer(world.Peers, acceptor, load, world.Log, 2);
            server.Application = new EchoApplication(world.Log);
            PeerDialer dialer = new PeerDialer(world.Peers, world.Crypto, world.Clock, world.Log, PeerFlows.WaitMillis, PeerFlows.WaitMillis);
            server.Start(7001);
            try
            {
                PeerChannel caller = dialer.Dial(PeerFlows.Grant(world, "S-SERVE", 0, 0), PeerFlows.CallerId);
                Check.Equal("S-SERVE", caller.SessionId, "the caller's session");
                byte[] data = World.Pattern(300, 4);
                byte[] into = new byte[1024];
                Check.Equal(300, PeerFlows.Carry(caller, caller, data, 300, into), "echoed back");
                Check.Bytes(data, into, 300, "echoed bytes");
                caller.Finish();
                Check.True(caller.IsClosed, "the caller's side closed once the callee hung up");
                Check.True(WaitFor(server, 0), "the session's slot released at its end");
                Check.Equal(0, load.ActiveSessions, "the device no longer counts the session");
                Check.True(world.Log.Has("peer.session-ended"), "the session end logged");
            }
            finally
            {
                server.Stop();
            }
        }

        private static string Refusal(PeerAcceptor acceptor, IPeerConnection connection)
        {
            try
            {
                acceptor.Accept(connection);
            }
            catch (PeerException e)
            {
                return e.Code;
            }

            throw new CheckFailed("accepted");
        }

        /// <summary>Hands out its bytes once, then nothing: each read waits its whole timeout on the fake clock.</summary>
        public sealed class ClockedConnection : IPeerConnection
        {
            private readonly FlowClock _clock;
            private readonly byte[] _bytes;
            private int _read;

            public ClockedConnection(FlowClock clock, byte[] bytes)
            {
                _clock = clock;
                _bytes = bytes;
            }

            public bool Closed { get; private set; }

            public string RemoteIp
            {
                get { return "10.0.0.9"; }
            }

            public int Read(byte[] buffer, int offset, int count, int timeoutMillis)
            {
                if (Closed)
                {
                    return 0;
                }

                if (_bytes != null && _read < _bytes.Length)
                {
                    int n = count < _bytes.Length - _read ? count : _bytes.Length - _read;
                    Array.Copy(_bytes, _read, buffer, offset, n);
                    _read += n;
                    return n;
                }

                _clock.Advance(timeoutMillis);
                return -1;
            }

            public bool Write(byte[] buffer, int offset, int count)
            {
                return !Closed;
            }

            public void Close()
            {
                Closed = true;
            }
        }
    }
}
