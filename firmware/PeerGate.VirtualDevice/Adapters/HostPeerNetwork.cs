using System.Net;
using System.Net.Sockets;
using PeerGate.Device.Platform;

namespace PeerGate.VirtualDevice.Adapters;

/// <summary>
/// Direct TCP between virtual devices: a listener on the given address (127.0.0.1 unless told
/// otherwise, so a virtual device is not reachable from the network by accident) and connections
/// whose every read waits at most its timeout.
/// </summary>
public sealed class HostPeerNetwork(IPAddress listenAddress) : IPeerNetwork
{
    /// <summary>The listener's address when neither ListenAddress nor --listen-address names one.</summary>
    public static readonly IPAddress DefaultListenAddress = IPAddress.Loopback;

    public HostPeerNetwork()
        : this(DefaultListenAddress)
    {
    }

    /// <summary>The address the listener binds.</summary>
    public IPAddress ListenAddress => listenAddress;

    public IPeerConnection? Connect(string ip, int port, int timeoutMillis)
    {
        if (!IPAddress.TryParse(ip, out var address) || port is <= 0 or > IPEndPoint.MaxPort)
        {
            return null;
        }

        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(timeoutMillis);
            socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token).AsTask().GetAwaiter().GetResult();
            return new Connection(socket);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            return null;
        }
    }

    public IPeerListener Listen(int port)
    {
        var listener = new TcpListener(listenAddress, port);
        listener.Start();
        return new Listener(listener);
    }

    private static int PollMicros(int timeoutMillis) =>
        timeoutMillis <= 0 ? 0 : timeoutMillis >= int.MaxValue / 1000 ? int.MaxValue : timeoutMillis * 1000;

    private sealed class Listener(TcpListener listener) : IPeerListener
    {
        public int Port { get; } = ((IPEndPoint)listener.LocalEndpoint).Port;

        public IPeerConnection? Accept(int timeoutMillis)
        {
            try
            {
                if (!listener.Server.Poll(PollMicros(timeoutMillis), SelectMode.SelectRead))
                {
                    return null;
                }

                var socket = listener.AcceptSocket();
                socket.NoDelay = true;
                return new Connection(socket);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return null;
            }
        }

        public void Close() => listener.Stop();
    }

    private sealed class Connection(Socket socket) : IPeerConnection
    {
        public string RemoteIp { get; } = ((IPEndPoint)socket.RemoteEndPoint!).Address.ToString();

        public int Read(byte[] buffer, int offset, int count, int timeoutMillis)
        {
            try
            {
                if (!socket.Poll(PollMicros(timeoutMillis), SelectMode.SelectRead))
                {
                    return -1;
                }

                // Readable with nothing to read means the peer closed: Receive returns 0.
                return socket.Receive(buffer, offset, count, SocketFlags.None);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return 0;
            }
        }

        public bool Write(byte[] buffer, int offset, int count)
        {
            try
            {
                while (count > 0)
                {
                    var sent = socket.Send(buffer, offset, count, SocketFlags.None);
                    offset += sent;
                    count -= sent;
                }

                return true;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return false;
            }
        }

        public void Close() => socket.Dispose();
    }
}
