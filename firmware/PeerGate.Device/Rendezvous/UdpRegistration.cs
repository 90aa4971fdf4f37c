using System.Threading;
using PeerGate.Device.Platform;
using PeerGate.Device.Registry;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;
using PeerGate.Protocol.Rendezvous;

namespace PeerGate.Device.Rendezvous
{
    /// <summary>
    /// Keeps the device's NAT mapping open at the server (F27): sends the registration datagram of the
    /// current certificate every period and reads the server's acknowledgement, which tells the device
    /// the address and port the server saw. The counter starts at 1 for each certificate (each has its
    /// own UDP key; the server ranks a newer certificate above any counter of an older one) and only
    /// rises. Only an ack that verifies with the key and echoes the counter just sent counts.
    /// Between registrations it listens on the same socket for the server's wake (F38): one that
    /// verifies with the key, names this terminal and certificate and carries a seq newer than the
    /// trigger cursor makes <see cref="WakeTarget"/> fetch at once; anything else is logged and ignored.
    /// Buffers are allocated once.
    /// </summary>
    public class UdpRegistration
    {
        /// <summary>How long one registration waits for its acknowledgement.</summary>
        public const int AckTimeoutMillis = 2000;

        public const int MinPeriodMillis = 1000;

        /// <summary>The longest one receive waits between registrations, so a stop is seen within it.</summary>
        public const int ListenSliceMillis = 1000;

        private readonly IDatagramSocket _socket;
        private readonly ICertificateHolder _certificates;
        private readonly IPeerCrypto _crypto;
        private readonly IClock _clock;
        private readonly IDeviceLog _log;
        private readonly string _serverIp;
        private readonly int _serverPort;
        private readonly byte[] _send = new byte[RendezvousDatagram.MaxLength];
        private readonly byte[] _receive = new byte[RendezvousDatagram.MaxLength];
        private readonly byte[] _work = new byte[RendezvousDatagram.WorkLength];
        private readonly RendezvousDatagram _reader = new RendezvousDatagram();
        private string _serial;
        private byte[] _key;
        private long _counter;

        public UdpRegistration(IDatagramSocket socket, ICertificateHolder certificates, IPeerCrypto crypto, IClock clock, IDeviceLog log, string serverIp, int serverPort)
        {
            if (socket == null || certificates == null || crypto == null || clock == null || log == null)
            {
                throw new System.ArgumentNullException(nameof(socket));
            }

            if (serverIp == null || serverPort <= 0 || serverPort > 65535)
            {
                throw new System.ArgumentException("the server's UDP address and port", nameof(serverPort));
            }

            _socket = socket;
            _certificates = certificates;
            _crypto = crypto;
            _clock = clock;
            _log = log;
            _serverIp = serverIp;
            _serverPort = serverPort;
        }

        /// <summary>The address the server saw at the last acknowledged registration; null before one.</summary>
        public string ObservedIp { get; private set; }

        public int ObservedPort { get; private set; }

        /// <summary>The period the server asked for, in seconds; 0 when it left it to the device.</summary>
        public int ServerIntervalSeconds { get; private set; }

        /// <summary>Told of every verified wake; null ignores wakes.</summary>
        public IWakeTarget WakeTarget { get; set; }

        /// <summary>Wakes that verified and were newer than the trigger cursor.</summary>
        public int Wakes { get; private set; }

        /// <summary>The counter of the last registration sent.</summary>
        public long Counter
        {
            get { return _counter; }
        }

        /// <summary>
        /// Sends one registration and waits for its acknowledgement. <paramref name="localAddress"/> is
        /// the device's own IPv4 address (4 bytes) or null. False without a certificate with a UDP key,
        /// when the datagram could not be sent or when no valid acknowledgement came in time.
        /// </summary>
        public bool RegisterOnce(byte[] localAddress, int localPort)
        {
            CertificateResponse certificate = _certificates.Certificate;
            if (certificate == null || certificate.UdpKey == null || certificate.Serial == null || certificate.TerminalId == null)
            {
                return false;
            }

            if (_serial != certificate.Serial)
            {
                byte[] key = System.Convert.FromBase64String(certificate.UdpKey);
                if (key.Length != RendezvousDatagram.UdpKeyLength)
                {
                    return false;
                }

                _key = key;
                _serial = certificate.Serial;
                _counter = 0;
            }

            _counter++;
            int length = RendezvousDatagram.WriteRegister(_send, certificate.TerminalId, certificate.Serial, _counter, localAddress, localAddress == null ? 0 : localPort, _key, _crypto, _work);
            if (!_socket.SendTo(_send, 0, length, _serverIp, _serverPort))
            {
                _log.Event("udp-send-failed", _serverIp + ":" + _serverPort.ToString());
                return false;
            }

            long deadline = _clock.UptimeMillis + AckTimeoutMillis;
            while (true)
            {
                long left = deadline - _clock.UptimeMillis;
                if (left <= 0)
                {
                    return false;
                }

                int received = _socket.Receive(_receive, 0, _receive.Length, (int)left);
                if (received < 0)
                {
                    return false;
                }

                bool read = _reader.Read(_receive, received);
                if (read && _reader.Type == RendezvousDatagram.TypeWake)
                {
                    HandleWake(certificate);
                    continue;
                }

                // Anything but the answer to this very datagram (a late ack, a stranger's bytes) is skipped.
                if (!read || _reader.Type != RendezvousDatagram.TypeAck || _reader.Counter != _counter
                    || !_reader.TerminalIdIs(certificate.TerminalId) || !_reader.SerialIs(certificate.Serial) || !_reader.Verify(_key, _crypto, _work))
                {
                    continue;
                }

                string observedIp = AddressText(_receive, _reader.AddressOffset, _reader.AddressLength);
                if (observedIp != ObservedIp || _reader.Port != ObservedPort)
                {
                    _log.Event("udp-mapping", observedIp + ":" + _reader.Port.ToString() + " local-port " + _socket.LocalPort.ToString());
                }

                ObservedIp = observedIp;
                ObservedPort = _reader.Port;
                ServerIntervalSeconds = _reader.IntervalSeconds;
                return true;
            }
        }

        /// <summary>
        /// Registers every period until <paramref name="stop"/> is set: the shorter of
        /// <paramref name="periodMillis"/> and the interval the server asked for (F31: the server knows
        /// when it calls a mapping stale, the device may know its NAT forgets sooner).
        /// </summary>
        public void Run(int periodMillis, byte[] localAddress, int localPort, WaitHandle stop)
        {
            while (true)
            {
                RegisterOnce(localAddress, localPort);
                int period = periodMillis;
                if (ServerIntervalSeconds > 0 && ServerIntervalSeconds * 1000 < period)
                {
                    period = ServerIntervalSeconds * 1000;
                }

                if (period < MinPeriodMillis)
                {
                    period = MinPeriodMillis;
                }

                if (Listen(period, stop))
                {
                    return;
                }
            }
        }

        /// <summary>
        /// Reads datagrams for <paramref name="millis"/> (in slices, so <paramref name="stop"/> is seen)
        /// and hands each wake to <see cref="HandleWake"/>; true when stopped.
        /// </summary>
        public bool Listen(int millis, WaitHandle stop)
        {
            long deadline = _clock.UptimeMillis + millis;
            while (true)
            {
                if (stop != null && stop.WaitOne(0, false))
                {
                    return true;
                }

                long left = deadline - _clock.UptimeMillis;
                if (left <= 0)
                {
                    return false;
                }

                int slice = left < ListenSliceMillis ? (int)left : ListenSliceMillis;
                long before = _clock.UptimeMillis;
                int received = _socket.Receive(_receive, 0, _receive.Length, slice);
                if (received <= 0)
                {
                    // A closed socket answers at once: wait out the slice rather than spin.
                    long waited = _clock.UptimeMillis - before;
                    if (waited < slice && _clock.Sleep((int)(slice - waited), stop))
                    {
                        return true;
                    }

                    continue;
                }

                if (_reader.Read(_receive, received) && _reader.Type == RendezvousDatagram.TypeWake)
                {
                    HandleWake(_certificates.Certificate);
                }
            }
        }

        /// <summary>
        /// The wake just read: only one under the current certificate's key, for its Terminal ID and
        /// serial, and newer than the trigger cursor starts a fetch. The log names why one was ignored,
        /// never its bytes.
        /// </summary>
        private void HandleWake(CertificateResponse certificate)
        {
            if (certificate == null || certificate.UdpKey == null || certificate.TerminalId == null || certificate.Serial == null
                || !_reader.TerminalIdIs(certificate.TerminalId) || !_reader.SerialIs(certificate.Serial))
            {
                _log.Event("udp-wake-ignored", "not for this terminal's certificate");
                return;
            }

            byte[] key = _serial == certificate.Serial ? _key : System.Convert.FromBase64String(certificate.UdpKey);
            if (key == null || key.Length != RendezvousDatagram.UdpKeyLength || !_reader.Verify(key, _crypto, _work))
            {
                _log.Event("udp-wake-ignored", "bad tag");
                return;
            }

            IWakeTarget target = WakeTarget;
            if (target == null)
            {
                return;
            }

            long seq = _reader.Counter;
            if (!target.Wake(seq))
            {
                _log.Event("udp-wake-ignored", "stale: seq " + seq.ToString() + " already handled");
                return;
            }

            Wakes++;
            _log.Event("udp-wake", "seq " + seq.ToString() + ": fetching triggers");
        }

        /// <summary>"a.b.c.d" for IPv4; IPv6 as eight hex groups.</summary>
        public static string AddressText(byte[] buffer, int offset, int length)
        {
            string text = "";
            if (length == 4)
            {
                for (int i = 0; i < 4; i++)
                {
                    text += (i == 0 ? "" : ".") + buffer[offset + i].ToString();
                }

                return text;
            }

            for (int i = 0; i < length; i += 2)
            {
                int group = (buffer[offset + i] << 8) | buffer[offset + i + 1];
                text += (i == 0 ? "" : ":") + group.ToString("x");
            }

            return text;
        }

        /// <summary>The 4 bytes of a dotted IPv4 address, or null when it is not one.</summary>
        public static byte[] ParseIPv4(string text)
        {
            if (text == null)
            {
                return null;
            }

            byte[] address = new byte[4];
            int part = 0;
            int value = -1;
            for (int i = 0; i <= text.Length; i++)
            {
                if (i == text.Length || text[i] == '.')
                {
                    if (value < 0 || part > 3)
                    {
                        return null;
                    }

                    address[part++] = (byte)value;
                    value = -1;
                    continue;
                }

                char c = text[i];
                if (c < '0' || c > '9')
                {
                    return null;
                }

                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (value > 255)
                {
                    return null;
                }
            }

            return part == 4 ? address : null;
        }
    }
}
