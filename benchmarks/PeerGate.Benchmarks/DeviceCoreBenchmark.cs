using PeerGate.Protocol.Host;
using PeerGate.Protocol.Peer;
using PeerGate.Protocol.Rendezvous;

namespace PeerGate.Benchmarks;

/// <summary>
/// Bytes allocated per frame and per keepalive in the device core's shared protocol, and bytes on the wire.
/// Allocation is per call on this thread, after a warm-up; NaN and 0 mean not measured.
/// </summary>
/// <param name="BytesPerFrameSealed">Managed bytes allocated per Data frame sealed (<see cref="FrameCodec.Seal"/>).</param>
/// <param name="BytesPerFrameOpened">Per Data frame verified and opened (<see cref="FrameCodec.Open"/>).</param>
/// <param name="BytesPerKeepalive">Per UDP keepalive on the device: the registration written and sealed, its ack read and verified.</param>
/// <param name="PayloadBytes">Application bytes per frame.</param>
/// <param name="WireBytesPerFrame">Bytes of one sealed frame on the TCP stream.</param>
/// <param name="WireBytesPerKeepalive">Bytes of one keepalive on UDP, both ways: the registration and its ack.</param>
public sealed record DeviceCoreResult(double BytesPerFrameSealed, double BytesPerFrameOpened, double BytesPerKeepalive, int PayloadBytes, int WireBytesPerFrame, int WireBytesPerKeepalive);

/// <summary>
/// The device core's per-frame and per-keepalive work over the host's real crypto (<see cref="HostPeerCrypto"/>):
/// the frame codec both devices use (seal on one side, open on the other) and the rendezvous datagrams of a
/// keepalive, as <c>UdpRegistration</c> writes and reads them (the server's ack is written outside the count).
/// The device tests hold the same paths, through the peer channel and the registration, at 0 bytes.
/// </summary>
public static class DeviceCoreBenchmark
{
    /// <summary>The frame size the interpreter rig's heap flow uses too.</summary>
    public const int PayloadBytes = 512;

    private const int WarmUp = 100;
    private const string TerminalId = "T00A1B2C3D4E5F607";
    private const string Serial = "5D2F0C4A9B7E1836";

    public static DeviceCoreResult Run(int frames)
    {
        var rounds = Math.Max(1, frames);
        var crypto = new HostPeerCrypto();
        var sessionKey = new byte[FrameFormat.KeyLength];
        crypto.RandomBytes(sessionKey, 0, sessionKey.Length);
        var caller = new FrameCodec(crypto, sessionKey, isCaller: true);
        var callee = new FrameCodec(crypto, sessionKey, isCaller: false);
        var payload = new byte[PayloadBytes];
        crypto.RandomBytes(payload, 0, payload.Length);
        var frame = new byte[FrameFormat.MaxFrameLength];
        var opened = new byte[FrameFormat.MaxPayload];
        var wireFrame = 0;

        long sealedBytes = 0;
        long openedBytes = 0;
        for (var i = 0; i < WarmUp + rounds; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            wireFrame = caller.Seal(FrameTypes.Data, payload, 0, payload.Length, frame, 0);
            var between = GC.GetAllocatedBytesForCurrentThread();
            var length = callee.Open(frame, 0, wireFrame, out _, opened, 0);
            var after = GC.GetAllocatedBytesForCurrentThread();
            if (length != PayloadBytes)
            {
                throw new InvalidOperationException($"frame {i} opened to {length} bytes, not {PayloadBytes}");
            }

            if (i >= WarmUp)
            {
                sealedBytes += between - before;
                openedBytes += after - between;
            }
        }

        caller.Clear();
        callee.Clear();

        var (keepaliveBytes, wireKeepalive) = Keepalives(crypto, rounds);
        return new DeviceCoreResult(
            (double)sealedBytes / rounds, (double)openedBytes / rounds, keepaliveBytes, PayloadBytes, wireFrame, wireKeepalive);
    }

    /// <summary>Allocated bytes per keepalive and its bytes on the wire (registration plus ack).</summary>
    private static (double Bytes, int Wire) Keepalives(HostPeerCrypto crypto, int rounds)
    {
        var udpKey = new byte[RendezvousDatagram.UdpKeyLength];
        crypto.RandomBytes(udpKey, 0, udpKey.Length);
        byte[] localAddress = [192, 168, 1, 20];
        byte[] observedAddress = [203, 0, 113, 9];
        var send = new byte[RendezvousDatagram.MaxLength];
        var receive = new byte[RendezvousDatagram.MaxLength];
        var work = new byte[RendezvousDatagram.WorkLength];
        var serverWork = new byte[RendezvousDatagram.WorkLength];
        var reader = new RendezvousDatagram();
        var wire = 0;

        long allocated = 0;
        for (long counter = 1; counter <= WarmUp + rounds; counter++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var sent = RendezvousDatagram.WriteRegister(send, TerminalId, Serial, counter, localAddress, 7400, udpKey, crypto, work);
            var written = GC.GetAllocatedBytesForCurrentThread();

            // The server's answer, not the device's work: outside the count.
            var acked = RendezvousDatagram.WriteAck(receive, TerminalId, Serial, counter, observedAddress, 40123, 25, udpKey, crypto, serverWork);

            var reading = GC.GetAllocatedBytesForCurrentThread();
            var verified = reader.Read(receive, acked) && reader.Type == RendezvousDatagram.TypeAck && reader.Counter == counter
                && reader.TerminalIdIs(TerminalId) && reader.SerialIs(Serial) && reader.Verify(udpKey, crypto, work);
            var after = GC.GetAllocatedBytesForCurrentThread();
            if (!verified)
            {
                throw new InvalidOperationException($"the ack of keepalive {counter} did not verify");
            }

            wire = sent + acked;
            if (counter > WarmUp)
            {
                allocated += (written - before) + (after - reading);
            }
        }

        return ((double)allocated / rounds, wire);
    }
}
