using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using PeerGate.Device.Platform;

namespace PeerGate.VirtualDevice.Adapters;

/// <summary>
/// The rendezvous paths on .NET: sockets with address reuse, so the port a punch's server connection came
/// from can dial the peer next, and TLS to the endpoint whose certificate must chain to the one CA given
/// (<see cref="X509ChainTrustMode.CustomRootTrust"/>: the machine's roots are not consulted). Without a
/// CA the endpoint is spoken to in plain TCP, for the local demo and tests only.
/// </summary>
public sealed class HostRendezvousNetwork(X509Certificate2? pinnedCa) : IRendezvousNetwork
{
    public IRendezvousConnection? ConnectServer(string host, int port, int localPort, int timeoutMillis)
    {
        if (port is <= 0 or > IPEndPoint.MaxPort || localPort is < 0 or > IPEndPoint.MaxPort)
        {
            return null;
        }

        using var timeout = new CancellationTokenSource(timeoutMillis);
        Socket? socket = null;
        try
        {
            var address = IPAddress.TryParse(host, out var parsed)
                ? parsed
                : Dns.GetHostAddresses(host).FirstOrDefault(candidate => candidate.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6);
            if (address is null)
            {
                return null;
            }

            socket = Bound(address.AddressFamily, localPort);
            socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token).AsTask().GetAwaiter().GetResult();
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (pinnedCa is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                ssl.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = host,
                        CertificateChainPolicy = new X509ChainPolicy
                        {
                            TrustMode = X509ChainTrustMode.CustomRootTrust,
                            CustomTrustStore = { pinnedCa },
                            RevocationMode = X509RevocationMode.NoCheck,
                        },
                    },
                    timeout.Token).GetAwaiter().GetResult();
            }

            var connection = new Connection(socket, stream);
            socket = null;
            return connection;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or System.Security.Authentication.AuthenticationException)
        {
            return null;
        }
        finally
        {
            socket?.Dispose();
        }
    }

    public IPeerConnection? ConnectFrom(int localPort, string ip, int port, int timeoutMillis)
    {
        if (!IPAddress.TryParse(ip, out var address) || port is <= 0 or > IPEndPoint.MaxPort || localPort is <= 0 or > IPEndPoint.MaxPort)
        {
            return null;
        }

        Socket? socket = null;
        try
        {
            // A non-blocking connect and a poll: a refusal (RST) is known at once, and the next attempt
            // can follow at once, which is what meets a peer reachable without NAT.
            socket = Bound(address.AddressFamily, localPort);
            socket.Blocking = false;
            try
            {
                socket.Connect(new IPEndPoint(address, port));
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                if (!socket.Poll(Math.Max(0, timeoutMillis) * 1000L > int.MaxValue ? int.MaxValue : Math.Max(0, timeoutMillis) * 1000, SelectMode.SelectWrite)
                    || socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error) is not 0)
                {
                    return null;
                }
            }

            socket.Blocking = true;
            var connection = new Connection(socket, new NetworkStream(socket, ownsSocket: true));
            socket = null;
            return connection;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return null;
        }
        finally
        {
            socket?.Dispose();
        }
    }

    private static Socket Bound(AddressFamily family, int localPort)
    {
        var socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, localPort));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A connection over a stream (plain or TLS). A read that times out stays pending and is picked up by
    /// the next Read, so a timeout never tears a TLS record; bytes beyond the caller's count are kept.
    /// </summary>
    private sealed class Connection(Socket socket, Stream stream) : IRendezvousConnection
    {
        private readonly byte[] _readBuffer = new byte[16 * 1024];
        private readonly object _lock = new();
        private Task<int>? _pending;
        private int _bufferedOffset;
        private int _bufferedCount;

        public string RemoteIp { get; } = ((IPEndPoint)socket.RemoteEndPoint!).Address.ToString();

        public int LocalPort { get; } = ((IPEndPoint)socket.LocalEndPoint!).Port;

        public int Read(byte[] buffer, int offset, int count, int timeoutMillis)
        {
            lock (_lock)
            {
                if (_bufferedCount == 0)
                {
                    try
                    {
                        _pending ??= stream.ReadAsync(_readBuffer, 0, _readBuffer.Length);
                        if (!_pending.Wait(Math.Max(0, timeoutMillis)))
                        {
                            return -1;
                        }

                        var read = _pending.Result;
                        _pending = null;
                        if (read <= 0)
                        {
                            return 0;
                        }

                        _bufferedOffset = 0;
                        _bufferedCount = read;
                    }
                    catch (Exception e) when (e is AggregateException or IOException or ObjectDisposedException or SocketException)
                    {
                        _pending = null;
                        return 0;
                    }
                }

                var take = Math.Min(count, _bufferedCount);
                Array.Copy(_readBuffer, _bufferedOffset, buffer, offset, take);
                _bufferedOffset += take;
                _bufferedCount -= take;
                return take;
            }
        }

        public bool Write(byte[] buffer, int offset, int count)
        {
            try
            {
                stream.Write(buffer, offset, count);
                stream.Flush();
                return true;
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or NotSupportedException)
            {
                return false;
            }
        }

        public void Close()
        {
            try
            {
                stream.Dispose();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
            {
            }

            socket.Dispose();
        }
    }
}
