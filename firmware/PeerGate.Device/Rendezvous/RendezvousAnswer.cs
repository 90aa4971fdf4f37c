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
            long deadline = clock.UptimeMillis + waitMillis;
            if (!ReadExactly(connection, clock, deadline, buffer, 0, RendezvousHello.AnswerHeaderLength))
            {
                return false;
            }

            if (buffer[0] != RendezvousHello.Magic0 || buffer[1] != RendezvousHello.Magic1 || buffer[2] != RendezvousHello.Magic2
                || buffer[3] != RendezvousHello.Version || buffer[4] != expectedType)
            {
                return false;
            }

            int length = RendezvousHello.AnswerLength(buffer[RendezvousHello.HeaderLength]);
            if (length < 0 || length > buffer.Length)
            {
                return false;
            }

            return ReadExactly(connection, clock, deadline, buffer, RendezvousHello.AnswerHeaderLength, length - RendezvousHello.AnswerHeaderLength)
                && reader.Read(buffer, length) && reader.Type == expectedType;
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
