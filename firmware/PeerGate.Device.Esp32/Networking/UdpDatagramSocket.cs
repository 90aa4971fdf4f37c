using System;
using System.Net;
using System.Net.Sockets;
using PeerGate.Device.Platform;

namespace PeerGate.Device.Esp32.Networking
{
    /// <summary>
    /// The UDP rendezvous socket (F27) over nanoFramework's Socket(Dgram, Udp): bound once to a free
    /// port, every receive bounded by Poll (microseconds), closed on Close (lwIP has few sockets).
    /// </summary>
    public class UdpDatagramSocket : IDatagramSocket
    {
        private readonly Socket _socket;
        private EndPoint _from = new IPEndPoint(IPAddress.Any, 0);

        public UdpDatagramSocket()
        {
            _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                _socket.Bind(new IPEndPoint(IPAddress.Any, 0));
                LocalPort = ((IPEndPoint)_socket.LocalEndPoint).Port;
            }
            catch (Exception)
            {
                _socket.Close();
                throw;
            }
        }

        public int LocalPort { get; }

        public bool SendTo(byte[] buffer, int offset, int count, string ip, int port)
        {
            if (port <= 0 || port > IPEndPoint.MaxPort)
            {
                return false;
            }

            try
            {
                return _socket.SendTo(buffer, offset, count, SocketFlags.None, new IPEndPoint(IPAddress.Parse(ip), port)) == count;
            }
            catch (Exception)
            {
                return false;
            }
        }

        public int Receive(byte[] buffer, int offset, int count, int timeoutMillis)
        {
            try
            {
                int micros = timeoutMillis <= 0 ? 0 : (timeoutMillis >= int.MaxValue / 1000 ? int.MaxValue : timeoutMillis * 1000);
                if (!_socket.Poll(micros, SelectMode.SelectRead))
                {
                    return -1;
                }

                return _socket.ReceiveFrom(buffer, offset, count, SocketFlags.None, ref _from);
            }
            catch (Exception)
            {
                return -1;
            }
        }

        public void Close()
        {
            _socket.Close();
        }
    }
}
