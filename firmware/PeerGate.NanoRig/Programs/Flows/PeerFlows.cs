using System;
using System.Threading;
using PeerGate.Device.Peer;
using PeerGate.Device.Sessions;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>
    /// Two devices joined by in-memory pipes through the real dialer and acceptor (the callee on its own thread),
    /// the channel sealed by the shared frame codec over the managed AES and HMAC, as SessionRig,
    /// PeerDialerTests, SessionLimitTests and PeerLimitsTests drive them on .NET.
    /// </summary>
    public static class PeerFlows
    {
        public const string CallerId = "T-0001";
        public const string CalleeId = "T-0002";
        public const int WaitMillis = 3000;

        public static void Register(Runner runner)
        {
            runner.Add("handshake and encrypted frames both ways", HandshakeAndFrames);
            runner.Add("a wrong password is refused by the callee", WrongPasswordIsRefused);
            runner.Add("an unknown session is refused by the callee", UnknownSessionIsRefused);
            runner.Add("the byte limit ends the session on both sides", ByteLimitEndsTheSession);
            runner.Add("a session table refuses a session beyond its capacity", SessionTableIsBounded);
            runner.Add("an extension at 70 % raises the byte limit on both sides", ExtensionRaisesTheLimit);
            runner.Add("a refused extension ends the session at its limit", RefusedExtensionEndsAtTheLimit);
        }

        public static byte[] Secret(int length, int salt)
        {
            return World.Pattern(length, salt);
        }

        public static ConnectionGrant Grant(World world, string sessionId, long endsAt, long byteLimit)
        {
            ConnectionGrant grant = new ConnectionGrant();
            grant.SessionId = sessionId;
            grant.CalleeTerminalId = CalleeId;
            grant.CalleeLocalIp = "10.0.0.2";
            grant.CalleeLocalPort = 7001;
            grant.Password = Convert.ToBase64String(Secret(16, 1));
            grant.Key = Convert.ToBase64String(Secret(32, 2));
            grant.ExpiresAt = world.Clock.UtcNowSeconds + 60;
            grant.SessionEndsAt = endsAt;
            grant.SessionByteLimit = byteLimit;
            return grant;
        }

        public static Trigger Offer(World world, string sessionId, long endsAt, long byteLimit)
        {
            Trigger offer = new Trigger();
            offer.Seq = 1;
            offer.Kind = TriggerKinds.SessionOffer;
            offer.SessionId = sessionId;
            offer.PeerTerminalId = CallerId;
            offer.Password = Convert.ToBase64String(Secret(16, 1));
            offer.Key = Convert.ToBase64String(Secret(32, 2));
            offer.ExpiresAt = world.Clock.UtcNowSeconds + 60;
            offer.SessionEndsAt = endsAt;
            offer.SessionByteLimit = byteLimit;
            return offer;
        }

        /// <summary>A dialled pair: the caller's and the callee's channel over one world.</summary>
        public sealed class Pair
        {
            public Pair(World world, string sessionId, long endsAt, long byteLimit, byte[] password)
                : this(world, sessionId, endsAt, byteLimit, password, null, null)
            {
            }

            /// <summary>With limits keys (F24): the caller's as its grant carries it, the callee's as its offer does.</summary>
            public Pair(World world, string sessionId, long endsAt, long byteLimit, byte[] password, byte[] callerLimitsKey, byte[] calleeLimitsKey)
            {
                world.Clock.FollowRealTime = true;
                Book = new OfferBook(world.Clock, 4);
                Book.Add(calleeLimitsKey == null
                    ? new PeerOffer(sessionId, CallerId, password, Secret(32, 2), world.Clock.UtcNowSeconds + 60, endsAt, byteLimit)
                    : new PeerOffer(sessionId, CallerId, password, Secret(32, 2), world.Clock.UtcNowSeconds + 60, endsAt, byteLimit, (byte[])calleeLimitsKey.Clone()));
                Acceptor = new PeerAcceptor(Book, world.Crypto, world.Clock, world.Log, WaitMillis);
                Acceptor.PreambleTimeoutMillis = WaitMillis;
                Dialer = new PeerDialer(world.Peers, world.Crypto, world.Clock, world.Log, WaitMillis, WaitMillis);
                Accepted = new AcceptJob(Acceptor, world.Peers);
                Thread callee = new Thread(new ThreadStart(Accepted.Run));
                callee.Start();
                try
                {
                    ConnectionGrant grant = Grant(world, sessionId, endsAt, byteLimit);
                    grant.LimitsKey = callerLimitsKey == null ? null : Convert.ToBase64String(callerLimitsKey);
                    Caller = Dialer.Dial(grant, CallerId);
                }
                catch (Exception e)
                {
                    DialFailure = e;
                }

                Check.True(Accepted.Done.WaitOne(WaitMillis * 3, false), "the callee finished its handshake");
                Callee = Accepted.Channel;
            }

            public OfferBook Book { get; }

            public PeerAcceptor Acceptor { get; }

            public PeerDialer Dialer { get; }

            public AcceptJob Accepted { get; }

            public PeerChannel Caller { get; }

            public PeerChannel Callee { get; }

            public Exception DialFailure { get; }

            public void Close()
            {
                if (Caller != null)
                {
                    Caller.Close(SessionEndReasons.Completed);
                }

                if (Callee != null)
                {
                    Callee.Close(SessionEndReasons.Completed);
                }
            }
        }

        /// <summary>The callee's side of one handshake, on its own thread.</summary>
        public sealed class AcceptJob
        {
            private readonly PeerAcceptor _acceptor;
            private readonly MemoryPeerNetwork _network;

            public AcceptJob(PeerAcceptor acceptor, MemoryPeerNetwork network)
            {
                _acceptor = acceptor;
                _network = network;
                Done = new ManualResetEvent(false);
            }

            public ManualResetEvent Done { get; }

            public PeerChannel Channel { get; private set; }

            public Exception Failure { get; private set; }

            public void Run()
            {
                try
                {
                    Channel = _acceptor.Accept(_network.Accept(WaitMillis));
                }
                catch (Exception e)
                {
                    Failure = e;
                }

                Done.Set();
            }
        }

        /// <summary>Sends <paramref name="count"/> bytes one way and reads them on the other side; returns what arrived.</summary>
        public static int Carry(PeerChannel from, PeerChannel to, byte[] data, int count, byte[] into)
        {
            int sent = from.Send(data, 0, count);
            int got = 0;
            for (int reads = 0; got < sent && reads < 64; reads++)
            {
                int n = to.Receive(into, got, into.Length - got, WaitMillis);
                if (n <= 0)
                {
                    break;
                }

                got += n;
            }

            return got;
        }

        private static void HandshakeAndFrames()
        {
            World world = new World();
            Pair pair = new Pair(world, "S-PEER-1", 0, 0, Secret(16, 1));
            Check.True(pair.DialFailure == null, "dialled: " + (pair.DialFailure == null ? "" : pair.DialFailure.Message));
            Check.True(pair.Callee != null, "accepted: " + (pair.Accepted.Failure == null ? "" : pair.Accepted.Failure.Message));
            Check.Equal("S-PEER-1", pair.Caller.SessionId, "caller session");
            Check.Equal("S-PEER-1", pair.Callee.SessionId, "callee session");
            Check.Equal(CallerId, pair.Callee.PeerTerminalId, "the callee knows the caller");

            byte[] data = World.Pattern(3000, 5);
            byte[] into = new byte[4096];
            Check.Equal(3000, Carry(pair.Caller, pair.Callee, data, 3000, into), "caller to callee");
            Check.Bytes(data, into, 3000, "caller to callee bytes");
            byte[] back = World.Pattern(700, 9);
            Check.Equal(700, Carry(pair.Callee, pair.Caller, back, 700, into), "callee to caller");
            Check.Bytes(back, into, 700, "callee to caller bytes");
            Check.Equal(3000, pair.Caller.BytesSent, "counted sent");
            Check.Equal(3000, pair.Callee.BytesReceived, "counted received");

            pair.Caller.Close(SessionEndReasons.Completed);
            int end = pair.Callee.Receive(into, 0, into.Length, WaitMillis);
            Check.Equal(0, end, "the callee sees the end");
            Check.True(pair.Callee.IsClosed || end == 0, "closed");
            pair.Close();
        }

        private static void WrongPasswordIsRefused()
        {
            World world = new World();
            Pair pair = new Pair(world, "S-PEER-2", 0, 0, Secret(16, 3));
            Check.True(pair.Callee == null, "the callee refused");
            Check.True(pair.Accepted.Failure is PeerException, "a peer refusal: " + (pair.Accepted.Failure == null ? "none" : pair.Accepted.Failure.GetType().Name));
            Check.True(pair.DialFailure is PeerException, "the caller hears it: " + (pair.DialFailure == null ? "none" : pair.DialFailure.GetType().Name));
            Check.Equal(1, pair.Book.Count, "the offer stays for the right caller");
            pair.Close();
        }

        private static void UnknownSessionIsRefused()
        {
            World world = new World();
            world.Clock.FollowRealTime = true;
            OfferBook book = new OfferBook(world.Clock, 4);
            PeerAcceptor acceptor = new PeerAcceptor(book, world.Crypto, world.Clock, world.Log, 200);
            acceptor.PreambleTimeoutMillis = 200;
            PeerDialer dialer = new PeerDialer(world.Peers, world.Crypto, world.Clock, world.Log, 200, 2000);
            AcceptJob job = new AcceptJob(acceptor, world.Peers);
            new Thread(new ThreadStart(job.Run)).Start();
            Exception failure = null;
            try
            {
                dialer.Dial(Grant(world, "S-NONE", 0, 0), CallerId);
            }
            catch (Exception e)
            {
                failure = e;
            }

            Check.True(job.Done.WaitOne(PeerAcceptor.OfferWaitMillis + (WaitMillis * 2), false), "the callee gave up");
            Check.True(job.Failure is PeerException, "refused: " + (job.Failure == null ? "none" : job.Failure.GetType().Name));
            Check.True(failure is PeerException, "the caller hears a refusal: " + (failure == null ? "none" : failure.GetType().Name));
        }

        private static void ByteLimitEndsTheSession()
        {
            World world = new World();
            Pair pair = new Pair(world, "S-PEER-3", 0, 1000, Secret(16, 1));
            Check.True(pair.Caller != null && pair.Callee != null, "connected");
            Check.True(pair.Caller.Session != null && pair.Callee.Session != null, "both sides keep the limits");
            byte[] data = World.Pattern(1500, 1);
            byte[] into = new byte[2048];

            int sent = pair.Caller.Send(data, 0, 1500);
            Check.True(sent <= 1000, "no byte beyond the limit is sent: " + sent.ToString());
            int got = 0;
            for (int reads = 0; reads < 16; reads++)
            {
                int n = pair.Callee.Receive(into, got, into.Length - got, 500);
                if (n <= 0)
                {
                    break;
                }

                got += n;
            }

            Check.True(got <= 1000, "no byte beyond the limit is delivered: " + got.ToString());
            Check.Equal(SessionEndReasons.ByteLimit, pair.Caller.Session.EndReason, "the caller ends by the byte limit");
            pair.Close();
        }

        private static void SessionTableIsBounded()
        {
            World world = new World();
            Pair first = new Pair(world, "S-PEER-4", 0, 0, Secret(16, 1));
            Pair second = new Pair(world, "S-PEER-5", 0, 0, Secret(16, 1));
            SessionTable table = new SessionTable(1);
            Check.True(table.Add(first.Caller), "the first fits");
            Check.True(!table.Add(second.Caller), "the second is refused");
            Check.True(table.Find("S-PEER-4") == first.Caller, "found");
            Check.True(table.Find("S-PEER-5") == null, "not kept");
            first.Close();
            second.Close();
        }

        private static void ExtensionRaisesTheLimit()
        {
            World world = new World();
            byte[] callerKey = Secret(32, 40);
            byte[] calleeKey = Secret(32, 50);
            // The offer wipes its copy of the key once used; the pair gets a clone, the server keeps this one.
            Pair pair = new Pair(world, "S-EXT-1", 0, 1000, Secret(16, 1), callerKey, calleeKey);
            Check.True(pair.Caller != null && pair.Callee != null, "connected");
            FixedHolder holder = new FixedHolder();
            holder.Certificate = world.Certificate(world.Clock.UtcNowSeconds + 3600);
            SessionExtender extender = new SessionExtender(new SessionClient(world.Api(), holder, world.Log), world.Log);
            SessionLimits granted = new SessionLimits();
            granted.SessionId = "S-EXT-1";
            granted.EndsAt = 0;
            granted.ByteLimit = 2000;
            granted.PeerLimitsTag = Convert.ToBase64String(LimitsTag.Compute(world.Crypto, calleeKey, "S-EXT-1", 0, 2000));
            HttpStep asked = world.Http.Expect("POST", World.RegistryUrl + Routes.Sessions + "S-EXT-1" + Routes.SessionExtensionSuffix, 200, World.Json.Serialize(granted));
            byte[] data = World.Pattern(1600, 3);
            byte[] into = new byte[2048];

            Check.Equal(750, Carry(pair.Caller, pair.Callee, data, 750, into), "below the limit");
            extender.CheckUnfinished(pair.Caller);
            world.Http.Verify();
            ExtensionRequest request = (ExtensionRequest)World.Json.Deserialize(asked.SentBody, typeof(ExtensionRequest));
            Check.Equal(1000, request.AddBytes, "asks for one more byte limit");
            Check.Equal(2000, pair.Caller.Session.ByteLimit, "the caller's new limit");

            int carried = Carry(pair.Caller, pair.Callee, data, 850, into);
            Check.Equal(850, carried, "beyond the old limit, within the new one (end " + pair.Caller.Session.EndReason + ", limit " + pair.Caller.Session.ByteLimit.ToString() + ", sent " + pair.Caller.BytesSent.ToString() + ", callee limit " + pair.Callee.Session.ByteLimit.ToString() + ", closed " + pair.Caller.CloseReason + ")");
            Check.Equal(2000, pair.Callee.Session.ByteLimit, "the callee took the tagged limits");
            Check.True(pair.Caller.Session.EndReason == null, "still running: " + pair.Caller.Session.EndReason);
            pair.Close();
        }

        private static void RefusedExtensionEndsAtTheLimit()
        {
            World world = new World();
            Pair pair = new Pair(world, "S-EXT-2", 0, 1000, Secret(16, 1), Secret(32, 40), Secret(32, 50));
            Check.True(pair.Caller != null && pair.Callee != null, "connected");
            FixedHolder holder = new FixedHolder();
            holder.Certificate = world.Certificate(world.Clock.UtcNowSeconds + 3600);
            SessionExtender extender = new SessionExtender(new SessionClient(world.Api(), holder, world.Log), world.Log);
            world.Http.Expect("POST", World.RegistryUrl + Routes.Sessions + "S-EXT-2" + Routes.SessionExtensionSuffix, 403, World.Problem(403, ErrorCodes.ExtensionRefused));
            byte[] data = World.Pattern(1600, 3);
            byte[] into = new byte[2048];

            Carry(pair.Caller, pair.Callee, data, 750, into);
            extender.CheckUnfinished(pair.Caller);
            world.Http.Verify();
            int sent = pair.Caller.Send(data, 0, 850);

            Check.Equal(250, sent, "up to the limit");
            Check.Equal(1000, pair.Caller.Session.ByteLimit, "unchanged");
            Check.Equal(SessionEndReasons.ExtensionRefused, pair.Caller.Session.EndReason, "ends as refused");
            pair.Close();
        }
    }
}
