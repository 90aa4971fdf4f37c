using System;

namespace PeerGate.Interpreter.Crypto
{
    /// <summary>
    /// AES-256 (FIPS 197) and CBC without padding (SP 800-38A), byte-oriented, for the interpreter, which has no
    /// native Aes. The S-boxes are computed at start rather than typed in. Test code: not constant time (table
    /// look-ups by secret index), which is fine for known vectors and never meant for the board, which uses the
    /// native Aes of nanoFramework.System.Security.Cryptography.
    /// </summary>
    public sealed class Aes256
    {
        public const int KeySize = 32;
        public const int BlockSize = 16;
        private const int Rounds = 14;

        private static readonly byte[] SBox = new byte[256];
        private static readonly byte[] InverseSBox = new byte[256];

        private readonly byte[] _roundKeys = new byte[BlockSize * (Rounds + 1)];
        private readonly byte[] _state = new byte[BlockSize];
        private readonly byte[] _scratch = new byte[BlockSize];

        static Aes256()
        {
            // Walks the multiplicative group by powers of 3: p runs through every non-zero element, q is its inverse.
            int p = 1;
            int q = 1;
            do
            {
                p = (p ^ (p << 1) ^ ((p & 0x80) != 0 ? 0x1B : 0)) & 0xFF;
                q ^= q << 1;
                q ^= q << 2;
                q ^= q << 4;
                q &= 0xFF;
                if ((q & 0x80) != 0)
                {
                    q ^= 0x09;
                }

                int x = q ^ RotateLeft(q, 1) ^ RotateLeft(q, 2) ^ RotateLeft(q, 3) ^ RotateLeft(q, 4);
                SBox[p] = (byte)(x ^ 0x63);
            }
            while (p != 1);

            SBox[0] = 0x63;
            for (int i = 0; i < 256; i++)
            {
                InverseSBox[SBox[i]] = (byte)i;
            }
        }

        public Aes256(byte[] key)
        {
            if (key == null || key.Length != KeySize)
            {
                throw new ArgumentException("AES-256 needs a 32-byte key");
            }

            Array.Copy(key, 0, _roundKeys, 0, KeySize);
            int rcon = 1;
            for (int word = 8; word < 4 * (Rounds + 1); word++)
            {
                int at = (word - 1) * 4;
                int t0 = _roundKeys[at];
                int t1 = _roundKeys[at + 1];
                int t2 = _roundKeys[at + 2];
                int t3 = _roundKeys[at + 3];
                if (word % 8 == 0)
                {
                    int first = t0;
                    t0 = SBox[t1] ^ rcon;
                    t1 = SBox[t2];
                    t2 = SBox[t3];
                    t3 = SBox[first];
                    rcon = Times2(rcon);
                }
                else if (word % 8 == 4)
                {
                    t0 = SBox[t0];
                    t1 = SBox[t1];
                    t2 = SBox[t2];
                    t3 = SBox[t3];
                }

                int back = (word - 8) * 4;
                _roundKeys[word * 4] = (byte)(_roundKeys[back] ^ t0);
                _roundKeys[word * 4 + 1] = (byte)(_roundKeys[back + 1] ^ t1);
                _roundKeys[word * 4 + 2] = (byte)(_roundKeys[back + 2] ^ t2);
                _roundKeys[word * 4 + 3] = (byte)(_roundKeys[back + 3] ^ t3);
            }
        }

        public void EncryptBlock(byte[] input, int inputOffset, byte[] output, int outputOffset)
        {
            byte[] s = _state;
            for (int i = 0; i < BlockSize; i++)
            {
                s[i] = (byte)(input[inputOffset + i] ^ _roundKeys[i]);
            }

            for (int round = 1; round <= Rounds; round++)
            {
                for (int i = 0; i < BlockSize; i++)
                {
                    s[i] = SBox[s[i]];
                }

                ShiftRows(s, _scratch);
                if (round < Rounds)
                {
                    MixColumns(s);
                }

                AddRoundKey(s, round);
            }

            Array.Copy(s, 0, output, outputOffset, BlockSize);
        }

        public void DecryptBlock(byte[] input, int inputOffset, byte[] output, int outputOffset)
        {
            byte[] s = _state;
            for (int i = 0; i < BlockSize; i++)
            {
                s[i] = (byte)(input[inputOffset + i] ^ _roundKeys[Rounds * BlockSize + i]);
            }

            for (int round = Rounds - 1; round >= 0; round--)
            {
                InverseShiftRows(s, _scratch);
                for (int i = 0; i < BlockSize; i++)
                {
                    s[i] = InverseSBox[s[i]];
                }

                AddRoundKey(s, round);
                if (round > 0)
                {
                    InverseMixColumns(s);
                }
            }

            Array.Copy(s, 0, output, outputOffset, BlockSize);
        }

        /// <summary>CBC encryption of whole blocks under a key used once; input and output may be the same range.</summary>
        public static void EncryptCbc(byte[] key, byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
        {
            using (Aes256Cbc cbc = new Aes256Cbc(key))
            {
                cbc.Encrypt(iv, input, offset, count, output, outputOffset);
            }
        }

        /// <summary>CBC decryption of whole blocks under a key used once; input and output may be the same range.</summary>
        public static void DecryptCbc(byte[] key, byte[] iv, byte[] input, int offset, int count, byte[] output, int outputOffset)
        {
            using (Aes256Cbc cbc = new Aes256Cbc(key))
            {
                cbc.Decrypt(iv, input, offset, count, output, outputOffset);
            }
        }

        private void AddRoundKey(byte[] s, int round)
        {
            int at = round * BlockSize;
            for (int i = 0; i < BlockSize; i++)
            {
                s[i] ^= _roundKeys[at + i];
            }
        }

        /// <summary>Row r of the column-major state moves r columns left.</summary>
        private static void ShiftRows(byte[] s, byte[] scratch)
        {
            Array.Copy(s, 0, scratch, 0, BlockSize);
            for (int row = 1; row < 4; row++)
            {
                for (int column = 0; column < 4; column++)
                {
                    s[row + 4 * column] = scratch[row + 4 * ((column + row) % 4)];
                }
            }
        }

        private static void InverseShiftRows(byte[] s, byte[] scratch)
        {
            Array.Copy(s, 0, scratch, 0, BlockSize);
            for (int row = 1; row < 4; row++)
            {
                for (int column = 0; column < 4; column++)
                {
                    s[row + 4 * ((column + row) % 4)] = scratch[row + 4 * column];
                }
            }
        }

        private static void MixColumns(byte[] s)
        {
            for (int c = 0; c < BlockSize; c += 4)
            {
                int a0 = s[c];
                int a1 = s[c + 1];
                int a2 = s[c + 2];
                int a3 = s[c + 3];
                s[c] = (byte)(Times2(a0) ^ Times2(a1) ^ a1 ^ a2 ^ a3);
                s[c + 1] = (byte)(a0 ^ Times2(a1) ^ Times2(a2) ^ a2 ^ a3);
                s[c + 2] = (byte)(a0 ^ a1 ^ Times2(a2) ^ Times2(a3) ^ a3);
                s[c + 3] = (byte)(Times2(a0) ^ a0 ^ a1 ^ a2 ^ Times2(a3));
            }
        }

        private static void InverseMixColumns(byte[] s)
        {
            for (int c = 0; c < BlockSize; c += 4)
            {
                int a0 = s[c];
                int a1 = s[c + 1];
                int a2 = s[c + 2];
                int a3 = s[c + 3];
                s[c] = (byte)(Multiply(a0, 14) ^ Multiply(a1, 11) ^ Multiply(a2, 13) ^ Multiply(a3, 9));
                s[c + 1] = (byte)(Multiply(a0, 9) ^ Multiply(a1, 14) ^ Multiply(a2, 11) ^ Multiply(a3, 13));
                s[c + 2] = (byte)(Multiply(a0, 13) ^ Multiply(a1, 9) ^ Multiply(a2, 14) ^ Multiply(a3, 11));
                s[c + 3] = (byte)(Multiply(a0, 11) ^ Multiply(a1, 13) ^ Multiply(a2, 9) ^ Multiply(a3, 14));
            }
        }

        private static int Times2(int a)
        {
            return ((a << 1) ^ ((a & 0x80) != 0 ? 0x1B : 0)) & 0xFF;
        }

        private static int Multiply(int a, int b)
        {
            int product = 0;
            while (b != 0)
            {
                if ((b & 1) != 0)
                {
                    product ^= a;
                }

                a = Times2(a);
                b >>= 1;
            }

            return product;
        }

        private static int RotateLeft(int x, int shift)
        {
            return ((x << shift) | (x >> (8 - shift))) & 0xFF;
        }
    }
}
