using PeerGate.Device.Platform;
using PeerGate.Protocol.Rendezvous;

namespace PeerGate.Device.Rendezvous
{
    /// <summary>Reads the endpoint's answer off a connection: exactly its bytes, never one more.</summary>
    internal static class RendezvousAnswer
    {
        /// <summary>
        /// Reads one answer into <paramref name="buffer"/> (at least <see cref="RendezvousHello.MaxAnswerLength"/>
        /// bytes) within <paramref name="waitMillis"/> on <paramref name="clock"/>; true when it is well-formed
        /// and of <paramref name="expectedType"/>. Any bytes after it stay on the connection (the peer's).
        /// </summary>
        public static bool Read(IPeerConnection connection, IClock clock, int waitMillis, byte[] buffer, RendezvousHello reader, int expectedType)
        {
            return ReadOneOf(connection, clock, clock.UptimeMillis + waitMillis, buffer, reader, expectedType, expectedType, expectedType) == expectedType;
        }

        /// <summary>
        /// Reads one answer before <paramref name="deadline"/> as <see cref="Read"/> does, of any of three
        /// types (repeat one to expect fewer); its type, or -1 when none came or it is malformed or of another type.
        /// </summary>
        public static int ReadOneOf(IPeerConnection connection, IClock clock, long deadline, byte[] buffer, RendezvousHello reader, int typeA, int typeB, int typeC)
        {
            if (!ReadExactly(connection, clock, deadline, buffer, 0, RendezvousHello.AnswerHeaderLength))
            {
                return -1;
            }

            int type = buffer[4];
            if (buffer[0] != RendezvousHello.Magic0 || buffer[1] != RendezvousHello.Magic1 || buffer[2] != RendezvousHello.Magic2
                || buffer[3] != RendezvousHello.Version || (type != typeA && type != typeB && type != typeC))
            {
                return -1;
            }

            int length = RendezvousHello.AnswerLength(buffer[RendezvousHello.HeaderLength]);
            if (length < 0 || length > buffer.Length)
            {
                return -1;
            }

            bool read = ReadExactly(connection, clock, deadline, buffer, RendezvousHello.AnswerHeaderLength, length - RendezvousHello.AnswerHeaderLength)
                && reader.Read(buffer, length) && reader.Type == type;
            return read ? type : -1;
        }

        /// <summary>Exactly <paramref name="count"/> bytes before <paramref name="deadline"/>; false on close or timeout.</summary>
        public static bool ReadExactly(IPeerConnection connection, IClock clock, long deadline, byte[] buffer, int offset, int count)
        {
            while (count > 0)
            {
                long left = deadline - clock.UptimeMillis;
                if (left <= 0)
                {
                    return false;
                }

                int read = connection.Read(buffer, offset, count, left > int.MaxValue ? int.MaxValue : (int)left);
                if (read == 0)
                {
                    return false;
                }

                if (read > 0)
                {
                    offset += read;
                    count -= read;
                }
            }

            return true;
        }
    }
}
