namespace PeerGate.Protocol.Peer
{
    /// <summary>
    /// The one bounds-checked reader for peer frames and handshake messages: every read checks the
    /// bytes are there first and throws <see cref="FrameException"/> (frame_malformed) if not. It reads
    /// the caller's buffer in place and can be pointed at a new range without allocating.
    /// </summary>
    public class FrameReader
    {
        private byte[] _buffer;
        private int _position;
        private int _end;

        public FrameReader()
        {
        }

        public FrameReader(byte[] buffer, int offset, int count)
        {
            Reset(buffer, offset, count);
        }

        /// <summary>Bytes left to read.</summary>
        public int Remaining
        {
            get { return _end - _position; }
        }

        /// <summary>Index of the next byte in the buffer.</summary>
        public int Position
        {
            get { return _position; }
        }

        public void Reset(byte[] buffer, int offset, int count)
        {
            if (buffer == null || offset < 0 || count < 0 || offset + count > buffer.Length)
            {
                throw new System.ArgumentOutOfRangeException(nameof(count));
            }

            _buffer = buffer;
            _position = offset;
            _end = offset + count;
        }

        public int ReadByte()
        {
            EnsureAvailable(1);
            return _buffer[_position++];
        }

        /// <summary>Four bytes, big-endian, as a non-negative long (0 .. 2^32-1).</summary>
        public long ReadUInt32()
        {
            EnsureAvailable(4);
            long value = ((long)_buffer[_position] << 24)
                | ((long)_buffer[_position + 1] << 16)
                | ((long)_buffer[_position + 2] << 8)
                | _buffer[_position + 3];
            _position += 4;
            return value;
        }

        public void ReadBytes(byte[] destination, int offset, int count)
        {
            EnsureAvailable(count);
            System.Array.Copy(_buffer, _position, destination, offset, count);
            _position += count;
        }

        /// <summary>A length byte, bounded by <paramref name="maxLength"/>, then that many printable ASCII characters.</summary>
        public string ReadShortAscii(int maxLength, string what)
        {
            int length = ReadByte();
            if (length == 0 || length > maxLength)
            {
                throw FrameException.Malformed(what + " must be 1.." + maxLength.ToString() + " characters");
            }

            EnsureAvailable(length);
            char[] chars = new char[length];
            for (int i = 0; i < length; i++)
            {
                byte b = _buffer[_position + i];
                if (b < 0x21 || b > 0x7E)
                {
                    throw FrameException.Malformed(what + " is not printable ASCII");
                }

                chars[i] = (char)b;
            }

            _position += length;
            return new string(chars);
        }

        public void Skip(int count)
        {
            EnsureAvailable(count);
            _position += count;
        }

        /// <summary>Throws unless the whole range has been read: trailing bytes are as wrong as missing ones.</summary>
        public void EnsureEnd(string what)
        {
            if (_position != _end)
            {
                throw FrameException.Malformed(what + " has trailing bytes");
            }
        }

        private void EnsureAvailable(int count)
        {
            if (count < 0 || _end - _position < count)
            {
                throw FrameException.Malformed("truncated: needed " + count.ToString() + " bytes, " + (_end - _position).ToString() + " left");
            }
        }
    }
}
