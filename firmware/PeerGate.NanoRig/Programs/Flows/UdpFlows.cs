using System;
using System.Collections;
using System.Threading;
using PeerGate.Device.Platform;
using PeerGate.Device.Rendezvous;
using PeerGate.Device.Triggers;
using PeerGate.Protocol;
using PeerGate.Protocol.Rendezvous;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>
    /// UDP registration and the wake (F27, F38) over an in-memory socket, as UdpRegistrationTests and UdpWakeTests
    /// drive them on .NET: a registration written and its ack taken; a forged, foreign or stale wake ignored; a
    /// verified wake making the poller's next request a short fetch.
    /// </summary>
    public static class UdpFlows
    {
        public const string Terminal = World.TerminalId;

        public static void Register(Runner runner)
        {
            runner.Add("a UDP registration is written under the certificate's key and its ack teaches the mapping", RegistrationAndAck);
            runner.Add("a forged, foreign or stale wake changes nothing", BadWakesAreIgnored);
            runner.Add("a verified wake makes the poller's next request a short fetch", VerifiedWakeFetches);
            runner.Add("three registrations without an ack fall back to the long-poll, and an ack returns to UDP", UnackedFallsBack);
        }

        public static byte[] Key()
        {
            return World.Pattern(32, 0x40);
        }

        private static FixedHolder Holder(World world, byte[] key)
        {
            FixedHolder holder = new FixedHolder();
            holder.Certificate = world.Certificate(world.Clock.UtcNowSeconds + 3600);
            holder.Certificate.UdpKey = Convert.ToBase64String(key);
            return holder;
        }

        private static byte[] Wake(string terminalId, string serial, long seq, byte[] key, World world)
        {
            byte[] buffer = new byte[RendezvousDatagram.MaxLength];
            int length = RendezvousDatagram.WriteWake(buffer, terminalId, serial, seq, key, world.Crypto, new byte[RendezvousDatagram.WorkLength]);
            byte[] wake = new byte[length];
            Array.Copy(buffer, wake, length);
            return wake;
        }

        private static void RegistrationAndAck()
        {
            World world = new World();
            byte[] key = Key();
            MemoryDatagramSocket socket = new MemoryDatagramSocket(world);
            socket.AckKey = key;
            UdpRegistration registration = new UdpRegistration(socket, Holder(world, key), world.Crypto, world.Clock, world.Log, "127.0.0.1", 5081);

            Check.True(registration.RegisterOnce(UdpRegistration.ParseIPv4("192.168.1.20"), 7400), "registered");
            Check.Equal("203.0.113.9", registration.ObservedIp, "the observed address");
            Check.Equal(40123, registration.ObservedPort, "the observed port");
            Check.Equal(25, registration.ServerIntervalSeconds, "the server's interval");
            Check.True(world.Log.Has("udp-mapping"), "the mapping logged");
            Check.Equal("127.0.0.1:5081", socket.Destination, "sent to the server");

            RendezvousDatagram reader = new RendezvousDatagram();
            byte[] sent = (byte[])socket.Sent[0];
            Check.True(reader.Read(sent, sent.Length), "the registration reads");
            Check.True(reader.Verify(key, world.Crypto, new byte[RendezvousDatagram.WorkLength]), "the registration verifies under the key");
            Check.Equal(RendezvousDatagram.TypeRegister, reader.Type, "a registration");
            Check.Equal(Terminal, reader.TerminalId(), "the terminal");
            Check.Equal(1, reader.Counter, "the first counter");

            Check.True(registration.RegisterOnce(null, 0), "registered again");
            Check.Equal(2, registration.Counter, "the counter rises");
        }

        private static void UnackedFallsBack()
        {
            World world = new World();
            byte[] key = Key();
            MemoryDatagramSocket socket = new MemoryDatagramSocket(world);
            socket.AckKey = key;
            UdpRegistration registration = new UdpRegistration(socket, Holder(world, key), world.Crypto, world.Clock, world.Log, "127.0.0.1", 5081);
            registration.ProbePort = 0;
            Check.True(!registration.Works, "not before the first ack");
            Check.Equal(TriggerChannels.LongPoll, registration.TriggerChannel, "the long-poll first");

            Check.True(registration.RegisterOnce(null, 0), "acked");
            Check.True(registration.Works, "working");
            Check.Equal(TriggerChannels.Udp, registration.TriggerChannel, "UDP once acked");

            // The server no longer answers (UDP blocked on the way).
            socket.AckKey = null;
            for (int i = 1; i < UdpRegistration.MaxMissedAcks; i++)
            {
                long before = world.Clock.UptimeMillis;
                Check.True(!registration.RegisterOnce(null, 0), "no ack " + i.ToString());
                Check.True(world.Clock.UptimeMillis - before >= UdpRegistration.AckTimeoutMillis, "waited for the ack");
                Check.True(registration.Works, i.ToString() + " missed ack(s) are not yet a blocked UDP");
            }

            Check.True(!registration.RegisterOnce(null, 0), "the third without an ack");
            Check.True(!registration.Works, "no longer working");
            Check.Equal(UdpRegistration.MaxMissedAcks, registration.MissedAcks, "missed acks");
            Check.Equal(TriggerChannels.LongPoll, registration.TriggerChannel, "back on the long-poll");
            Check.True(world.Log.Has("udp-fallback"), "the fallback logged");

            socket.AckKey = key;
            Check.True(registration.RegisterOnce(null, 0), "acked again");
            Check.True(registration.Works, "working again");
            Check.Equal(TriggerChannels.Udp, registration.TriggerChannel, "UDP again");
        }

        private static void BadWakesAreIgnored()
        {
            World world = new World();
            byte[] key = Key();
            MemoryDatagramSocket socket = new MemoryDatagramSocket(world);
            FixedHolder holder = Holder(world, key);
            TriggerPoller poller = TriggerFlows.Poller(world, holder, new RecordingHandler());
            UdpRegistration registration = new UdpRegistration(socket, holder, world.Crypto, world.Clock, world.Log, "127.0.0.1", 5081);
            registration.WakeTarget = poller;

            // Trigger 1 handled: a wake naming it is stale.
            world.Http.Expect("GET", TriggerFlows.PollPrefix + "0", 200, TriggerFlows.Batch(1, 1));
            poller.Next();
            world.Http.Verify();

            socket.Inbox.Add(Wake(Terminal, "1", 5, World.Pattern(32, 0x41), world));
            socket.Inbox.Add(Wake("T-0002", "1", 5, key, world));
            socket.Inbox.Add(Wake(Terminal, "9", 5, key, world));
            socket.Inbox.Add(Wake(Terminal, "1", 1, key, world));
            Check.True(!registration.Listen(500, new ManualResetEvent(false)), "listened to the end");

            Check.Equal(0, socket.Inbox.Count, "every datagram read");
            Check.Equal(0, registration.Wakes, "no wake counted");
            Check.True(!poller.FetchDue, "no fetch due");
            world.Http.Verify();
        }

        private static void VerifiedWakeFetches()
        {
            World world = new World();
            byte[] key = Key();
            MemoryDatagramSocket socket = new MemoryDatagramSocket(world);
            FixedHolder holder = Holder(world, key);
            RecordingHandler handler = new RecordingHandler();
            TriggerPoller poller = TriggerFlows.Poller(world, holder, handler);
            UdpRegistration registration = new UdpRegistration(socket, holder, world.Crypto, world.Clock, world.Log, "127.0.0.1", 5081);
            registration.WakeTarget = poller;

            socket.Inbox.Add(Wake(Terminal, "1", 1, key, world));
            Check.True(!registration.Listen(500, new ManualResetEvent(false)), "listened to the end");
            Check.Equal(1, registration.Wakes, "the wake counted");
            Check.True(poller.FetchDue, "a fetch is due");
            Check.True(world.Log.Has("udp-wake"), "the wake logged");

            world.Http.Expect("GET", World.RegistryUrl + Routes.Triggers + "?wait=1&after=0", 200, TriggerFlows.Batch(1, 1));
            poller.Next();
            world.Http.Verify();
            Check.Equal(1, handler.Count, "the trigger handled");
            Check.True(!poller.FetchDue, "fetched");
        }
    }

    /// <summary>A UDP socket in memory: datagrams sent are kept (a registration answered with an ack under AckKey), the inbox is read in order; an empty read waits its whole timeout on the fake clock.</summary>
    public sealed class MemoryDatagramSocket : IDatagramSocket
    {
        private readonly World _world;

        public MemoryDatagramSocket(World world)
        {
            _world = world;
            Sent = new ArrayList();
            Inbox = new ArrayList();
        }

        public ArrayList Sent { get; }

        public ArrayList Inbox { get; }

        public byte[] AckKey { get; set; }

        public string Destination { get; private set; }

        public int LocalPort
        {
            get { return 40000; }
        }

        public bool SendTo(byte[] buffer, int offset, int count, string ip, int port)
        {
            byte[] sent = new byte[count];
            Array.Copy(buffer, offset, sent, 0, count);
            Sent.Add(sent);
            Destination = ip + ":" + port.ToString();
            RendezvousDatagram reader = new RendezvousDatagram();
            if (AckKey != null && reader.Read(sent, count) && reader.Type == RendezvousDatagram.TypeRegister)
            {
                byte[] ack = new byte[RendezvousDatagram.MaxLength];
                int length = RendezvousDatagram.WriteAck(ack, reader.TerminalId(), reader.Serial(), reader.Counter, new byte[] { 203, 0, 113, 9 }, 40123, 25, AckKey, _world.Crypto, new byte[RendezvousDatagram.WorkLength]);
                byte[] answer = new byte[length];
                Array.Copy(ack, answer, length);
                Inbox.Add(answer);
            }

            return true;
        }

        public int Receive(byte[] buffer, int offset, int count, int timeoutMillis)
        {
            if (Inbox.Count == 0)
            {
                _world.Clock.Advance(timeoutMillis);
                return -1;
            }

            byte[] next = (byte[])Inbox[0];
            Inbox.RemoveAt(0);
            if (next.Length > count)
            {
                return -1;
            }

            Array.Copy(next, 0, buffer, offset, next.Length);
            return next.Length;
        }

        public void Close()
        {
        }
    }
}
