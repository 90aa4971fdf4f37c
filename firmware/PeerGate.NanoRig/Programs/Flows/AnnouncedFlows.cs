using System;
using System.Threading;
using PeerGate.Device.Connections;
using PeerGate.Device.Load;
using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>
    /// Sessions the server announced (OfferBook.Expect, after a status query answered acceptable), as PeerServerTests
    /// and OfferBookTests drive them on .NET: an announced session waits for its offer, which may arrive within
    /// 10 s, and is served when it does; every other unknown session is refused at once; an announcement runs out
    /// and is dropped when its offer is refused. Expect on a fresh book compares its empty slots, which ended nanoCLR
    /// before they were made real nulls (docs/interpreter.md).
    /// </summary>
    public static class AnnouncedFlows
    {
        public static void Register(Runner runner)
        {
            runner.Add("an announced session waits for its offer; an unannounced one is refused at once", AnnouncedWaits);
            runner.Add("an announcement lasts 10 s, the book holds as many as it holds offers, a refused offer drops it", AnnouncementsRunOut);
            runner.Add("an announced session's offer arriving while its caller waits is served", OfferArrivesWhileWaiting);
        }

        private static void AnnouncedWaits()
        {
            FlowClock clock = new FlowClock();
            OfferBook offers = new OfferBook(clock, 4);
            offers.Expect("S-ANN");
            PeerAcceptor acceptor = new PeerAcceptor(offers, new FlowPeerCrypto(3), clock, new RecordingLog(), 10000);

            ServerFlows.ClockedConnection unannounced = new ServerFlows.ClockedConnection(clock, Preamble("S404"));
            Check.Equal(ErrorCodes.PeerRequestInvalid, Refusal(acceptor, unannounced), "an unannounced session");
            Check.Equal(0, clock.UptimeMillis, "refused at once");
            Check.True(unannounced.Closed, "closed");

            ServerFlows.ClockedConnection announced = new ServerFlows.ClockedConnection(clock, Preamble("S-ANN"));
            string code = Refusal(acceptor, announced);
            Check.True(clock.UptimeMillis >= PeerAcceptor.OfferWaitMillis, "waited for the offer: " + clock.UptimeMillis.ToString() + " ms");
            Check.True(clock.UptimeMillis < OfferBook.ExpectedMillis, "not past the offer wait: " + clock.UptimeMillis.ToString() + " ms");
            Check.True(code == ErrorCodes.PeerRequestInvalid || code == ErrorCodes.PeerTimeout, "no offer came: " + code);
            Check.True(announced.Closed, "closed");
        }

        private static void AnnouncementsRunOut()
        {
            FlowClock clock = new FlowClock();
            OfferBook offers = new OfferBook(clock, 2);
            Check.True(!offers.IsExpected("S1"), "a fresh book expects nothing");
            offers.Expect("S1");
            Check.True(offers.IsExpected("S1"), "S1 announced");
            Check.True(!offers.IsExpected("S2"), "S2 not announced");

            // Bounded by the book's capacity: the announcement that runs out first makes room.
            clock.Advance(1);
            offers.Expect("S2");
            offers.Expect("S3");
            Check.True(!offers.IsExpected("S1"), "S1 made room");
            Check.True(offers.IsExpected("S2") && offers.IsExpected("S3"), "S2 and S3 announced");

            // Announcing again renews in place.
            clock.Advance(OfferBook.ExpectedMillis);
            offers.Expect("S3");
            Check.True(!offers.IsExpected("S2"), "S2 ran out after 10 s");
            Check.True(offers.IsExpected("S3"), "S3 renewed");

            offers.Unexpect("S3");
            Check.True(!offers.IsExpected("S3"), "a refused offer drops its announcement");
            offers.Unexpect("S-never");
            offers.Expect("");
            offers.Expect(null);
            Check.True(!offers.IsExpected(""), "an empty session is never announced");
        }

        private static void OfferArrivesWhileWaiting()
        {
            World world = new World();
            world.Clock.FollowRealTime = true;
            OfferBook book = new OfferBook(world.Clock, 4);
            book.Expect("S-LATE");
            PeerAcceptor acceptor = new PeerAcceptor(book, world.Crypto, world.Clock, world.Log, PeerFlows.WaitMillis);
            PeerServer server = new PeerServer(world.Peers, acceptor, new LoadMonitor(world.Load, world.Config), world.Log, 2);
            server.Application = new EchoApplication(world.Log);
            PeerDialer dialer = new PeerDialer(world.Peers, world.Crypto, world.Clock, world.Log, PeerFlows.WaitMillis, PeerFlows.WaitMillis);
            LateOffer late = new LateOffer(book, new PeerOffer("S-LATE", PeerFlows.CallerId, PeerFlows.Secret(16, 1), PeerFlows.Secret(32, 2), world.Clock.UtcNowSeconds + 60, 0, 0));
            world.Clock.AfterSleep = late.AfterSleep;
            server.Start(7001);
            try
            {
                PeerChannel caller = dialer.Dial(PeerFlows.Grant(world, "S-LATE", 0, 0), PeerFlows.CallerId);
                Check.True(late.Booked, "the offer was booked after the caller connected");
                Check.Equal("S-LATE", caller.SessionId, "the caller's session");
                byte[] data = World.Pattern(200, 5);
                byte[] into = new byte[1024];
                Check.Equal(200, PeerFlows.Carry(caller, caller, data, 200, into), "echoed back");
                Check.Bytes(data, into, 200, "echoed bytes");
                caller.Close(CloseReasons.Finished);
            }
            finally
            {
                world.Clock.AfterSleep = null;
                server.Stop();
            }
        }

        private static byte[] Preamble(string sessionId)
        {
            byte[] preamble = new byte[PeerPreamble.MaxLength];
            int length = PeerPreamble.Write(sessionId, preamble, 0);
            byte[] sent = new byte[length];
            Array.Copy(preamble, sent, length);
            return sent;
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

        /// <summary>
        /// Books the offer once the acceptor has looked for it a few times (its waits are the only sleeps on the clock
        /// here), as the trigger carrying it follows the announcement while the caller is already connected.
        /// </summary>
        private sealed class LateOffer
        {
            private readonly OfferBook _book;
            private readonly PeerOffer _offer;

            public LateOffer(OfferBook book, PeerOffer offer)
            {
                _book = book;
                _offer = offer;
            }

            private int _looks;

            public bool Booked { get; private set; }

            public void AfterSleep()
            {
                _looks++;
                if (!Booked && _looks >= 3 && _book.IsExpected(_offer.SessionId))
                {
                    _book.Add(_offer);
                    Booked = true;
                }
            }
        }
    }
}
