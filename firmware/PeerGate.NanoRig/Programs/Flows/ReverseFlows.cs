using System;
using PeerGate.Device.Connections;
using PeerGate.Device.Load;
using PeerGate.Device.Peer;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>
    /// Reverse connect (F30) as ConnectionClientTests and the reverse tests drive it on .NET: the reverse preamble's
    /// tag under the session key, read back from the wire and verified by the caller's ReverseBook; and the callee's
    /// connection password refusing a wrong one before anything is booked or dialled.
    /// </summary>
    public static class ReverseFlows
    {
        public static void Register(Runner runner)
        {
            runner.Add("a reverse preamble with its session key's tag reaches the waiting dial, a forged tag is refused", ReversePreambleByTag);
            runner.Add("a wrong connection password refuses a reverse offer before any dial", WrongConnectionPassword);
        }

        private static void ReversePreambleByTag()
        {
            FlowClock clock = new FlowClock();
            FlowPeerCrypto crypto = new FlowPeerCrypto(5);
            byte[] key = PeerFlows.Secret(32, 2);
            RecordingLog log = new RecordingLog();
            ReverseBook book = new ReverseBook(crypto, clock, log);

            // The callee's side: the preamble it writes, read back as the caller's listener reads it.
            byte[] wire = new byte[ReversePreamble.MaxLength];
            int length = ReversePreamble.Write("S-REV", ReversePreamble.Tag(crypto, key, "S-REV"), wire, 0);
            Check.True(ReversePreamble.IsReverse(wire, 0), "the reverse magic");
            Check.Equal(length - ReversePreamble.HeaderLength, ReversePreamble.RemainingLength(wire, 0), "the length byte");
            byte[] tag = new byte[ReversePreamble.TagLength];
            Check.Equal("S-REV", ReversePreamble.Read(wire, 0, length, tag), "the session read back");

            // A tag under another key: refused, and the dial keeps waiting for the real one.
            ReverseWait wait = book.Await("S-REV", key);
            byte[] forged = ReversePreamble.Tag(crypto, PeerFlows.Secret(32, 3), "S-REV");
            BytePipe a = new BytePipe();
            BytePipe b = new BytePipe();
            PipeConnection forger = new PipeConnection(a, b, "10.0.0.6");
            Check.True(!book.Hand("S-REV", forged, forger, null), "a forged tag is refused");
            Check.True(log.Contains("the tag does not verify"), "the refusal logged");

            PipeConnection callee = new PipeConnection(b, a, "10.0.0.2");
            Check.True(book.Hand("S-REV", tag, callee, null), "the verified connection is handed over");
            Check.True(wait.Take(1000) == callee, "the dial takes the verified connection");
            Check.Equal(0, book.Waiting, "the wait left the book");
            Check.True(!book.Hand("S-REV", tag, callee, null), "a second connection for the same session is refused");
        }

        private static void WrongConnectionPassword()
        {
            World world = new World();
            OfferBook offers = new OfferBook(world.Clock, 4);
            OfferBookSink sink = new OfferBookSink(offers, world.Log);
            sink.ConnectionPassword = "door-7";
            PeerServer server = new PeerServer(world.Peers, new PeerAcceptor(offers, world.Crypto, world.Clock, world.Log, PeerFlows.WaitMillis), new LoadMonitor(world.Load, world.Config), world.Log, 2);
            server.Application = new EchoApplication(world.Log);
            sink.Reverse = new ReverseConnector(world.Peers, world.Crypto, server, world.Log);

            Trigger offer = PeerFlows.Offer(world, "S-PW", 0, 0);
            offer.Path = ConnectionPaths.Reverse;
            offer.PeerObservedIp = "198.51.100.9";
            offer.PeerObservedPort = 7001;
            offer.DevicePassword = "door-8";
            sink.Offer(offer);

            Check.Equal(0, offers.Count, "nothing booked");
            Check.Equal(0, world.Peers.Connects, "no reverse dial");
            Check.True(world.Log.Has("connection-password-refused"), "the refusal logged");
            Check.True(!world.Log.Contains("door-"), "no password in the log");
        }
    }
}
