using System.Net;
using System.Net.Sockets;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Rendezvous;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Rendezvous;

/// <summary>A device's side of the UDP rendezvous for tests: a loopback socket and its datagrams.</summary>
internal static class UdpTestDevice
{
    public static readonly HostPeerCrypto Crypto = new();

    public static UdpClient Bound() => new(new IPEndPoint(IPAddress.Loopback, 0));

    public static byte[] Register(CertificateResponse certificate, long counter) =>
        Register(certificate.TerminalId, certificate.Serial, counter, Convert.FromBase64String(certificate.UdpKey));

    public static byte[] Register(string terminalId, string serial, long counter, byte[] key)
    {
        var buffer = new byte[RendezvousDatagram.MaxLength];
        var length = RendezvousDatagram.WriteRegister(buffer, terminalId, serial, counter, [192, 168, 1, 20], 7400, key, Crypto, new byte[RendezvousDatagram.WorkLength]);
        return buffer[..length];
    }

    /// <summary>Sends a registration and returns the server's answer, or null when none came within 10 s.</summary>
    public static async Task<byte[]?> RegisterAsync(TestServer server, UdpClient device, CertificateResponse certificate, long counter)
    {
        await device.SendAsync(Register(certificate, counter), new IPEndPoint(IPAddress.Loopback, server.UdpPort));
        return await ReceiveAsync(device, TimeSpan.FromSeconds(10));
    }

    /// <summary>The next datagram the device's socket receives, or null when none came <paramref name="within"/>.</summary>
    public static async Task<byte[]?> ReceiveAsync(UdpClient device, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            return (await device.ReceiveAsync(timeout.Token)).Buffer;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
