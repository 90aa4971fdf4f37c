using System;
using PeerGate.Device.Api;
using PeerGate.Device.Connections;
using PeerGate.Device.Load;
using PeerGate.Device.Peer;
using PeerGate.Device.Triggers;
using PeerGate.Protocol;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>The trigger channel, as TriggerPollerTests and TriggerDispatcherTests drive it on .NET.</summary>
    public static class TriggerFlows
    {
        public const string PollPrefix = World.RegistryUrl + Routes.Triggers + "?wait=35&after=";

        public static void Register(Runner runner)
        {
            runner.Add("triggers handled exactly once, the cursor persisted", TriggersAreHandledExactlyOnce);
            runner.Add("a poll failure backs off and keeps the cursor", PollFailureBacksOff);
            runner.Add("cursor_ahead starts the cursor over", CursorAheadStartsOver);
            runner.Add("a status query is answered with the load", StatusQueryIsAnswered);
            runner.Add("a session offer reaches the offer book, secrets out of the log", SessionOfferIsBooked);
        }

        public static TriggerPoller Poller(World world, FixedHolder holder, ITriggerHandler handler)
        {
            return new TriggerPoller(new ApiClient(world.Http, World.Json, 40000), holder, handler, world.Settings, world.Clock, world.Random, world.Log);
        }

        public static string Batch(long first, int count)
        {
            TriggerBatch batch = new TriggerBatch();
            batch.Triggers = new Trigger[count];
            for (int i = 0; i < count; i++)
            {
                Trigger trigger = new Trigger();
                trigger.Seq = first + i;
                trigger.Kind = "noop";
                trigger.CreatedAt = FlowClock.Epoch;
                batch.Triggers[i] = trigger;
            }

            return World.Json.Serialize(batch);
        }

        private static FixedHolder Holder(World world)
        {
            FixedHolder holder = new FixedHolder();
            holder.Certificate = world.Certificate(world.Clock.UtcNowSeconds + 3600);
            return holder;
        }

        private static void TriggersAreHandledExactlyOnce()
        {
            World world = new World();
            RecordingHandler handler = new RecordingHandler();
            FixedHolder holder = Holder(world);
            TriggerPoller poller = Poller(world, holder, handler);
            HttpStep first = world.Http.Expect("GET", PollPrefix + "0", 200, Batch(1, 2));

            // The server lost its acknowledgement and sends 2 again with 3.
            world.Http.Expect("GET", PollPrefix + "2", 200, Batch(2, 2));
            world.Http.Expect("GET", PollPrefix + "3", 200, Batch(1, 0));

            Check.Equal(0, poller.PollOnce(), "first poll");
            Check.Equal(0, poller.PollOnce(), "second poll");
            Check.Equal(0, poller.PollOnce(), "third poll");

            world.Http.Verify();
            Check.Equal(World.Token, first.SentBearer, "bearer");
            Check.Equal(3, handler.Count, "handled");
            Check.Equal(1, handler.At(0), "first");
            Check.Equal(2, handler.At(1), "second");
            Check.Equal(3, handler.At(2), "third, and 2 only once");
            Check.Equal(3, poller.Cursor, "cursor");

            // A restart reads the cursor back and asks for what follows it.
            TriggerPoller restarted = Poller(world, holder, handler);
            world.Http.Expect("GET", PollPrefix + "3", 200, Batch(3, 1));
            Check.Equal(0, restarted.PollOnce(), "after restart");
            world.Http.Verify();
            Check.Equal(3, handler.Count, "3 is not handled again after a restart");
        }

        private static void PollFailureBacksOff()
        {
            World world = new World();
            RecordingHandler handler = new RecordingHandler();
            TriggerPoller poller = Poller(world, Holder(world), handler);
            world.Http.Expect("GET", PollPrefix + "0", 200, Batch(1, 1));
            world.Http.ExpectFailure("GET", PollPrefix + "1");
            world.Http.Expect("GET", PollPrefix + "1", 503, World.Problem(503, "unavailable"));
            world.Http.Expect("GET", PollPrefix + "1", 200, Batch(2, 1));

            Check.Equal(0, poller.PollOnce(), "ok");
            int wait1 = poller.PollOnce();
            int wait2 = poller.PollOnce();
            Check.Equal(0, poller.PollOnce(), "ok again");

            world.Http.Verify();
            Check.True(wait1 > 0 && wait2 > 0, "a failure waits: " + wait1.ToString() + ", " + wait2.ToString());
            Check.Equal(2, handler.Count, "handled");
            Check.Equal(2, poller.Cursor, "cursor");
        }

        private static void CursorAheadStartsOver()
        {
            World world = new World();
            RecordingHandler handler = new RecordingHandler();
            world.Settings.Write(TriggerCursor.SettingName, "unused");
            TriggerPoller poller = Poller(world, Holder(world), handler);
            world.Http.Expect("GET", PollPrefix + "0", 200, Batch(1, 5));
            world.Http.Expect("GET", PollPrefix + "5", 409, World.Problem(409, ErrorCodes.CursorAhead));
            world.Http.Expect("GET", PollPrefix + "0", 200, Batch(1, 1));

            poller.PollOnce();
            poller.PollOnce();
            poller.PollOnce();

            world.Http.Verify();
            Check.Equal(6, handler.Count, "the new queue's first trigger is handled");
            Check.Equal(1, poller.Cursor, "cursor");
        }

        private static void StatusQueryIsAnswered()
        {
            World world = new World();
            FixedHolder holder = Holder(world);
            TriggerDispatcher dispatcher = new TriggerDispatcher(world.Api(), holder, new LoadMonitor(world.Load, world.Config), world.Log);
            HttpStep reply = world.Http.Expect("POST", World.RegistryUrl + Routes.TriggerReplies, 204, "");
            HttpStep busy = world.Http.Expect("POST", World.RegistryUrl + Routes.TriggerReplies, 204, "");
            Trigger query = new Trigger();
            query.Seq = 4;
            query.Kind = TriggerKinds.StatusQuery;

            dispatcher.Handle(query);
            world.Load.ForcedBusy = true;
            query.Seq = 5;
            dispatcher.Handle(query);

            world.Http.Verify();
            TriggerReply acceptable = (TriggerReply)World.Json.Deserialize(reply.SentBody, typeof(TriggerReply));
            Check.Equal(4, acceptable.Seq, "seq");
            Check.Equal(AcceptStatus.Acceptable, acceptable.Status, "acceptable");
            TriggerReply refused = (TriggerReply)World.Json.Deserialize(busy.SentBody, typeof(TriggerReply));
            Check.Equal(AcceptStatus.Busy, refused.Status, "busy");
            Check.Equal(BusyReasons.Forced, refused.Reason, "reason");
            Check.Equal(World.Token, reply.SentBearer, "bearer");
        }

        private static void SessionOfferIsBooked()
        {
            World world = new World();
            world.Log.Print = false;
            OfferBook book = new OfferBook(world.Clock, 4);
            TriggerDispatcher dispatcher = new TriggerDispatcher(world.Api(), Holder(world), new LoadMonitor(world.Load, world.Config), world.Log);
            dispatcher.Offers = new OfferBookSink(book, world.Log);
            Trigger offer = PeerFlows.Offer(world, "S-OFFER-1", 0, 0);

            dispatcher.Handle(offer);

            world.Http.Verify();
            Check.Equal(1, book.Count, "booked");
            Check.True(book.Find("S-OFFER-1") != null, "found");
            Check.True(world.Log.Has("trigger.session-offer"), "logged");
            Check.True(!world.Log.Contains(offer.Password) && !world.Log.Contains(offer.Key), "no secret in the log");
        }
    }
}
