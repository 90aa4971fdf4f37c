using System.Numerics;

namespace PeerGate.Interpreter.Tests;

/// <summary>
/// RFC 7748 §5 written out with BigInteger, straight from the RFC's pseudo-code: slow, obviously correct, and
/// independent of the limb arithmetic it checks.
/// </summary>
internal static class ReferenceX25519
{
    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;
    private static readonly BigInteger A24 = 121665;

    public static byte[] ScalarMult(byte[] scalar, byte[] u)
    {
        byte[] k = (byte[])scalar.Clone();
        k[0] &= 248;
        k[31] &= 127;
        k[31] |= 64;
        byte[] uBytes = (byte[])u.Clone();
        uBytes[31] &= 127;

        BigInteger kk = new(k, isUnsigned: true, isBigEndian: false);
        BigInteger x1 = new BigInteger(uBytes, isUnsigned: true, isBigEndian: false) % P;
        BigInteger x2 = 1, z2 = 0, x3 = x1, z3 = 1;
        int swap = 0;
        for (int t = 254; t >= 0; t--)
        {
            int kt = (int)((kk >> t) & 1);
            swap ^= kt;
            if (swap == 1)
            {
                (x2, x3) = (x3, x2);
                (z2, z3) = (z3, z2);
            }

            swap = kt;
            BigInteger a = (x2 + z2) % P, aa = a * a % P, b = Mod(x2 - z2), bb = b * b % P, e = Mod(aa - bb);
            BigInteger c = (x3 + z3) % P, d = Mod(x3 - z3), da = d * a % P, cb = c * b % P;
            x3 = BigInteger.ModPow(da + cb, 2, P);
            z3 = x1 * BigInteger.ModPow(Mod(da - cb), 2, P) % P;
            x2 = aa * bb % P;
            z2 = e * ((aa + A24 * e) % P) % P;
        }

        if (swap == 1)
        {
            (x2, x3) = (x3, x2);
            (z2, z3) = (z3, z2);
        }

        BigInteger result = x2 * BigInteger.ModPow(z2, P - 2, P) % P;
        byte[] encoded = new byte[32];
        result.TryWriteBytes(encoded, out _, isUnsigned: true, isBigEndian: false);
        return encoded;
    }

    private static BigInteger Mod(BigInteger value) => ((value % P) + P) % P;
}
