using System;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32.Networking
{
    /// <summary>
    /// The rendezvous paths (F37) over nanoFramework's Socket and SslStream. The endpoint's certificate must
    /// chain to the pinned CA: mbedTLS is handed that CA and nothing else, with
    /// <see cref="SslVerification.CertificateRequired"/>. Every socket is closed on every path (lwIP has few).
    /// </summary>
    /// <remarks>
    /// <para>One TLS rendezvous connection at a time: a TLS session costs about 33 KB of native heap, and
    /// the board's HTTP lane holds its own. A second <see cref="ConnectServer"/> while one is open gets null,
    /// and the caller falls back as for an unreachable endpoint.</para>
    /// <para>Socket.Connect blocks with no timeout of its own, so it runs on a short-lived thread and the
    /// socket is closed when the timeout passes first (as in <see cref="SocketPeerNetwork"/>). Address reuse
    /// needs lwIP built with SO_REUSE, as the ESP32 images are.</para>
    /// </remarks>
    public class SocketRendezvousNetwork : IRendezvousNetwork
    {
        private static readonly object s_tlsGate = new object();
        private static bool s_tlsOpen;

        private readonly X509Certificate _pinnedCa;
        private readonly string _tlsHostName;

        /// <param name="pinnedCa">The CA the endpoint's certificate must chain to; null only for a plain-TCP lab endpoint.</param>
        /// <param name="tlsHostName">
        /// The name the endpoint's certificate must carry (the server's host name, as in its HTTPS URL); null: the
        /// address dialled. The board dials addresses only (no resolver here), so the name comes from config.
        /// </param>
        public SocketRendezvousNetwork(X509Certificate pinnedCa, string tlsHostName)
        {
            _pinnedCa = pinnedCa;
            _tlsHostName = tlsHostName;
        }

        public IRendezvousConnection ConnectServer(string host, int port, int localPort, int timeoutMillis)
        {
            IPAddress address;
            try
            {
                address = IPAddress.Parse(host);
            }
            catch (Exception)
            {
                return null;
            }

            bool tls = _pinnedCa != null;
            if (tls)
            {
                lock (s_tlsGate)
                {
                    if (s_tlsOpen)
                    {
                        return null;
                    }

                    s_tlsOpen = true;
                }
            }

            Socket socket = Connect(localPort, address, port, timeoutMillis);
            if (socket == null)
            {
                ReleaseTls(tls);
                return null;
            }

            if (!tls)
            {
                return new Connection(socket, null, false);
            }

            SslStream ssl = null;
            try
            {
                socket.ReceiveTimeout = timeoutMillis;
                socket.SendTimeout = timeoutMillis;
                ssl = new SslStream(socket);
                ssl.SslVerification = SslVerification.CertificateRequired;
                ssl.AuthenticateAsClient(_tlsHostName != null ? _tlsHostName : host, null, _pinnedCa, SslProtocols.Tls12);
                return new Connection(socket, ssl, true);
            }
            catch (Exception)
            {
                if (ssl != null)
                {
                    ssl.Dispose();
                }

                socket.Close();
                ReleaseTls(true);
                return null;
            }
        }

        public IPeerConnection ConnectFrom(int localPort, string ip, int port, int timeoutMillis)
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

            if (localPort <= 0)
            {
                return null;
            }

            Socket socket = Connect(localPort, address, port, timeoutMillis);
            return socket == null ? null : new Connection(socket, null, false);
        }

        private static void ReleaseTls(bool tls)
        {
            if (tls)
            {
                lock (s_tlsGate)
                {
                    s_tlsOpen = false;
                }
            }
        }

        private static Socket Connect(int localPort, IPAddress address, int port, int timeoutMillis)
        {
            if (port <= 0 || port > IPEndPoint.MaxPort || localPort < 0 || localPort > IPEndPoint.MaxPort)
            {
                return null;
            }

            Socket socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(IPAddress.Any, localPort));
            }
            catch (Exception)
            {
                socket.Close();
                return null;
            }

            if (!SocketConnect.Within(socket, new IPEndPoint(address, port), timeoutMillis))
            {
                return null;
            }

            return socket;
        }

        /// <summary>One connection, plain or TLS; a TLS one gives the board's TLS slot back when closed.</summary>
        private class Connection : IRendezvousConnection
        {
            private readonly Socket _socket;
            private readonly SslStream _ssl;
            private readonly object _closeLock = new object();
            private bool _holdsTls;

            public Connection(Socket socket, SslStream ssl, bool holdsTls)
            {
                _socket = socket;
                _ssl = ssl;
                _holdsTls = holdsTls;
                try
                {
                    RemoteIp = ((IPEndPoint)socket.RemoteEndPoint).Address.ToString();
                    LocalPort = ((IPEndPoint)socket.LocalEndPoint).Port;
                }
                catch (SocketException)
                {
                    RemoteIp = string.Empty;
                }
            }

            public string RemoteIp { get; }

            public int LocalPort { get; }

            public int Read(byte[] buffer, int offset, int count, int timeoutMillis)
            {
                try
                {
                    // Decrypted bytes may already wait inside the TLS layer, where Poll cannot see them.
                    bool ready = _ssl != null && _ssl.DataAvailable;
                    if (!ready && !_socket.Poll(SocketConnect.PollMicros(timeoutMillis), SelectMode.SelectRead))
                    {
                        return -1;
                    }

                    if (_ssl == null)
                    {
                        // Readable with nothing queued means the peer closed: Receive returns 0.
                        return _socket.Receive(buffer, offset, count, SocketFlags.None);
                    }

                    // A record under way completes within the timeout, or the connection counts as lost.
                    _socket.ReceiveTimeout = timeoutMillis > 0 ? timeoutMillis : 1;
                    return _ssl.Read(buffer, offset, count);
                }
                catch (Exception)
                {
                    return 0;
                }
            }

            public bool Write(byte[] buffer, int offset, int count)
            {
                try
                {
                    if (_ssl != null)
                    {
                        _ssl.Write(buffer, offset, count);
                        return true;
                    }

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
                catch (Exception)
                {
                    return false;
                }
            }

            public void Close()
            {
                lock (_closeLock)
                {
                    try
                    {
                        if (_ssl != null)
                        {
                            _ssl.Dispose();
                        }
                    }
                    catch (Exception)
                    {
                    }

                    _socket.Close();
                    if (_holdsTls)
                    {
                        _holdsTls = false;
                        ReleaseTls(true);
                    }
                }
            }
        }
    }
}
