using PeerGate.Device.Peer;
using PeerGate.Device.Platform;
using PeerGate.Fuzz.Engine;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.Fuzz.Targets;

/// <summary>
/// A whole peer session on one side, over an in-memory connection whose incoming bytes a script
/// builds: raw bytes, frames sealed with the session's real keys (so mutations reach everything after
/// the tag), the valid handshake message, skipped sequence numbers, corrupted frames, silences.
/// The device side must end with a PeerException carrying a short ASCII code, deliver only bytes that
/// were sent as Data, in order, and write only frames that open under the session key.
/// </summary>
public abstract class PeerSessionTarget : FuzzTarget
{
    protected const string SessionId = "S5F2C9A";
    protected const string CallerId = "T11B2C3D4E5F60718";
    protected static readonly byte[] Password = Convert.FromHexString("000102030405060708090A0B0C0D0E0F");

    public override int MaxInputLength => 16 * 1024;

    public override int SmokeIterations => 600;

    public override long MaxAllocatedBytes => 8 * 1024 * 1024;

    /// <summary>True for the callee's side: the script is what a caller sends.</summary>
    protected abstract bool DeviceIsCallee { get; }

    public override IEnumerable<byte[]> Seeds() =>
    [
        [0, 1, 2, 3, 3, 0, 5, .. "hello"u8, 4, .. new byte[16], 5, 8, .. "finished"u8],
        [1, 1, 2, 3, 3, 0, 200, .. new byte[200], 9, 3, 3, 0, 1, 7],
        [2, 1, 2, 4, 0, 0, 0, 0, 0x6B, 0x49, 0xD5, 0x84, 0, 0, 0, 0, 0x01, 0xC9, 0xC3, 0x80, 6, 3, 3, 0, 2, 0x41, 0x42],
        [0, 1, 3, 1, 0, 0],
        [0, 0, 11, .. "PG\u0001\u0007S5F2C9A"u8, 2, 7, 3, 9, 9],
    ];

    public override string Run(byte[] input)
    {
        var script = Script.Build(input, DeviceIsCallee);
        var connection = new ScriptedConnection(script.Incoming, script.Silences, script.Clock);
        var delivered = new List<byte>();
        string outcome;
        try
        {
            var channel = Open(connection, script);
            var buffer = new byte[FrameFormat.MaxPayload];
            outcome = "closed";
            for (var i = 0; i < 256; i++)
            {
                var n = channel.Receive(buffer, 0, 1 + (i * 997 % buffer.Length), 1000);
                if (n == 0)
                {
                    Keys.Expect(channel.IsClosed && FrameBytes.IsShortAscii(channel.CloseReason, CloseReasons.MaxLength), "ended without a closed channel and a reason");
                    outcome = "closed:" + (Keys.ErrorCodeSet.Contains(channel.CloseReason) ? channel.CloseReason : "peer-reason");
                    break;
                }

                if (n > 0)
                {
                    delivered.AddRange(buffer.AsSpan(0, n).ToArray());
                }
                else
                {
                    script.Clock.Advance(1000);
                }
            }
        }
        catch (PeerException e)
        {
            Keys.Expect(FrameBytes.IsShortAscii(e.Code, CloseReasons.MaxLength), "a refusal code that is not short ASCII");
            outcome = "refused:" + (Keys.ErrorCodeSet.Contains(e.Code) || e.Code == CloseReasons.ConnectionLost ? e.Code : "peer-reason");
        }

        Keys.Expect(delivered.Count <= script.Data.Count && delivered.SequenceEqual(script.Data.Take(delivered.Count)), "delivered bytes that were not sent as Data, in order");
        CheckWritten(connection.Written.ToArray(), DeviceIsCallee);
        return outcome + (delivered.Count > 0 ? "+data" : string.Empty);
    }

    protected abstract PeerChannel Open(IPeerConnection connection, Script script);

    /// <summary>Everything the device wrote opens as frames under the key (after the caller's preamble).</summary>
    protected static void CheckWritten(byte[] written, bool deviceIsCallee)
    {
        var offset = 0;
        if (!deviceIsCallee && written.Length > 0)
        {
            offset = PeerPreamble.HeaderLength + PeerPreamble.SessionIdLength(written, 0);
            Keys.Expect(PeerPreamble.Read(written, 0, offset) == SessionId, "the caller wrote another session's preamble");
        }

        var reader = new FrameCodec(Keys.Crypto, Keys.SessionKey, deviceIsCallee);
        var payload = new byte[FrameFormat.MaxPayload];
        while (offset < written.Length)
        {
            var length = FrameFormat.HeaderLength + reader.BodyLength(written, offset);
            var length2 = reader.Open(written, offset, length, out var type, payload, 0);
            Keys.Expect(type != FrameTypes.Close || FrameBytes.IsShortAscii(System.Text.Encoding.ASCII.GetString(payload, 0, length2), CloseReasons.MaxLength), "the device closed with a reason that is not short ASCII");
            offset += length;
        }
    }

    /// <summary>
    /// The incoming bytes a script builds, and the payloads of every Data frame sealed for the device, in
    /// order: frames open only in sequence and only under the key, so whatever the device delivers is a
    /// prefix of these (raw bytes cannot carry a valid tag; a corrupted frame's payload is not among them).
    /// </summary>
    protected sealed class Script
    {
        public List<byte> Incoming { get; } = [];

        public HashSet<int> Silences { get; } = [];

        public List<byte> Data { get; } = [];

        public FakeClock Clock { get; } = new();

        public long ByteLimit { get; private set; }

        public long EndsAt { get; private set; }

        public static Script Build(byte[] input, bool deviceIsCallee)
        {
            var script = new Script();
            var flags = input.Length > 0 ? input[0] : 0;
            script.ByteLimit = (flags & 1) != 0 ? 100 : 0;
            script.EndsAt = (flags & 2) != 0 ? script.Clock.UtcNowSeconds + 2 : 0;

            // The peer's codec: it seals what the device is to receive.
            var codec = new FrameCodec(Keys.Crypto, Keys.SessionKey, deviceIsCallee);
            var frame = new byte[FrameFormat.MaxFrameLength];
            var i = 1;
            while (i < input.Length)
            {
                var op = input[i++];
                switch (op % 10)
                {
                    case 0:
                        {
                            var n = Math.Min(Take(input, ref i), input.Length - i);
                            script.Incoming.AddRange(input.AsSpan(i, n).ToArray());
                            i += n;
                            break;
                        }

                    case 1:
                        {
                            var preamble = new byte[PeerPreamble.MaxLength];
                            script.Incoming.AddRange(preamble.AsSpan(0, PeerPreamble.Write(SessionId, preamble, 0)).ToArray());
                            break;
                        }

                    case 2:
                        {
                            byte[] payload;
                            if (deviceIsCallee)
                            {
                                payload = new byte[PeerRequest.MaxLength];
                                payload = payload.AsSpan(0, new PeerRequest(CallerId, Password, SessionId).Write(payload, 0)).ToArray();
                            }
                            else
                            {
                                payload = AcceptProof.Compute(Keys.Crypto, Password, SessionId);
                            }

                            Seal(script, codec, frame, deviceIsCallee ? FrameTypes.Request : FrameTypes.Accept, payload);
                            break;
                        }

                    case 3:
                        {
                            var type = Take(input, ref i) % 6;
                            var n = Math.Min(((Take(input, ref i) << 8) | Take(input, ref i)) % (FrameFormat.MaxPayload + 1), input.Length - i);
                            var payload = input.AsSpan(i, n).ToArray();
                            i += n;
                            if (!FrameTypes.IsKnown(type))
                            {
                                type = FrameTypes.Data;
                            }

                            Seal(script, codec, frame, type, payload);
                            if (type == FrameTypes.Data)
                            {
                                script.Data.AddRange(payload);
                            }

                            break;
                        }

                    case 4:
                        {
                            var payload = new byte[LimitsPayload.Length];
                            var n = Math.Min(payload.Length, input.Length - i);
                            input.AsSpan(i, n).CopyTo(payload);
                            i += n;
                            Seal(script, codec, frame, FrameTypes.Limits, payload);
                            break;
                        }

                    case 5:
                        {
                            var n = Math.Min(Take(input, ref i), input.Length - i);
                            Seal(script, codec, frame, FrameTypes.Close, input.AsSpan(i, n).ToArray());
                            i += n;
                            break;
                        }

                    case 6:
                        // A frame sealed and lost: every later one is out of order.
                        codec.Seal(FrameTypes.Data, frame, 0, 0, new byte[FrameFormat.MaxFrameLength], 0);
                        break;
                    case 7:
                        {
                            var at = Take(input, ref i);
                            var length = codec.Seal(FrameTypes.Data, [1, 2, 3], 0, 3, frame, 0);
                            frame[at % length] ^= (byte)(1 << (at % 8));
                            script.Incoming.AddRange(frame.AsSpan(0, length).ToArray());
                            break;
                        }

                    case 8:
                        i = input.Length;
                        break;
                    default:
                        // Silence: the next read times out once (the clock moves on).
                        script.Silences.Add(script.Incoming.Count);
                        break;
                }
            }

            return script;
        }

        private static int Take(byte[] input, ref int i) => i < input.Length ? input[i++] : 0;

        private static void Seal(Script script, FrameCodec codec, byte[] frame, int type, byte[] payload)
        {
            var length = codec.Seal(type, payload, 0, payload.Length, frame, 0);
            script.Incoming.AddRange(frame.AsSpan(0, length).ToArray());
        }
    }

    /// <summary>Serves the script's bytes in reads of varying size; a silence reads as one timeout; the end as the peer's close.</summary>
    protected sealed class ScriptedConnection(List<byte> incoming, HashSet<int> silences, FakeClock clock, string remoteIp = "10.0.0.1") : IPeerConnection
    {
        private int _position;
        private int _reads;
        private volatile bool _closed;

        public List<byte> Written { get; } = [];

        public bool IsClosed => _closed;

        public string RemoteIp => remoteIp;

        public int Read(byte[] buffer, int offset, int count, int timeoutMillis)
        {
            if (_closed || _position >= incoming.Count)
            {
                return 0;
            }

            if (silences.Remove(_position))
            {
                clock.Advance(timeoutMillis);
                return -1;
            }

            var n = Math.Min(Math.Min(count, incoming.Count - _position), 1 + (_reads++ * 31 % 700));
            incoming.CopyTo(_position, buffer, offset, n);
            _position += n;
            return n;
        }

        public bool Write(byte[] buffer, int offset, int count)
        {
            if (_closed)
            {
                return false;
            }

            Written.AddRange(buffer.AsSpan(offset, count).ToArray());
            return true;
        }

        public void Close() => _closed = true;
    }
}

/// <summary>The callee: PeerAcceptor.Accept, then the session, against whatever a caller sends.</summary>
public sealed class PeerCalleeTarget : PeerSessionTarget
{
    public override string Name => "peer-callee";

    public override string Description => "PeerAcceptor.Accept and PeerChannel.Receive over an in-memory connection fed by a script";

    protected override bool DeviceIsCallee => true;

    protected override PeerChannel Open(IPeerConnection connection, Script script)
    {
        var offers = new OfferBook(script.Clock, 4);
        offers.Add(new PeerOffer(SessionId, CallerId, (byte[])Password.Clone(), (byte[])Keys.SessionKey.Clone(), script.Clock.UtcNowSeconds + 60, script.EndsAt, script.ByteLimit));
        return new PeerAcceptor(offers, Keys.Crypto, script.Clock, new NullLog(), 5000).Accept(connection);
    }
}

/// <summary>The caller: PeerDialer.Dial, then the session, against whatever the callee answers.</summary>
public sealed class PeerCallerTarget : PeerSessionTarget
{
    public override string Name => "peer-caller";

    public override string Description => "PeerDialer.Dial and PeerChannel.Receive over an in-memory connection fed by a script";

    protected override bool DeviceIsCallee => false;

    protected override PeerChannel Open(IPeerConnection connection, Script script)
    {
        var grant = new ConnectionGrant
        {
            SessionId = SessionId,
            CalleeTerminalId = "T-CALLEE",
            CalleeLocalIp = "192.168.1.50",
            CalleeLocalPort = 7001,
            Password = Convert.ToBase64String(Password),
            Key = Convert.ToBase64String(Keys.SessionKey),
            ExpiresAt = script.Clock.UtcNowSeconds + 60,
            SessionEndsAt = script.EndsAt,
            SessionByteLimit = script.ByteLimit,
        };
        return new PeerDialer(new OneConnection(connection), Keys.Crypto, script.Clock, new NullLog(), 5000, 5000).Dial(grant, CallerId);
    }

    private sealed class OneConnection(IPeerConnection connection) : IPeerNetwork
    {
        private IPeerConnection? _connection = connection;

        public IPeerConnection Connect(string ip, int port, int timeoutMillis)
        {
            var next = _connection;
            _connection = null;
            return next!;
        }

        public IPeerListener Listen(int port) => throw new NotSupportedException();
    }
}

/// <summary>
/// The callee's listener: PeerServer with the echo application, fed up to three connections at once
/// (scripts split by 0xFE; the flags pick the remote address), so admission and eviction run too.
/// Every connection must be closed within the time bound, every slot given back, every written frame valid.
/// </summary>
public sealed class PeerServerTarget : PeerSessionTarget
{
    public override string Name => "peer-server";

    public override string Description => "PeerServer + EchoApplication over up to three scripted connections at once";

    public override bool CountsAllocation => false;

    public override TimeSpan MaxDuration => TimeSpan.FromSeconds(10);

    public override int SmokeIterations => 40;

    protected override bool DeviceIsCallee => true;

    public override IEnumerable<byte[]> Seeds() =>
        base.Seeds().Concat([[.. base.Seeds().First(), 0xFE, 4, 1, 2, 3, 3, 0, 2, .. "hi"u8, 0xFE, 0, 9, 9, 1]]);

    public override string Run(byte[] input)
    {
        var clock = new FakeClock();
        var offers = new OfferBook(clock, 4);
        offers.Add(new PeerOffer(SessionId, CallerId, (byte[])Password.Clone(), (byte[])Keys.SessionKey.Clone(), clock.UtcNowSeconds + 60));
        var log = new NullLog();
        var acceptor = new PeerAcceptor(offers, Keys.Crypto, clock, log, 5000);
        var network = new QueuedNetwork();
        var server = new PeerGate.Device.Connections.PeerServer(network, acceptor, new PeerGate.Device.Load.LoadMonitor(new IdleLoad(), new PeerGate.Device.DeviceConfig()), log, 2)
        {
            Application = new PeerGate.Device.Connections.EchoApplication(log),
        };

        var connections = new List<ScriptedConnection>();
        foreach (var part in Split(input).Take(3))
        {
            var script = Script.Build(part, true);
            var flags = part.Length > 0 ? part[0] : 0;
            connections.Add(new ScriptedConnection(script.Incoming, script.Silences, clock, "10.0.0." + (1 + ((flags >> 2) & 1))));
        }

        server.Start(7001);
        try
        {
            foreach (var connection in connections)
            {
                network.Deliver(connection);
            }

            Keys.Expect(SpinWait.SpinUntil(() => network.Pending == 0 && connections.All(c => c.IsClosed), TimeSpan.FromSeconds(5)), "a connection was never closed");
            Keys.Expect(SpinWait.SpinUntil(() => server.Admitted == 0, TimeSpan.FromSeconds(5)), "a slot was never given back");
        }
        finally
        {
            server.Stop();
        }

        foreach (var connection in connections)
        {
            CheckWritten([.. connection.Written], true);
        }

        return "served:" + connections.Count(c => c.Written.Count > 0);
    }

    protected override PeerChannel Open(IPeerConnection connection, Script script) => throw new NotSupportedException("the server opens its own channels");

    private static IEnumerable<byte[]> Split(byte[] input)
    {
        var start = 0;
        for (var i = 0; i <= input.Length; i++)
        {
            if (i == input.Length || input[i] == 0xFE)
            {
                yield return input[start..i];
                start = i + 1;
            }
        }
    }

    private sealed class IdleLoad : PeerGate.Device.Platform.ILoadSource
    {
        public int CpuLoadPercent => 0;

        public int FreeHeapBytes => 1 << 20;

        public int LargestFreeBlockBytes => 1 << 20;

        public bool ForcedBusy => false;
    }

    private sealed class QueuedNetwork : IPeerNetwork, IPeerListener
    {
        private readonly System.Collections.Concurrent.BlockingCollection<IPeerConnection> _incoming = [];

        public int Port => 7001;

        public int Pending => _incoming.Count;

        public void Deliver(IPeerConnection connection) => _incoming.Add(connection);

        public IPeerConnection Connect(string ip, int port, int timeoutMillis) => null!;

        public IPeerListener Listen(int port) => this;

        public IPeerConnection Accept(int timeoutMillis) => _incoming.TryTake(out var connection, Math.Min(timeoutMillis, 2)) ? connection : null!;

        public void Close()
        {
        }
    }
}
