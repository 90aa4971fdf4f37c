using System;
using System.Net;
using System.Net.Sockets;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32.Networking
{
    /// <summary>
    /// Direct TCP between boards (F19) over nanoFramework's Socket: Poll bounds every wait, and every
    /// socket is closed on every path (lwIP has few, and leaked ones are gone until reboot).
    /// </summary>
    /// <remarks>
    /// Socket.Connect blocks with no timeout of its own, so it runs on a short-lived thread and the
    /// socket is closed when the timeout passes first, which makes lwIP abandon the attempt.
    /// </remarks>
    public class SocketPeerNetwork : IPeerNetwork
    {
        private const int Backlog = 4;

        public IPeerConnection Connect(string ip, int port, int timeoutMillis)
        {
            IPAddress address;
            try
            {
                address = IPAddress.Parse(ip);
            }
            catch (Exception)
            {
                return null;
            }

            if (port <= 0 || port > IPEndPoint.MaxPort)
            {
                return null;
            }

            Socket socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            if (!SocketConnect.Within(socket, new IPEndPoint(address, port), timeoutMillis))
            {
                return null;
            }

            return new Connection(socket);
        }

        public IPeerListener Listen(int port)
        {
            Socket socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Any, port));
                socket.Listen(Backlog);
                return new Listener(socket, ((IPEndPoint)socket.LocalEndPoint).Port);
            }
            catch (Exception)
            {
                socket.Close();
                throw;
            }
        }

        private class Listener : IPeerListener
        {
            private readonly Socket _socket;

            public Listener(Socket socket, int port)
            {
                _socket = socket;
                Port = port;
            }

            public int Port { get; }

            public IPeerConnection Accept(int timeoutMillis)
            {
                try
                {
                    if (!_socket.Poll(SocketConnect.PollMicros(timeoutMillis), SelectMode.SelectRead))
                    {
                        return null;
                    }

                    return new Connection(_socket.Accept());
                }
                catch (SocketException)
                {
                    return null;
                }
                catch (ObjectDisposedException)
                {
                    return null;
                }
            }

            public void Close()
            {
                _socket.Close();
            }
        }

        private class Connection : IPeerConnection
        {
            private readonly Socket _socket;

            public Connection(Socket socket)
            {
                _socket = socket;
                try
                {
                    RemoteIp = ((IPEndPoint)socket.RemoteEndPoint).Address.ToString();
                }
                catch (SocketException)
                {
                    RemoteIp = string.Empty;
                }
            }

            public string RemoteIp { get; }

            public int Read(byte[] buffer, int offset, int count, int timeoutMillis)
            {
                try
                {
                    if (!_socket.Poll(SocketConnect.PollMicros(timeoutMillis), SelectMode.SelectRead))
                    {
                        return -1;
                    }

                    // Readable with nothing queued means the peer closed: Receive returns 0.
                    return _socket.Receive(buffer, offset, count, SocketFlags.None);
                }
                catch (SocketException)
                {
                    return 0;
                }
                catch (ObjectDisposedException)
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
                        int sent = _socket.Send(buffer, offset, count, SocketFlags.None);
                        if (sent <= 0)
                        {
                            return false;
                        }

                        offset += sent;
                        count -= sent;
                    }

                    return true;
                }
                catch (SocketException)
                {
                    return false;
                }
                catch (ObjectDisposedException)
                {
                    return false;
                }
            }

            public void Close()
            {
                _socket.Close();
            }
        }
    }
}
