using System;

namespace PeerGate.Device.Esp32.Security
{
    /// <summary>
    /// Arrays of an exact length, kept for reuse. nanoFramework's Aes and HMACSHA256 take a whole array,
    /// never a range, so a call needs an array exactly as long as its input. A cipher keeps one (a channel
    /// direction's frames in the steady state are of one size); the shared HMAC keeps two (a frame size, and
    /// a keepalive's registration and ack, which differ in length). A length not kept replaces the slot
    /// used least recently, so the memory kept is at most one array per slot.
    /// </summary>
    /// <remarks>Not thread-safe: the owner holds its own lock.</remarks>
    internal sealed class ExactArrays
    {
        private readonly byte[][] _slots;

        public ExactArrays(int slots)
        {
            if (slots < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(slots));
            }

            _slots = new byte[slots][];
        }

        /// <summary>An array of exactly <paramref name="length"/> bytes; callers clear what they wrote before letting go.</summary>
        public byte[] Take(int length)
        {
            int last = _slots.Length - 1;
            int found = last;
            for (int i = 0; i < _slots.Length; i++)
            {
                if (_slots[i] != null && _slots[i].Length == length)
                {
                    found = i;
                    break;
                }
            }

            byte[] array = _slots[found];
            if (array == null || array.Length != length)
            {
                array = new byte[length];
            }

            // Most recent first: the slot at the end is the next to be replaced.
            for (int i = found; i > 0; i--)
            {
                _slots[i] = _slots[i - 1];
            }

            _slots[0] = array;
            return array;
        }

        /// <summary>Wipes and drops every array kept.</summary>
        public void Clear()
        {
            for (int i = 0; i < _slots.Length; i++)
            {
                if (_slots[i] != null)
                {
                    Array.Clear(_slots[i], 0, _slots[i].Length);
                    _slots[i] = null;
                }
            }
        }
    }
}
