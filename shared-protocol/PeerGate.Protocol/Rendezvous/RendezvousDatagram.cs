using System;
using PeerGate.Protocol.Peer;

namespace PeerGate.Protocol.Rendezvous
{
    /// <summary>
    /// The UDP datagrams of the rendezvous (F27, F29, F31, F38), byte by byte in docs/rendezvous.md:
    /// the device's registration, the server's acknowledgement (which tells the device the address
    /// and port the server observed) and the server's wake. All three share one header and end in a
    /// truncated HMAC-SHA256 tag made with the certificate's UDP key over a labelled input, so nobody
    /// without the key can move a device's mapping or wake it.
    ///
    /// One instance reads one datagram at a time in place: it keeps offsets into the caller's buffer,
    /// never copies or allocates, and every read is bounds-checked. Writers fill caller-owned buffers.
    /// </summary>
    public class RendezvousDatagram
    {
        public const byte Magic0 = (byte)'P';
        public const byte Magic1 = (byte)'G';
        public const byte Magic2 = (byte)'U';
        public const byte Version = 1;

        /// <summary>Device to server: "this is my Terminal ID, certificate and counter; note where I came from".</summary>
        public const byte TypeRegister = 1;

        /// <summary>Server to device: the registration's counter echoed, and the address and port the server saw.</summary>
        public const byte TypeAck = 2;

        /// <summary>Server to device: "poll your triggers"; the counter is the newest trigger sequence number.</summary>
        public const byte TypeWake = 3;

        /// <summary>
        /// Device to the server's probe port (F31): "answer me again after Delay seconds"; the counter is
        /// the device's, from the same sequence as its registrations.
        /// </summary>
        public const byte TypeProbe = 4;

        /// <summary>
        /// Server to device, from the probe port: the probe's counter echoed; Delay 0 is the receipt sent
        /// at once, Delay = the probe's is the answer sent that many seconds later.
        /// </summary>
        public const byte TypeProbeAnswer = 5;

        /// <summary>The longest delay a probe may ask for; longer mappings than this need no measuring.</summary>
        public const int MaxProbeDelaySeconds = 900;

        public const int HeaderLength = 5;
        public const int MaxTerminalIdLength = 32;
        public const int MaxSerialLength = 32;
        public const int CounterLength = 8;
        public const int TagLength = 16;
        public const int UdpKeyLength = 32;

        /// <summary>No valid datagram is longer; anything longer is dropped unread.</summary>
        public const int MaxLength = 128;

        /// <summary>Where in the work buffer the MAC writes its full 32-byte HMAC, after the label and a whole datagram.</summary>
        public const int WorkTagOffset = 16 + MaxLength;

        /// <summary>The caller-owned work buffer the MAC needs: the label, a whole datagram and the HMAC.</summary>
        public const int WorkLength = WorkTagOffset + 32;

        /// <summary>Prefixed to every MAC input, so a tag made for these datagrams is useless anywhere else.</summary>
        public static readonly byte[] MacLabel = new byte[]
        {
            (byte)'P', (byte)'e', (byte)'e', (byte)'r', (byte)'G', (byte)'a', (byte)'t', (byte)'e', (byte)'-',
            (byte)'u', (byte)'d', (byte)'p', (byte)'-', (byte)'v', (byte)'1', 0,
        };

        private byte[] _buffer;
        private int _length;

        /// <summary>The type of the datagram last read.</summary>
        public int Type;

        public int TerminalIdOffset;
        public int TerminalIdLength;
        public int SerialOffset;
        public int SerialLength;

        /// <summary>Register: the device's counter. Ack: the registration's counter echoed. Wake: the newest trigger seq.</summary>
        public long Counter;

        /// <summary>Register: the device's local address (0 or 4 bytes). Ack: the observed address (4 or 16 bytes).</summary>
        public int AddressOffset;
        public int AddressLength;
        public int Port;

        /// <summary>Ack only: the registration period in seconds the server asks for; 0 = keep your own.</summary>
        public int IntervalSeconds;

        /// <summary>Probe: the delay asked for (1..MaxProbeDelaySeconds). Probe answer: 0 (receipt) or the delay waited.</summary>
        public int DelaySeconds;

        public int TagOffset;

        /// <summary>
        /// Reads the structure of <paramref name="length"/> bytes at the start of <paramref name="buffer"/>;
        /// false when they are not exactly one well-formed datagram of this version. Checks no tag.
        /// </summary>
        public bool Read(byte[] buffer, int length)
        {
            _buffer = null;
            if (buffer == null || length < HeaderLength || length > MaxLength || length > buffer.Length)
            {
                return false;
            }

            if (buffer[0] != Magic0 || buffer[1] != Magic1 || buffer[2] != Magic2 || buffer[3] != Version)
            {
                return false;
            }

            int type = buffer[4];
            if (type < TypeRegister || type > TypeProbeAnswer)
            {
                return false;
            }

            int position = HeaderLength;
            position = ReadAscii(buffer, length, position, MaxTerminalIdLength, out TerminalIdOffset, out TerminalIdLength);
            if (position < 0)
            {
                return false;
            }

            position = ReadAscii(buffer, length, position, MaxSerialLength, out SerialOffset, out SerialLength);
            if (position < 0 || position + CounterLength > length)
            {
                return false;
            }

            Counter = ReadInt64(buffer, position);
            position += CounterLength;
            if (Counter <= 0)
            {
                return false;
            }

            AddressOffset = 0;
            AddressLength = 0;
            Port = 0;
            IntervalSeconds = 0;
            DelaySeconds = 0;
            if (type == TypeProbe || type == TypeProbeAnswer)
            {
                if (position + 2 > length)
                {
                    return false;
                }

                DelaySeconds = (buffer[position] << 8) | buffer[position + 1];
                position += 2;
                if (DelaySeconds > MaxProbeDelaySeconds || (type == TypeProbe && DelaySeconds == 0))
                {
                    return false;
                }
            }
            else if (type == TypeRegister || type == TypeAck)
            {
                if (position + 1 > length)
                {
                    return false;
                }

                int addressLength = buffer[position];
                bool allowed = type == TypeRegister ? addressLength == 0 || addressLength == 4 : addressLength == 4 || addressLength == 16;
                if (!allowed || position + 1 + addressLength + 2 > length)
                {
                    return false;
                }

                AddressOffset = position + 1;
                AddressLength = addressLength;
                position += 1 + addressLength;
                Port = (buffer[position] << 8) | buffer[position + 1];
                position += 2;
                if (addressLength == 0 && Port != 0)
                {
                    return false;
                }

                if (type == TypeAck)
                {
                    if (position + 2 > length)
                    {
                        return false;
                    }

                    IntervalSeconds = (buffer[position] << 8) | buffer[position + 1];
                    position += 2;
                }
            }

            if (position + TagLength != length)
            {
                return false;
            }

            Type = type;
            TagOffset = position;
            _buffer = buffer;
            _length = length;
            return true;
        }

        /// <summary>True when the datagram last read carries exactly this Terminal ID.</summary>
        public bool TerminalIdIs(string terminalId)
        {
            return _buffer != null && AsciiEquals(_buffer, TerminalIdOffset, TerminalIdLength, terminalId);
        }

        /// <summary>True when the datagram last read names exactly this certificate serial.</summary>
        public bool SerialIs(string serial)
        {
            return _buffer != null && AsciiEquals(_buffer, SerialOffset, SerialLength, serial);
        }

        /// <summary>The Terminal ID as a string (allocates: for the rare path, not the per-datagram one).</summary>
        public string TerminalId()
        {
            return AsciiString(_buffer, TerminalIdOffset, TerminalIdLength);
        }

        public string Serial()
        {
            return AsciiString(_buffer, SerialOffset, SerialLength);
        }

        /// <summary>
        /// True when the datagram last read carries the tag <paramref name="key"/> makes. Uses
        /// <paramref name="work"/> (at least <see cref="WorkLength"/> bytes) and compares in fixed time.
        /// </summary>
        public bool Verify(byte[] key, IPeerCrypto crypto, byte[] work)
        {
            if (_buffer == null || key == null || key.Length != UdpKeyLength)
            {
                return false;
            }

            Mac(key, crypto, _buffer, TagOffset, work);
            int diff = 0;
            for (int i = 0; i < TagLength; i++)
            {
                diff |= work[WorkTagOffset + i] ^ _buffer[TagOffset + i];
            }

            return diff == 0;
        }

        /// <summary>Writes a registration into <paramref name="buffer"/>; returns its length.</summary>
        /// <param name="localAddress">The device's own IPv4 address (4 bytes), or null.</param>
        public static int WriteRegister(byte[] buffer, string terminalId, string serial, long counter, byte[] localAddress, int localPort, byte[] key, IPeerCrypto crypto, byte[] work)
        {
            int position = WriteHeader(buffer, TypeRegister, terminalId, serial, counter);
            if (localAddress == null)
            {
                buffer[position++] = 0;
                buffer[position++] = 0;
                buffer[position++] = 0;
            }
            else
            {
                if (localAddress.Length != 4)
                {
                    throw new ArgumentException("the local address is 4 bytes", nameof(localAddress));
                }

                position = WriteAddress(buffer, position, localAddress, localPort);
            }

            return Seal(buffer, position, key, crypto, work);
        }

        /// <summary>Writes the server's acknowledgement of the registration whose counter was <paramref name="counter"/>.</summary>
        /// <param name="observedAddress">The source address the server saw: 4 (IPv4) or 16 (IPv6) bytes.</param>
        public static int WriteAck(byte[] buffer, string terminalId, string serial, long counter, byte[] observedAddress, int observedPort, int intervalSeconds, byte[] key, IPeerCrypto crypto, byte[] work)
        {
            if (observedAddress == null || (observedAddress.Length != 4 && observedAddress.Length != 16))
            {
                throw new ArgumentException("the observed address is 4 or 16 bytes", nameof(observedAddress));
            }

            if (intervalSeconds < 0 || intervalSeconds > 0xFFFF)
            {
                throw new ArgumentOutOfRangeException(nameof(intervalSeconds));
            }

            int position = WriteHeader(buffer, TypeAck, terminalId, serial, counter);
            position = WriteAddress(buffer, position, observedAddress, observedPort);
            buffer[position++] = (byte)(intervalSeconds >> 8);
            buffer[position++] = (byte)intervalSeconds;
            return Seal(buffer, position, key, crypto, work);
        }

        /// <summary>Writes a wake; <paramref name="triggerSeq"/> is the newest queued trigger, so a replayed wake asks for nothing new.</summary>
        public static int WriteWake(byte[] buffer, string terminalId, string serial, long triggerSeq, byte[] key, IPeerCrypto crypto, byte[] work)
        {
            int position = WriteHeader(buffer, TypeWake, terminalId, serial, triggerSeq);
            return Seal(buffer, position, key, crypto, work);
        }

        /// <summary>Writes a lifetime probe: the server's probe port answers it at once and again after <paramref name="delaySeconds"/>.</summary>
        public static int WriteProbe(byte[] buffer, string terminalId, string serial, long counter, int delaySeconds, byte[] key, IPeerCrypto crypto, byte[] work)
        {
            if (delaySeconds < 1 || delaySeconds > MaxProbeDelaySeconds)
            {
                throw new ArgumentOutOfRangeException(nameof(delaySeconds));
            }

            return WriteDelayed(buffer, TypeProbe, terminalId, serial, counter, delaySeconds, key, crypto, work);
        }

        /// <summary>Writes the answer to the probe whose counter was <paramref name="counter"/>: delay 0 for the receipt, else the delay waited.</summary>
        public static int WriteProbeAnswer(byte[] buffer, string terminalId, string serial, long counter, int delaySeconds, byte[] key, IPeerCrypto crypto, byte[] work)
        {
            if (delaySeconds < 0 || delaySeconds > MaxProbeDelaySeconds)
            {
                throw new ArgumentOutOfRangeException(nameof(delaySeconds));
            }

            return WriteDelayed(buffer, TypeProbeAnswer, terminalId, serial, counter, delaySeconds, key, crypto, work);
        }

        private static int WriteDelayed(byte[] buffer, byte type, string terminalId, string serial, long counter, int delaySeconds, byte[] key, IPeerCrypto crypto, byte[] work)
        {
            int position = WriteHeader(buffer, type, terminalId, serial, counter);
            buffer[position++] = (byte)(delaySeconds >> 8);
            buffer[position++] = (byte)delaySeconds;
            return Seal(buffer, position, key, crypto, work);
        }

        private static int WriteHeader(byte[] buffer, byte type, string terminalId, string serial, long counter)
        {
            if (buffer == null || buffer.Length < MaxLength)
            {
                throw new ArgumentException("the buffer must hold MaxLength bytes", nameof(buffer));
            }

            if (counter <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(counter));
            }

            buffer[0] = Magic0;
            buffer[1] = Magic1;
            buffer[2] = Magic2;
            buffer[3] = Version;
            buffer[4] = type;
            int position = HeaderLength;
            position += FrameBytes.WriteShortAscii(terminalId, MaxTerminalIdLength, buffer, position);
            position += FrameBytes.WriteShortAscii(serial, MaxSerialLength, buffer, position);
            for (int i = 0; i < CounterLength; i++)
            {
                buffer[position + i] = (byte)(counter >> (8 * (CounterLength - 1 - i)));
            }

            return position + CounterLength;
        }

        private static int WriteAddress(byte[] buffer, int position, byte[] address, int port)
        {
            if (port < 0 || port > 0xFFFF)
            {
                throw new ArgumentOutOfRangeException(nameof(port));
            }

            buffer[position++] = (byte)address.Length;
            Array.Copy(address, 0, buffer, position, address.Length);
            position += address.Length;
            buffer[position++] = (byte)(port >> 8);
            buffer[position++] = (byte)port;
            return position;
        }

        private static int Seal(byte[] buffer, int position, byte[] key, IPeerCrypto crypto, byte[] work)
        {
            if (key == null || key.Length != UdpKeyLength)
            {
                throw new ArgumentException("the UDP key is 32 bytes", nameof(key));
            }

            Mac(key, crypto, buffer, position, work);
            Array.Copy(work, WorkTagOffset, buffer, position, TagLength);
            return position + TagLength;
        }

        /// <summary>The tag over label ‖ buffer[0..count), written to work[<see cref="WorkTagOffset"/>..]: no array per datagram.</summary>
        private static void Mac(byte[] key, IPeerCrypto crypto, byte[] buffer, int count, byte[] work)
        {
            if (crypto == null)
            {
                throw new ArgumentNullException(nameof(crypto));
            }

            if (work == null || work.Length < WorkLength)
            {
                throw new ArgumentException("the work buffer must hold WorkLength bytes", nameof(work));
            }

            Array.Copy(MacLabel, 0, work, 0, MacLabel.Length);
            Array.Copy(buffer, 0, work, MacLabel.Length, count);
            crypto.HmacSha256(key, work, 0, MacLabel.Length + count, work, WorkTagOffset);
        }

        private static int ReadAscii(byte[] buffer, int length, int position, int maxLength, out int offset, out int count)
        {
            offset = 0;
            count = 0;
            if (position + 1 > length)
            {
                return -1;
            }

            int n = buffer[position];
            if (n == 0 || n > maxLength || position + 1 + n > length)
            {
                return -1;
            }

            for (int i = 0; i < n; i++)
            {
                byte b = buffer[position + 1 + i];
                if (b < 0x21 || b > 0x7E)
                {
                    return -1;
                }
            }

            offset = position + 1;
            count = n;
            return position + 1 + n;
        }

        private static long ReadInt64(byte[] buffer, int position)
        {
            long value = 0;
            for (int i = 0; i < CounterLength; i++)
            {
                value = (value << 8) | buffer[position + i];
            }

            return value;
        }

        private static bool AsciiEquals(byte[] buffer, int offset, int count, string value)
        {
            if (value == null || value.Length != count)
            {
                return false;
            }

            for (int i = 0; i < count; i++)
            {
                if (buffer[offset + i] != value[i])
                {
                    return false;
                }
            }

            return true;
        }

        private static string AsciiString(byte[] buffer, int offset, int count)
        {
            if (buffer == null)
            {
                return null;
            }

            char[] chars = new char[count];
            for (int i = 0; i < count; i++)
            {
                chars[i] = (char)buffer[offset + i];
            }

            return new string(chars);
        }
    }
}
