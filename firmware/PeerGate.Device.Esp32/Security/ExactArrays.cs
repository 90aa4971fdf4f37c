using System;

namespace PeerGate.Device.Esp32.Security
{
    /// <summary>
    /// Arrays of an exact length, kept for reuse. nanoFramework's Aes and HMACSHA256 take a whole array,
    /// never a range, so a call needs an array exactly as long as its input. Two slots cover the steady
    /// state: frames of one size in a channel direction, and a keepalive's registration and its ack,
    /// which differ in length. A third length replaces the slot used less recently.
    /// </summary>
    /// <remarks>Not thread-safe: the owner holds its own lock or is used by one thread.</remarks>
    internal sealed class ExactArrays
    {
        private byte[] _recent;
        private byte[] _older;

        /// <summary>An array of exactly <paramref name="length"/> bytes; its contents are whatever the last user left (callers clear it).</summary>
        public byte[] Take(int length)
        {
            if (_recent != null && _recent.Length == length)
            {
                return _recent;
            }

            byte[] found = _older != null && _older.Length == length ? _older : null;
            if (found == null)
            {
                if (_older != null)
                {
                    Array.Clear(_older, 0, _older.Length);
                }

                found = new byte[length];
            }

            _older = _recent;
            _recent = found;
            return found;
        }

        /// <summary>Wipes and drops both arrays.</summary>
        public void Clear()
        {
            if (_recent != null)
            {
                Array.Clear(_recent, 0, _recent.Length);
            }

            if (_older != null)
            {
                Array.Clear(_older, 0, _older.Length);
            }

            _recent = null;
            _older = null;
        }
    }
}
