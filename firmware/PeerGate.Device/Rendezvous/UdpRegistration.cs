using System;
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
    /// <para>Keepalive (F31): with <see cref="ProbePort"/> set it measures how long an idle mapping
    /// lives by asking the server's probe port to answer again after a delay that grows; the period
    /// becomes <see cref="SafetyPercent"/> % of the longest delay that still got through, within
    /// [<see cref="MinPeriodMillis"/>, the device's and the server's period]. A changed mapping or the
    /// return of acks after the fallback starts a new measurement. After <see cref="MaxMissedAcks"/>
    /// registrations without an ack the UDP channel counts as blocked (<see cref="Works"/> false), so
    /// the trigger poller holds its long-poll again, until an ack comes back.</para>
    /// </summary>
    public class UdpRegistration : IUdpChannel
    {
        /// <summary>How long one registration waits for its acknowledgement.</summary>
        public const int AckTimeoutMillis = 2000;

        public const int MinPeriodMillis = 1000;

        /// <summary>The longest one receive waits between registrations, so a stop is seen within it.</summary>
        public const int ListenSliceMillis = 1000;

        /// <summary>Registrations in a row without an ack after which UDP counts as blocked.</summary>
        public const int MaxMissedAcks = 3;

        /// <summary>
        /// The period as a share of the measured lifetime: at half, one lost registration still leaves
        /// the mapping alive until the next.
        /// </summary>
        public const int SafetyPercent = 50;

        /// <summary>The first delay a measurement asks for; each next one is half as long again, rounded up.</summary>
        public const int FirstProbeDelaySeconds = 2;

        /// <summary>Probes in a row without a receipt after which the probe port counts as unreachable and measuring stops.</summary>
        public const int MaxProbeAttempts = 3;

        private const int ProbeIdle = 0;
        private const int ProbePending = 1;
        private const int ProbeDone = 2;
        private const int ProbeOff = 3;

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
        private readonly byte[] _observed = new byte[16];
        private int _observedLength;
        private string _serial;
        private byte[] _key;
        private long _counter;
        private bool _works;
        private bool _sentRegistration;
        private bool _newBaseline;
        private long _lastAckMillis;
        private int _periodMillis = MinPeriodMillis;
        private int _ownPeriodMillis = MinPeriodMillis;
        private int _probeState;
        private int _probeDelaySeconds = FirstProbeDelaySeconds;
        private int _probeLimitSeconds;
        private long _probeCounter;
        private long _probeDeadline;
        private int _probeReceiptMisses;
        private int _passedDelaySeconds;

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

        /// <summary>The server's probe port (F31); 0 leaves the period at the device's and the server's.</summary>
        public int ProbePort { get; set; }

        /// <summary>The measured lifetime of an idle mapping in seconds (a lower bound); 0 until measured.</summary>
        public int LifetimeSeconds { get; private set; }

        /// <summary>True while a measurement runs.</summary>
        public bool Measuring
        {
            get { return _probeState == ProbeIdle || _probeState == ProbePending; }
        }

        /// <summary>Registrations in a row that got no ack.</summary>
        public int MissedAcks { get; private set; }

        /// <summary>Lifetime probes sent.</summary>
        public int Probes { get; private set; }

        /// <summary>
        /// True while the registrations are acknowledged: the last ack came within the time
        /// <see cref="MaxMissedAcks"/> periods take, and fewer than that many in a row were missed.
        /// </summary>
        public bool Works
        {
            get
            {
                if (!_works)
                {
                    return false;
                }

                long fresh = (long)(MaxMissedAcks + 1) * (_periodMillis + AckTimeoutMillis);
                return _clock.UptimeMillis - _lastAckMillis <= fresh;
            }
        }

        /// <summary>"udp" while <see cref="Works"/>, else "long-poll": what the HTTP registration reports.</summary>
        public string TriggerChannel
        {
            get { return Works ? TriggerChannels.Udp : TriggerChannels.LongPoll; }
        }

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
            _sentRegistration = false;
            bool acked = SendRegistration(localAddress, localPort);
            if (!acked && !_sentRegistration)
            {
                // Nothing went out (no certificate with a UDP key yet): that says nothing about UDP.
                return false;
            }

            if (acked)
            {
                MissedAcks = 0;
                _lastAckMillis = _clock.UptimeMillis;
                if (!_works)
                {
                    _works = true;
                    _log.Event("udp-channel", "acknowledged: triggers come by wake, no long-poll");
                }

                return true;
            }

            MissedAcks++;
            if (MissedAcks == MaxMissedAcks)
            {
                // Said also when no ack ever came (UDP blocked from the start), so the log tells why.
                bool worked = _works;
                _works = false;
                _log.Event("udp-fallback", "no ack for " + MaxMissedAcks.ToString() + " registrations: triggers over the long-poll");

                // The mapping is lost or UDP blocked: whatever was measured no longer holds.
                if (worked)
                {
                    Remeasure();
                }
            }

            return false;
        }

        private bool SendRegistration(byte[] localAddress, int localPort)
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

            _sentRegistration = true;

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

                if (read && _reader.Type == RendezvousDatagram.TypeProbeAnswer)
                {
                    HandleProbeAnswer(certificate);
                    continue;
                }

                // Anything but the answer to this very datagram (a late ack, a stranger's bytes) is skipped.
                if (!read || _reader.Type != RendezvousDatagram.TypeAck || _reader.Counter != _counter
                    || !_reader.TerminalIdIs(certificate.TerminalId) || !_reader.SerialIs(certificate.Serial) || !_reader.Verify(_key, _crypto, _work))
                {
                    continue;
                }

                // The same mapping as last time (every ack in the steady state) is compared as bytes: the
                // text is made only when the mapping changed, so a keepalive allocates nothing.
                if (!SameObserved(_receive, _reader.AddressOffset, _reader.AddressLength) || _reader.Port != ObservedPort)
                {
                    string observedIp = AddressText(_receive, _reader.AddressOffset, _reader.AddressLength);
                    _log.Event("udp-mapping", observedIp + ":" + _reader.Port.ToString() + " local-port " + _socket.LocalPort.ToString());

                    // A new mapping while the period was meant to keep the old one: the NAT forgets
                    // sooner than measured (or rebooted), so measure again. During a measurement the
                    // mapping may well lapse between registrations; that says nothing new.
                    // The first ack after the measurement sets the mapping the new period must keep
                    // (the old one may have lapsed while measuring at the ceiling period).
                    if (ObservedIp != null && _probeState == ProbeDone && !_newBaseline)
                    {
                        Remeasure();
                    }

                    Array.Copy(_receive, _reader.AddressOffset, _observed, 0, _reader.AddressLength);
                    _observedLength = _reader.AddressLength;
                    ObservedIp = observedIp;
                    ObservedPort = _reader.Port;
                }

                _newBaseline = false;
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
            _periodMillis = periodMillis < MinPeriodMillis ? MinPeriodMillis : periodMillis;
            _ownPeriodMillis = _periodMillis;
            while (true)
            {
                if (RegisterOnce(localAddress, localPort))
                {
                    StepProbe(periodMillis);
                }

                int period = PeriodMillis(periodMillis);
                _periodMillis = period;
                if (Listen(period, stop))
                {
                    return;
                }
            }
        }

        /// <summary>
        /// The registration period: the shorter of <paramref name="periodMillis"/> and the server's ask,
        /// and, once measured, <see cref="SafetyPercent"/> % of the mapping's lifetime; never below
        /// <see cref="MinPeriodMillis"/>.
        /// </summary>
        public int PeriodMillis(int periodMillis)
        {
            int period = CeilingMillis(periodMillis);
            if (_probeState == ProbeDone && LifetimeSeconds > 0)
            {
                long kept = (long)LifetimeSeconds * 1000 * SafetyPercent / 100;
                if (kept < period)
                {
                    period = (int)kept;
                }
            }

            return period < MinPeriodMillis ? MinPeriodMillis : period;
        }

        private int CeilingMillis(int periodMillis)
        {
            int period = periodMillis;
            if (ServerIntervalSeconds > 0 && ServerIntervalSeconds * 1000 < period)
            {
                period = ServerIntervalSeconds * 1000;
            }

            return period < MinPeriodMillis ? MinPeriodMillis : period;
        }

        /// <summary>
        /// Moves the measurement on: sends the next probe when one is due, or concludes when the answer
        /// of the pending one is overdue (the mapping lived shorter than its delay).
        /// </summary>
        public void StepProbe(int periodMillis)
        {
            if (ProbePort <= 0 || _probeState == ProbeDone || _probeState == ProbeOff)
            {
                return;
            }

            _ownPeriodMillis = periodMillis;
            // Lifetimes beyond what the ceiling period needs change nothing: stop measuring there.
            long limit = (long)CeilingMillis(periodMillis) * 100 / SafetyPercent / 1000;
            _probeLimitSeconds = limit > RendezvousDatagram.MaxProbeDelaySeconds ? RendezvousDatagram.MaxProbeDelaySeconds : (int)limit;
            if (_probeState == ProbePending)
            {
                if (_clock.UptimeMillis < _probeDeadline)
                {
                    return;
                }

                Conclude(_passedDelaySeconds, "no answer after " + _probeDelaySeconds.ToString() + " s");
                return;
            }

            SendProbe();
        }

        private void SendProbe()
        {
            CertificateResponse certificate = _certificates.Certificate;
            if (_key == null || certificate == null || certificate.Serial != _serial)
            {
                return;
            }

            _counter++;
            _probeCounter = _counter;
            Probes++;
            int length = RendezvousDatagram.WriteProbe(_send, certificate.TerminalId, _serial, _counter, _probeDelaySeconds, _key, _crypto, _work);
            if (_socket.SendTo(_send, 0, length, _serverIp, ProbePort))
            {
                long deadline = _clock.UptimeMillis + AckTimeoutMillis;
                while (true)
                {
                    long left = deadline - _clock.UptimeMillis;
                    if (left <= 0)
                    {
                        break;
                    }

                    int received = _socket.Receive(_receive, 0, _receive.Length, (int)left);
                    if (received < 0)
                    {
                        break;
                    }

                    if (!_reader.Read(_receive, received))
                    {
                        continue;
                    }

                    if (_reader.Type == RendezvousDatagram.TypeWake)
                    {
                        HandleWake(certificate);
                        continue;
                    }

                    if (_reader.Type == RendezvousDatagram.TypeProbeAnswer && _reader.DelaySeconds == 0 && IsAnswerToProbe(certificate))
                    {
                        _probeReceiptMisses = 0;
                        _probeState = ProbePending;

                        // The receipt refreshed the probe's NAT entry just now: the answer tests exactly the delay.
                        _probeDeadline = _clock.UptimeMillis + (long)_probeDelaySeconds * 1000 + AckTimeoutMillis;
                        return;
                    }
                }
            }

            _probeReceiptMisses++;
            if (_probeReceiptMisses >= MaxProbeAttempts)
            {
                _probeState = ProbeOff;
                _log.Event("udp-probe-off", "no receipt from probe port " + ProbePort.ToString() + " for " + MaxProbeAttempts.ToString() + " probes; keeping the period of " + (CeilingMillis(_periodMillis) / 1000).ToString() + " s");
            }
        }

        private bool IsAnswerToProbe(CertificateResponse certificate)
        {
            return certificate != null && _reader.Counter == _probeCounter && _reader.TerminalIdIs(certificate.TerminalId)
                && _reader.SerialIs(certificate.Serial) && _serial == certificate.Serial && _reader.Verify(_key, _crypto, _work);
        }

        /// <summary>A delayed probe answer just read: the mapping lived at least its delay.</summary>
        private void HandleProbeAnswer(CertificateResponse certificate)
        {
            if (_probeState != ProbePending || _reader.DelaySeconds != _probeDelaySeconds || !IsAnswerToProbe(certificate))
            {
                return;
            }

            _passedDelaySeconds = _probeDelaySeconds;
            if (_probeDelaySeconds >= _probeLimitSeconds)
            {
                Conclude(_probeDelaySeconds, "an answer after " + _probeDelaySeconds.ToString() + " s, enough for the longest period");
                return;
            }

            int next = _probeDelaySeconds + (_probeDelaySeconds + 1) / 2;
            _probeDelaySeconds = next > _probeLimitSeconds ? _probeLimitSeconds : next;
            _probeState = ProbeIdle;
            SendProbe();
        }

        private void Conclude(int lifetimeSeconds, string why)
        {
            // Not even the first delay got through: the mapping lives less than it; take one second.
            LifetimeSeconds = lifetimeSeconds > 0 ? lifetimeSeconds : 1;
            _probeState = ProbeDone;
            _newBaseline = true;
            _log.Event("udp-lifetime", LifetimeSeconds.ToString() + " s (" + why + "); period " + PeriodMillis(_periodMillis > 0 ? CeilingMillis(_periodMillis) : MinPeriodMillis).ToString() + " ms");
        }

        /// <summary>Forgets the measured lifetime; the next acknowledged registration starts measuring again.</summary>
        private void Remeasure()
        {
            if (ProbePort <= 0 || _probeState == ProbeOff)
            {
                return;
            }

            LifetimeSeconds = 0;
            _passedDelaySeconds = 0;
            _probeDelaySeconds = FirstProbeDelaySeconds;
            _probeState = ProbeIdle;
            _log.Event("udp-remeasure", "the mapping was lost; measuring its lifetime again");
        }

        /// <summary>
        /// Reads datagrams for <paramref name="millis"/> (in slices, so <paramref name="stop"/> is seen)
        /// and hands each wake to <see cref="HandleWake"/>; true when stopped.
        /// </summary>
        public bool Listen(int millis, WaitHandle stop)
        {
            long deadline = _clock.UptimeMillis + millis;
            bool measuring = _probeState == ProbePending;
            while (true)
            {
                if (stop != null && stop.WaitOne(0, false))
                {
                    return true;
                }

                if (_probeState == ProbePending && _clock.UptimeMillis >= _probeDeadline)
                {
                    Conclude(_passedDelaySeconds, "no answer after " + _probeDelaySeconds.ToString() + " s");
                }

                // A measurement just ended: register now and go on at the period it found.
                if (measuring && _probeState == ProbeDone)
                {
                    return false;
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

                if (_reader.Read(_receive, received))
                {
                    if (_reader.Type == RendezvousDatagram.TypeWake)
                    {
                        HandleWake(_certificates.Certificate);
                    }
                    else if (_reader.Type == RendezvousDatagram.TypeProbeAnswer)
                    {
                        HandleProbeAnswer(_certificates.Certificate);
                    }
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

        /// <summary>True when the address bytes are those of <see cref="ObservedIp"/>.</summary>
        private bool SameObserved(byte[] buffer, int offset, int length)
        {
            if (ObservedIp == null || length != _observedLength)
            {
                return false;
            }

            for (int i = 0; i < length; i++)
            {
                if (buffer[offset + i] != _observed[i])
                {
                    return false;
                }
            }

            return true;
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
