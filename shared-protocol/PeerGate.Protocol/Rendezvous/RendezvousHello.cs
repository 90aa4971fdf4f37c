using System;

namespace PeerGate.Protocol.Rendezvous
{
    /// <summary>
    /// The first bytes on a TCP connection to the server's rendezvous endpoint (F37), byte by byte in
    /// docs/rendezvous.md: the device's hello (relay or punch, and the 32-byte ticket the server issued
    /// for this side of this session), and the server's answer once both sides of the pair arrived
    /// (relay: "from the next byte on this is your peer"; punch: the peer's observed endpoint and when
    /// to start dialling it, or "relay now" when a side's NAT mapping is port-dependent). The mapping
    /// test: the probe invitation on the punch connection, the probe hello on the probe port, and its
    /// answer with the endpoint observed there.
    ///
    /// One instance reads one message at a time in place: it keeps offsets into the caller's buffer,
    /// never copies or allocates, and every read is bounds-checked. Writers fill caller-owned buffers.
    /// The ticket is a bearer secret: nothing here logs it.
    /// </summary>
    public class RendezvousHello
    {
        public const byte Magic0 = (byte)'P';
        public const byte Magic1 = (byte)'G';
        public const byte Magic2 = (byte)'R';
        public const byte Version = 1;

        /// <summary>Device to server: "splice me to the other side of this ticket's session".</summary>
        public const byte TypeRelay = 1;

        /// <summary>Device to server: "tell me where the other side of this ticket's session is".</summary>
        public const byte TypePunch = 2;

        /// <summary>Server to device: both sides are here; every later byte is the peer's.</summary>
        public const byte TypeRelayReady = 3;

        /// <summary>Server to device: the peer's observed endpoint and the start delay; the server then closes.</summary>
        public const byte TypePunchPeer = 4;

        /// <summary>
        /// Device to the probe port: "observe this connection for my ticket's side". Made from the same local
        /// port as the punch hello, so the server sees the NAT's mapping towards a second port (RFC 5780 for TCP).
        /// </summary>
        public const byte TypeProbe = 5;

        /// <summary>Server to device, on the punch connection before its pair answer: "probe now, at this port".</summary>
        public const byte TypeProbeAt = 6;

        /// <summary>Server to device, on the probe connection: the address and port it observed; the server then closes.</summary>
        public const byte TypeProbeSeen = 7;

        /// <summary>Server to device, instead of the punch peer: a mapping is port-dependent, go to the relay at once.</summary>
        public const byte TypeRelayNow = 8;

        public const int HeaderLength = 5;
        public const int TicketLength = 32;

        /// <summary>Every hello is exactly this long: the server reads no byte beyond it.</summary>
        public const int HelloLength = HeaderLength + TicketLength;

        /// <summary>An answer up to its address length byte; <see cref="AnswerLength"/> gives the rest.</summary>
        public const int AnswerHeaderLength = HeaderLength + 1;

        /// <summary>The longest answer: punch with an IPv6 address.</summary>
        public const int MaxAnswerLength = AnswerHeaderLength + 16 + 2 + 2;

        /// <summary>The longest message of either kind; a buffer this long reads any of them.</summary>
        public const int MaxLength = HelloLength;

        private byte[] _buffer;

        /// <summary>The type of the message last read.</summary>
        public int Type;

        /// <summary>Hello only: where the 32 ticket bytes start in the buffer.</summary>
        public int TicketOffset;

        /// <summary>Punch answer: the peer's observed address (4 or 16 bytes). Relay answer: length 0.</summary>
        public int AddressOffset;
        public int AddressLength;
        public int Port;

        /// <summary>Punch answer: milliseconds to wait after the answer before dialling the peer.</summary>
        public int StartDelayMillis;

        /// <summary>
        /// Reads <paramref name="length"/> bytes at the start of <paramref name="buffer"/>; false when they
        /// are not exactly one well-formed hello or answer of this version.
        /// </summary>
        public bool Read(byte[] buffer, int length)
        {
            _buffer = null;
            if (buffer == null || length < HeaderLength || length > buffer.Length)
            {
                return false;
            }

            if (buffer[0] != Magic0 || buffer[1] != Magic1 || buffer[2] != Magic2 || buffer[3] != Version)
            {
                return false;
            }

            int type = buffer[4];
            TicketOffset = 0;
            AddressOffset = 0;
            AddressLength = 0;
            Port = 0;
            StartDelayMillis = 0;
            if (type == TypeRelay || type == TypePunch || type == TypeProbe)
            {
                if (length != HelloLength)
                {
                    return false;
                }

                TicketOffset = HeaderLength;
            }
            else if (type == TypeRelayReady || type == TypePunchPeer || type == TypeProbeAt || type == TypeProbeSeen || type == TypeRelayNow)
            {
                if (length < AnswerHeaderLength)
                {
                    return false;
                }

                int addressLength = buffer[HeaderLength];
                bool addressed = type == TypePunchPeer || type == TypeProbeSeen;
                bool allowed = addressed ? addressLength == 4 || addressLength == 16 : addressLength == 0;
                if (!allowed || length != AnswerLength(addressLength))
                {
                    return false;
                }

                int position = AnswerHeaderLength;
                AddressOffset = position;
                AddressLength = addressLength;
                position += addressLength;
                Port = (buffer[position] << 8) | buffer[position + 1];
                StartDelayMillis = (buffer[position + 2] << 8) | buffer[position + 3];
                // Only the punch peer has a start delay; relay ready and relay now name no port, the others must.
                bool portless = type == TypeRelayReady || type == TypeRelayNow;
                if ((portless ? Port != 0 : Port == 0) || (type != TypePunchPeer && StartDelayMillis != 0))
                {
                    return false;
                }
            }
            else
            {
                return false;
            }

            Type = type;
            _buffer = buffer;
            return true;
        }

        /// <summary>The whole answer's length for the address length byte at offset 5; -1 when no answer has it.</summary>
        public static int AnswerLength(int addressLength)
        {
            if (addressLength != 0 && addressLength != 4 && addressLength != 16)
            {
                return -1;
            }

            return AnswerHeaderLength + addressLength + 2 + 2;
        }

        /// <summary>True when the hello last read carries exactly <paramref name="ticket"/> (compared in fixed time).</summary>
        public bool TicketIs(byte[] ticket)
        {
            if (_buffer == null || TicketOffset == 0 || ticket == null || ticket.Length != TicketLength)
            {
                return false;
            }

            int diff = 0;
            for (int i = 0; i < TicketLength; i++)
            {
                diff |= ticket[i] ^ _buffer[TicketOffset + i];
            }

            return diff == 0;
        }

        /// <summary>Writes a hello (<see cref="TypeRelay"/>, <see cref="TypePunch"/> or <see cref="TypeProbe"/>); returns its length.</summary>
        public static int WriteHello(byte[] buffer, byte type, byte[] ticket)
        {
            if (type != TypeRelay && type != TypePunch && type != TypeProbe)
            {
                throw new ArgumentOutOfRangeException(nameof(type));
            }

            if (ticket == null || ticket.Length != TicketLength)
            {
                throw new ArgumentException("the ticket is 32 bytes", nameof(ticket));
            }

            WriteHeader(buffer, type, HelloLength);
            Array.Copy(ticket, 0, buffer, HeaderLength, TicketLength);
            return HelloLength;
        }

        /// <summary>Writes the relay answer: both sides are here, the splice starts with the next byte.</summary>
        public static int WriteRelayReady(byte[] buffer)
        {
            return WritePortAnswer(buffer, TypeRelayReady, 0);
        }

        /// <summary>Writes the answer that skips the punch: the device goes to the relay with the same ticket at once.</summary>
        public static int WriteRelayNow(byte[] buffer)
        {
            return WritePortAnswer(buffer, TypeRelayNow, 0);
        }

        /// <summary>Writes the probe invitation: connect from the punch's local port to <paramref name="probePort"/> and send a probe hello.</summary>
        public static int WriteProbeAt(byte[] buffer, int probePort)
        {
            if (probePort <= 0 || probePort > 0xFFFF)
            {
                throw new ArgumentOutOfRangeException(nameof(probePort));
            }

            return WritePortAnswer(buffer, TypeProbeAt, probePort);
        }

        /// <summary>Writes the probe's answer: the address (4 or 16 bytes) and port the server observed for the probe connection.</summary>
        public static int WriteProbeSeen(byte[] buffer, byte[] address, int port)
        {
            return WriteAddressAnswer(buffer, TypeProbeSeen, address, port, 0);
        }

        /// <summary>Writes the punch answer: the peer's observed address (4 or 16 bytes) and port, and the start delay.</summary>
        public static int WritePunchPeer(byte[] buffer, byte[] address, int port, int startDelayMillis)
        {
            return WriteAddressAnswer(buffer, TypePunchPeer, address, port, startDelayMillis);
        }

        private static int WritePortAnswer(byte[] buffer, byte type, int port)
        {
            int length = AnswerLength(0);
            WriteHeader(buffer, type, length);
            buffer[HeaderLength] = 0;
            buffer[HeaderLength + 1] = (byte)(port >> 8);
            buffer[HeaderLength + 2] = (byte)port;
            buffer[HeaderLength + 3] = 0;
            buffer[HeaderLength + 4] = 0;
            return length;
        }

        private static int WriteAddressAnswer(byte[] buffer, byte type, byte[] address, int port, int startDelayMillis)
        {
            if (address == null || (address.Length != 4 && address.Length != 16))
            {
                throw new ArgumentException("the address is 4 or 16 bytes", nameof(address));
            }

            if (port <= 0 || port > 0xFFFF)
            {
                throw new ArgumentOutOfRangeException(nameof(port));
            }

            if (startDelayMillis < 0 || startDelayMillis > 0xFFFF)
            {
                throw new ArgumentOutOfRangeException(nameof(startDelayMillis));
            }

            int length = AnswerLength(address.Length);
            WriteHeader(buffer, type, length);
            int position = HeaderLength;
            buffer[position++] = (byte)address.Length;
            Array.Copy(address, 0, buffer, position, address.Length);
            position += address.Length;
            buffer[position++] = (byte)(port >> 8);
            buffer[position++] = (byte)port;
            buffer[position++] = (byte)(startDelayMillis >> 8);
            buffer[position++] = (byte)startDelayMillis;
            return position;
        }

        /// <summary>The address of the punch peer or probe seen answer last read, as text (allocates).</summary>
        public string AddressText()
        {
            if (_buffer == null || (Type != TypePunchPeer && Type != TypeProbeSeen))
            {
                return null;
            }

            if (AddressLength == 4)
            {
                return _buffer[AddressOffset].ToString() + "." + _buffer[AddressOffset + 1].ToString() + "."
                    + _buffer[AddressOffset + 2].ToString() + "." + _buffer[AddressOffset + 3].ToString();
            }

            // IPv6: eight groups of hex, uncompressed; every parser reads this form.
            const string digits = "0123456789abcdef";
            char[] text = new char[39];
            int at = 0;
            for (int group = 0; group < 8; group++)
            {
                if (group > 0)
                {
                    text[at++] = ':';
                }

                int value = (_buffer[AddressOffset + 2 * group] << 8) | _buffer[AddressOffset + 2 * group + 1];
                text[at++] = digits[(value >> 12) & 0xF];
                text[at++] = digits[(value >> 8) & 0xF];
                text[at++] = digits[(value >> 4) & 0xF];
                text[at++] = digits[value & 0xF];
            }

            return new string(text);
        }

        private static void WriteHeader(byte[] buffer, byte type, int length)
        {
            if (buffer == null || buffer.Length < length)
            {
                throw new ArgumentException("the buffer is too short", nameof(buffer));
            }

            buffer[0] = Magic0;
            buffer[1] = Magic1;
            buffer[2] = Magic2;
            buffer[3] = Version;
            buffer[4] = type;
        }
    }
}
