using System.Net;
using System.Net.Sockets;
using PeerGate.Device.Platform;

namespace PeerGate.VirtualDevice.Adapters;

/// <summary>A UDP socket on .NET, bound to one local address (127.0.0.1 unless told otherwise) and a free port.</summary>
public sealed class HostDatagramSocket : IDatagramSocket, IDisposable
{
    private readonly Socket _socket;

    public HostDatagramSocket(IPAddress localAddress)
    {
        _socket = new Socket(localAddress.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(localAddress, 0));
        LocalPort = ((IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    public int LocalPort { get; }

    public bool SendTo(byte[] buffer, int offset, int count, string ip, int port)
    {
        if (!IPAddress.TryParse(ip, out var address) || port is <= 0 or > IPEndPoint.MaxPort)
        {
            return false;
        }

        try
        {
            return _socket.SendTo(buffer, offset, count, SocketFlags.None, new IPEndPoint(address, port)) == count;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public int Receive(byte[] buffer, int offset, int count, int timeoutMillis)
    {
        try
        {
            if (!_socket.Poll(TimeSpan.FromMilliseconds(Math.Max(0, timeoutMillis)), SelectMode.SelectRead))
            {
                return -1;
            }

            return _socket.Receive(buffer, offset, count, SocketFlags.None);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Too long for the buffer, an ICMP unreachable from an earlier send, or closed.
            return -1;
        }
    }

    public void Close() => _socket.Dispose();

    public void Dispose() => Close();
}
