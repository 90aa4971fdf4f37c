namespace PeerGate.Interpreter.Crypto
{
    /// <summary>
    /// X25519 (RFC 7748 §5) in managed code. A field element mod p = 2^255 - 19 is 16 limbs of 16 bits, little-endian,
    /// in a long[16]: products of two limbs and their sums stay far inside 64 bits, and the only operations are
    /// long multiply, add, shift and mask, which nanoFramework 1.x has. The ladder runs the same steps whatever the
    /// scalar (swaps by mask, no branch on secret bits). One instance holds its scratch space, so a scalar
    /// multiplication allocates nothing; an instance is not thread-safe.
    /// </summary>
    public sealed class X25519
    {
        public const int KeySize = 32;

        // 2^256 = 2 * 2^255 = 2 * 19 = 38 (mod p): what a carry out of the top limb is worth at the bottom.
        private const long TopCarry = 38;

        private readonly long[] _product = new long[31];
        private readonly long[] _x1 = new long[16];
        private readonly long[] _x2 = new long[16];
        private readonly long[] _z2 = new long[16];
        private readonly long[] _x3 = new long[16];
        private readonly long[] _z3 = new long[16];
        private readonly long[] _a = new long[16];
        private readonly long[] _aa = new long[16];
        private readonly long[] _b = new long[16];
        private readonly long[] _bb = new long[16];
        private readonly long[] _e = new long[16];
        private readonly long[] _c = new long[16];
        private readonly long[] _d = new long[16];
        private readonly long[] _da = new long[16];
        private readonly long[] _cb = new long[16];
        private readonly long[] _t = new long[16];
        private readonly long[] _a24 = new long[16];
        private readonly byte[] _scalar = new byte[KeySize];

        public X25519()
        {
            // a24 = (486662 - 2) / 4 = 121665 = 0x1DB41
            _a24[0] = 0xDB41;
            _a24[1] = 1;
        }

        /// <summary>The u-coordinate 9 of the base point, encoded.</summary>
        public static byte[] BasePoint()
        {
            byte[] point = new byte[KeySize];
            point[0] = 9;
            return point;
        }

        /// <summary>The public key of <paramref name="privateKey"/>: X25519(k, 9).</summary>
        public byte[] PublicKey(byte[] privateKey)
        {
            return ScalarMult(privateKey, BasePoint());
        }

        /// <summary>
        /// X25519(k, u) of RFC 7748: the scalar is clamped, the top bit of u ignored, the result fully reduced.
        /// The caller must refuse an all-zero result (a low-order peer key), as RFC 7748 §6.1 allows.
        /// </summary>
        public byte[] ScalarMult(byte[] scalar, byte[] u)
        {
            if (scalar == null || scalar.Length != KeySize || u == null || u.Length != KeySize)
            {
                throw new System.ArgumentException("X25519 takes a 32-byte scalar and a 32-byte u-coordinate");
            }

            System.Array.Copy(scalar, _scalar, KeySize);
            _scalar[0] &= 248;
            _scalar[31] &= 127;
            _scalar[31] |= 64;

            Decode(_x1, u);
            SetOne(_x2);
            SetZero(_z2);
            Copy(_x3, _x1);
            SetOne(_z3);

            long swap = 0;
            for (int bit = 254; bit >= 0; bit--)
            {
                long kt = (_scalar[bit >> 3] >> (bit & 7)) & 1;
                swap ^= kt;
                Swap(_x2, _x3, swap);
                Swap(_z2, _z3, swap);
                swap = kt;

                Add(_a, _x2, _z2);
                Square(_aa, _a);
                Sub(_b, _x2, _z2);
                Square(_bb, _b);
                Sub(_e, _aa, _bb);
                Add(_c, _x3, _z3);
                Sub(_d, _x3, _z3);
                Mul(_da, _d, _a);
                Mul(_cb, _c, _b);
                Add(_t, _da, _cb);
                Square(_x3, _t);
                Sub(_t, _da, _cb);
                Square(_t, _t);
                Mul(_z3, _x1, _t);
                Mul(_x2, _aa, _bb);
                Mul(_t, _a24, _e);
                Add(_t, _aa, _t);
                Mul(_z2, _e, _t);
            }

            Swap(_x2, _x3, swap);
            Swap(_z2, _z3, swap);

            Invert(_t, _z2);
            Mul(_x2, _x2, _t);
            byte[] result = new byte[KeySize];
            Encode(result, _x2);
            for (int i = 0; i < KeySize; i++)
            {
                _scalar[i] = 0;
            }

            return result;
        }

        /// <summary>True when every byte is zero, without stopping at the first non-zero one.</summary>
        public static bool IsAllZero(byte[] value)
        {
            int acc = 0;
            for (int i = 0; i < value.Length; i++)
            {
                acc |= value[i];
            }

            return acc == 0;
        }

        private static void Decode(long[] element, byte[] encoded)
        {
            for (int i = 0; i < 16; i++)
            {
                element[i] = encoded[2 * i] | ((long)encoded[2 * i + 1] << 8);
            }

            element[15] &= 0x7fff;
        }

        /// <summary>Writes the canonical encoding: fully reduced below p, little-endian.</summary>
        private void Encode(byte[] encoded, long[] element)
        {
            long[] value = _c;
            long[] minusP = _d;
            Copy(value, element);
            Carry(value);
            Carry(value);
            Carry(value);

            // value is now below 2^256 with limbs in [0, 2^16); p may still fit into it twice.
            for (int round = 0; round < 2; round++)
            {
                minusP[0] = value[0] - 0xffed;
                for (int i = 1; i < 15; i++)
                {
                    minusP[i] = value[i] - 0xffff - ((minusP[i - 1] >> 16) & 1);
                    minusP[i - 1] &= 0xffff;
                }

                minusP[15] = value[15] - 0x7fff - ((minusP[14] >> 16) & 1);
                minusP[14] &= 0xffff;
                long borrow = (minusP[15] >> 16) & 1;
                minusP[15] &= 0xffff;

                // Keep value - p unless it went below zero.
                Swap(value, minusP, 1 - borrow);
            }

            for (int i = 0; i < 16; i++)
            {
                encoded[2 * i] = (byte)value[i];
                encoded[2 * i + 1] = (byte)(value[i] >> 8);
            }
        }

        /// <summary>Brings every limb back to [0, 2^16), folding the carry out of the top limb into the bottom one.</summary>
        private static void Carry(long[] element)
        {
            for (int i = 0; i < 16; i++)
            {
                long carry = element[i] >> 16;
                element[i] -= carry << 16;
                if (i < 15)
                {
                    element[i + 1] += carry;
                }
                else
                {
                    element[0] += TopCarry * carry;
                }
            }
        }

        private static void Add(long[] result, long[] a, long[] b)
        {
            for (int i = 0; i < 16; i++)
            {
                result[i] = a[i] + b[i];
            }
        }

        private static void Sub(long[] result, long[] a, long[] b)
        {
            for (int i = 0; i < 16; i++)
            {
                result[i] = a[i] - b[i];
            }
        }

        /// <summary>result = a * b mod p; result may be a or b.</summary>
        private void Mul(long[] result, long[] a, long[] b)
        {
            long[] product = _product;
            for (int i = 0; i < 31; i++)
            {
                product[i] = 0;
            }

            for (int i = 0; i < 16; i++)
            {
                long ai = a[i];
                for (int j = 0; j < 16; j++)
                {
                    product[i + j] += ai * b[j];
                }
            }

            // Limb 16 + k weighs 2^256 * 2^(16k) = 38 * 2^(16k).
            for (int i = 0; i < 15; i++)
            {
                product[i] += TopCarry * product[i + 16];
            }

            for (int i = 0; i < 16; i++)
            {
                result[i] = product[i];
            }

            Carry(result);
            Carry(result);
        }

        private void Square(long[] result, long[] a)
        {
            Mul(result, a, a);
        }

        /// <summary>result = a^(p - 2) = 1 / a (Fermat); p - 2 = 2^255 - 21 has every bit of 0..254 set except 2 and 4.</summary>
        private void Invert(long[] result, long[] a)
        {
            long[] acc = _e;
            Copy(acc, a);
            for (int bit = 253; bit >= 0; bit--)
            {
                Square(acc, acc);
                if (bit != 2 && bit != 4)
                {
                    Mul(acc, acc, a);
                }
            }

            Copy(result, acc);
        }

        /// <summary>Exchanges a and b when swap is 1, leaves them when 0, by the same instructions either way.</summary>
        private static void Swap(long[] a, long[] b, long swap)
        {
            long mask = -swap;
            for (int i = 0; i < 16; i++)
            {
                long t = mask & (a[i] ^ b[i]);
                a[i] ^= t;
                b[i] ^= t;
            }
        }

        private static void Copy(long[] destination, long[] source)
        {
            for (int i = 0; i < 16; i++)
            {
                destination[i] = source[i];
            }
        }

        private static void SetZero(long[] element)
        {
            for (int i = 0; i < 16; i++)
            {
                element[i] = 0;
            }
        }

        private static void SetOne(long[] element)
        {
            SetZero(element);
            element[0] = 1;
        }
    }
}
