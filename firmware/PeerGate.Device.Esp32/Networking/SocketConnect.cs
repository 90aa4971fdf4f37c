using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace PeerGate.Device.Esp32.Networking
{
    /// <summary>
    /// What the board's TCP adapters share: a connect with a timeout (nanoFramework's Socket.Connect blocks
    /// without one, so it runs on its own thread and the socket is closed when the time is up) and the
    /// conversion of a millisecond timeout to Socket.Poll's microseconds.
    /// </summary>
    internal static class SocketConnect
    {
        /// <summary>True when <paramref name="socket"/> connected to <paramref name="endPoint"/> within the timeout; otherwise the socket is closed.</summary>
        public static bool Within(Socket socket, IPEndPoint endPoint, int timeoutMillis)
        {
            Attempt attempt = new Attempt(socket, endPoint);
            Thread thread = new Thread(attempt.Run);
            thread.Start();
            if (!thread.Join(timeoutMillis) || !attempt.Connected)
            {
                socket.Close();
                return false;
            }

            return true;
        }

        public static int PollMicros(int timeoutMillis)
        {
            if (timeoutMillis <= 0)
            {
                return 0;
            }

            return timeoutMillis >= int.MaxValue / 1000 ? int.MaxValue : timeoutMillis * 1000;
        }

        private class Attempt
        {
            private readonly Socket _socket;
            private readonly IPEndPoint _endPoint;

            public Attempt(Socket socket, IPEndPoint endPoint)
            {
                _socket = socket;
                _endPoint = endPoint;
            }

            public bool Connected { get; private set; }

            public void Run()
            {
                try
                {
                    _socket.Connect(_endPoint);
                    Connected = true;
                }
                catch (SocketException)
                {
                    Connected = false;
                }
                catch (ObjectDisposedException)
                {
                    // Closed by Within after the timeout.
                    Connected = false;
                }
            }
        }
    }
}
