using System.Net;
using PeerGate.Fuzz.Engine;
using PeerGate.Protocol.Rendezvous;

namespace PeerGate.Fuzz.Targets;

/// <summary>
/// The rendezvous endpoint's hello and probe hello (the server reads them from anyone who connects) and
/// its answers, the probe's among them (the device reads them from the endpoint): RendezvousHello.Read on any bytes.
/// </summary>
public sealed class RendezvousHelloTarget : FuzzTarget
{
    public override string Name => "rendezvous-hello";

    public override string Description => "RendezvousHello.Read on a hello or an answer of the rendezvous endpoint";

    public override int MaxInputLength => 128;

    public override IEnumerable<byte[]> Seeds() =>
        Vectors.Read("rendezvous-hello.json").GetProperty("messages").EnumerateArray().Select(message => Vectors.Hex(message, "hex")).ToArray();

    public override string Run(byte[] input)
    {
        var reader = new RendezvousHello();
        if (!reader.Read(input, input.Length))
        {
            return "refused";
        }

        // Whatever is accepted is one of the known forms, and writes back to exactly the same bytes.
        var written = new byte[RendezvousHello.MaxLength];
        int length;
        switch (reader.Type)
        {
            case RendezvousHello.TypeRelay:
            case RendezvousHello.TypePunch:
            case RendezvousHello.TypeProbe:
                Keys.Expect(input.Length == RendezvousHello.HelloLength, "a hello of another length");
                length = RendezvousHello.WriteHello(written, (byte)reader.Type, input[RendezvousHello.HeaderLength..]);
                break;
            case RendezvousHello.TypeRelayReady:
                length = RendezvousHello.WriteRelayReady(written);
                break;
            case RendezvousHello.TypeRelayNow:
                length = RendezvousHello.WriteRelayNow(written);
                break;
            case RendezvousHello.TypeProbeAt:
                Keys.Expect(reader.Port > 0 && reader.StartDelayMillis == 0, "a probe invitation without its port or with a delay");
                length = RendezvousHello.WriteProbeAt(written, reader.Port);
                break;
            case RendezvousHello.TypeProbeSeen:
                var seen = IPAddress.Parse(reader.AddressText());
                Keys.Expect(seen.GetAddressBytes().AsSpan().SequenceEqual(input.AsSpan(reader.AddressOffset, reader.AddressLength)), "the address text differs from its bytes");
                Keys.Expect(reader.StartDelayMillis == 0, "a probe answer with a delay");
                length = RendezvousHello.WriteProbeSeen(written, seen.GetAddressBytes(), reader.Port);
                break;
            case RendezvousHello.TypePunchPeer:
                var address = IPAddress.Parse(reader.AddressText());
                Keys.Expect(address.GetAddressBytes().AsSpan().SequenceEqual(input.AsSpan(reader.AddressOffset, reader.AddressLength)), "the address text differs from its bytes");
                length = RendezvousHello.WritePunchPeer(written, address.GetAddressBytes(), reader.Port, reader.StartDelayMillis);
                break;
            default:
                Keys.Expect(false, "an unknown type was accepted: " + reader.Type);
                return "bug";
        }

        Keys.Expect(written.AsSpan(0, length).SequenceEqual(input), "an accepted message does not write back to the same bytes");
        return "ok-" + reader.Type;
    }
}
