using System;
using System.Threading;
using PeerGate.Device;
using PeerGate.Device.Allocation;
using PeerGate.Device.Platform;
using PeerGate.Device.Rendezvous;
using PeerGate.Protocol;
using PeerGate.Protocol.Rendezvous;
using NativeGC = nanoFramework.Runtime.Native.GC;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>
    /// The managed heap of the device core with one peer session, read with GC.Run(false) after a warm-up: the
    /// steady-state use (free heap before the core exists minus free heap with the core registered, polling and
    /// one session open), and the growth over 1,000 poll cycles, 1,000 frames each way, 250 UDP keepalives (a
    /// registration and its verified ack) and 100 handshakes, read at
    /// <see cref="Readings"/> points of each run. A run fails when the heap grew by more than
    /// <see cref="ToleranceBytes"/> in all (slack for the collector's own bookkeeping; a leak of even 8 bytes a cycle
    /// is 8 KB over 1,000 cycles), or when it grew at every reading (a leak per cycle too small to pass the slack
    /// within one run still shrinks the free heap between every two readings).
    /// </summary>
    public static class HeapFlows
    {
        /// <summary>The most the free heap may shrink across a whole measured run after its warm-up.</summary>
        public const int ToleranceBytes = 1024;

        public const int WarmUp = 20;

        /// <summary>Readings across each measured run, the first at its start: each costs a yield and two collections.</summary>
        public const int Readings = 5;

        public const int PollCycles = 1000;
        public const int Frames = 1000;
        public const int Handshakes = 100;

        /// <summary>Each is two managed HMACs (the registration's and the ack's), cheaper than a frame; 250 keep the run short.</summary>
        public const int Keepalives = 250;

        private static uint _freeBefore;
        private static World _world;
        private static DeviceAgent _agent;
        private static PeerFlows.Pair _pair;
        private static Trigger _query;

        public static void Register(Runner runner)
        {
            runner.Add("heap: the core registered with one session", CoreWithOneSession);
            runner.Add("heap: no growth per poll cycle", PollCyclesDoNotGrow);
            runner.Add("heap: no growth per frame", FramesDoNotGrow);
            runner.Add("heap: no growth per keepalive", KeepalivesDoNotGrow);
            runner.Add("heap: no growth per handshake", HandshakesDoNotGrow);
        }

        /// <summary>
        /// Free managed heap after a full collection. The main thread yields first: nanoCLR frees a finished
        /// thread and the reflection objects of a GetMethods() call only once the scheduler has run, so read in a
        /// tight loop they looked like a leak of 600-700 bytes each. GC.Run(true) (compaction) crashes this
        /// interpreter build, so the readings do not compact.
        /// </summary>
        public static uint Free()
        {
            Thread.Sleep(YieldMillis);
            NativeGC.Run(false);
            return NativeGC.Run(false);
        }

        public const int YieldMillis = 200;

        private static void CoreWithOneSession()
        {
            _freeBefore = Free();
            _world = new World();
            _world.Settings.Write(AuthServerLocator.CacheName, World.AuthUrl);
            _world.ExpectAuthentication(World.AuthUrl, new byte[AuthProofs.NonceLength], _world.Clock.UtcNowSeconds + 86400);
            _world.ExpectRegistration(_world.Clock.UtcNowSeconds + 300);
            _agent = _world.NewAgent();
            Check.True(_agent.RunOnce(), "registered");
            _world.Http.Verify();
            _query = new Trigger();
            _query.Seq = 1;
            _query.Kind = TriggerKinds.StatusQuery;
            ScriptPoll();
            for (int i = 0; i < WarmUp; i++)
            {
                PollCycle();
            }

            uint registered = Free();
            _pair = new PeerFlows.Pair(_world, "S-HEAP-1", 0, 0, PeerFlows.Secret(16, 1));
            Check.True(_pair.Caller != null && _pair.Callee != null, "one session open");
            for (int i = 0; i < WarmUp; i++)
            {
                PollCycle();
                Frame(512);
            }

            uint free = Free();
            long agent = (long)_freeBefore - registered;
            long pair = (long)registered - free;

            // The pair is both ends of one session in this one process, joined by two test pipes: one device
            // holds one end and its socket buffers are native, not managed.
            long oneEnd = (pair - (2 * BytePipe.Size)) / 2;
            long core = agent + oneEnd;
            Console.WriteLine("heap steady-state: " + core.ToString() + " bytes of " + (60 * 1024).ToString() + " for the device core with one peer session");
            Console.WriteLine("heap core: " + core.ToString() + " bytes: the core registered and polling " + agent.ToString()
                + " (with the test's scripted network and fakes), one session end " + oneEnd.ToString()
                + " (the pair " + pair.ToString() + " less the pipes' " + (2 * BytePipe.Size).ToString() + ", halved); free " + free.ToString() + " of " + _freeBefore.ToString());
            Check.True(agent > 0 && oneEnd > 0, "the core takes heap");
            Check.True(core <= 60 * 1024, "at most 60 KB, used " + core.ToString());
        }

        private static void ScriptPoll()
        {
            // A fresh script: the registration steps are done; each cycle is one empty long-poll and one status reply.
            _scripted = new ScriptedHttpCycle(_world);
        }

        private static ScriptedHttpCycle _scripted;

        private static void PollCycle()
        {
            _scripted.Rewind();
            Check.Equal(0, _agent.Poller.PollOnce(), "poll");
            _agent.Triggers.Handle(_query);
            _scripted.Verify();
        }

        private static readonly byte[] Out = World.Pattern(512, 3);
        private static readonly byte[] In = new byte[1024];

        private static void Frame(int count)
        {
            Check.Equal(count, PeerFlows.Carry(_pair.Caller, _pair.Callee, Out, count, In), "to the callee");
            Check.Equal(count, PeerFlows.Carry(_pair.Callee, _pair.Caller, Out, count, In), "to the caller");
        }

        private static void PollCyclesDoNotGrow()
        {
            Measure("poll cycles", PollCycles, 0);
        }

        private static void FramesDoNotGrow()
        {
            Measure("frames", Frames, 1);
        }

        private static UdpRegistration _registration;
        private static readonly byte[] LocalAddress = new byte[] { 192, 168, 1, 20 };

        private static void KeepalivesDoNotGrow()
        {
            byte[] key = UdpFlows.Key();
            FixedHolder holder = new FixedHolder();
            holder.Certificate = _world.Certificate(_world.Clock.UtcNowSeconds + 3600);
            holder.Certificate.UdpKey = Convert.ToBase64String(key);
            _registration = new UdpRegistration(new AckingSocket(_world, key, holder.Certificate.TerminalId, holder.Certificate.Serial), holder, _world.Crypto, _world.Clock, _world.Log, "127.0.0.1", 5081);
            for (int i = 0; i < WarmUp; i++)
            {
                Keepalive();
            }

            Check.Equal("203.0.113.9", _registration.ObservedIp, "the mapping the acks teach");
            Measure("keepalives", Keepalives, 3);
        }

        private static void Keepalive()
        {
            Check.True(_registration.RegisterOnce(LocalAddress, 7400), "keepalive acknowledged");
        }

        private static void HandshakesDoNotGrow()
        {
            for (int i = 0; i < 3; i++)
            {
                Handshake();
            }

            Measure("handshakes", Handshakes, 2);
        }

        private static void Handshake()
        {
            PeerFlows.Pair pair = new PeerFlows.Pair(_world, "S-HEAP-2", 0, 0, PeerFlows.Secret(16, 1));
            Check.True(pair.Caller != null && pair.Callee != null, "handshake");
            pair.Close();
        }

        private static void Measure(string what, int count, int kind)
        {
            Check.True(_agent != null, "the core was set up");
            long started = BytePipe.NowMillis();
            uint[] free = new uint[Readings];
            free[0] = Free();
            int done = 0;
            for (int reading = 1; reading < Readings; reading++)
            {
                int until = count * reading / (Readings - 1);
                for (; done < until; done++)
                {
                    Cycle(kind);
                }

                free[reading] = Free();
            }

            long grown = (long)free[0] - free[Readings - 1];
            bool everyStepGrew = true;
            string steps = free[0].ToString();
            for (int i = 1; i < Readings; i++)
            {
                everyStepGrew = everyStepGrew && free[i] < free[i - 1];
                steps += " " + free[i].ToString();
            }

            long millis = BytePipe.NowMillis() - started;
            Console.WriteLine("heap " + what + ": " + count.ToString() + " in " + millis.ToString() + " ms, free " + steps
                + ", growth " + grown.ToString() + " bytes (" + (grown * 1000 / count).ToString() + " per 1000)");
            Check.True(grown <= ToleranceBytes, what + " grew the heap by " + grown.ToString() + " bytes");
            Check.True(!everyStepGrew, what + " grew the heap at every reading: " + steps);
        }

        private static void Cycle(int kind)
        {
            if (kind == 0)
            {
                PollCycle();
            }
            else if (kind == 1)
            {
                Frame(512);
            }
            else if (kind == 3)
            {
                Keepalive();
            }
            else
            {
                Handshake();
            }
        }

        /// <summary>
        /// The server's side of a keepalive that keeps nothing: each registration is answered with the ack of its
        /// counter, written into one reused buffer (MemoryDatagramSocket keeps every datagram, which would read as growth).
        /// </summary>
        private sealed class AckingSocket : IDatagramSocket
        {
            private readonly World _world;
            private readonly byte[] _key;
            private readonly RendezvousDatagram _reader = new RendezvousDatagram();
            private readonly byte[] _reply = new byte[RendezvousDatagram.MaxLength];
            private readonly byte[] _work = new byte[RendezvousDatagram.WorkLength];
            private readonly byte[] _observed = new byte[] { 203, 0, 113, 9 };
            private readonly string _terminalId;
            private readonly string _serial;
            private int _replyLength;

            public AckingSocket(World world, byte[] key, string terminalId, string serial)
            {
                _world = world;
                _key = key;
                _terminalId = terminalId;
                _serial = serial;
            }

            public int LocalPort
            {
                get { return 40000; }
            }

            public bool SendTo(byte[] buffer, int offset, int count, string ip, int port)
            {
                _replyLength = 0;
                if (_reader.Read(buffer, count) && _reader.Type == RendezvousDatagram.TypeRegister)
                {
                    _replyLength = RendezvousDatagram.WriteAck(_reply, _terminalId, _serial, _reader.Counter, _observed, 40123, 25, _key, _world.Crypto, _work);
                }

                return true;
            }

            public int Receive(byte[] buffer, int offset, int count, int timeoutMillis)
            {
                if (_replyLength == 0)
                {
                    _world.Clock.Advance(timeoutMillis);
                    return -1;
                }

                int length = _replyLength;
                _replyLength = 0;
                Array.Copy(_reply, 0, buffer, offset, length);
                return length;
            }

            public void Close()
            {
            }
        }

        /// <summary>The steady cycle's script: one empty long-poll, one status reply, replayed without allocating.</summary>
        private sealed class ScriptedHttpCycle
        {
            private readonly ScriptedHttp _http;

            public ScriptedHttpCycle(World world)
            {
                _http = world.Http;
                _http.Clear();
                _http.Expect("GET", TriggerFlows.PollPrefix + "0", 200, TriggerFlows.Batch(1, 0));
                _http.Expect("POST", World.RegistryUrl + Routes.TriggerReplies, 204, "");
            }

            public void Rewind()
            {
                _http.Rewind();
            }

            public void Verify()
            {
                _http.Verify();
            }
        }
    }
}
