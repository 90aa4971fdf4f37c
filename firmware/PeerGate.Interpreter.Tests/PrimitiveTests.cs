using System.Security.Cryptography;
using PeerGate.Interpreter.Crypto;
using PeerGate.Interpreter.Vectors;

namespace PeerGate.Interpreter.Tests;

/// <summary>
/// The managed SHA-256, HMAC-SHA256, HKDF, AES-256-CBC and X25519 on .NET: the published vectors (the same checks the
/// interpreter runs), then System.Security.Cryptography, and for X25519 an independent BigInteger ladder, over
/// many random inputs.
/// </summary>
[TestClass]
public sealed class PrimitiveTests
{
    [TestMethod]
    public void EveryPublishedVectorPasses()
    {
        var log = new CheckLog();

        KnownAnswers.Run(log);

        Assert.AreEqual(0, log.Failed, string.Join(Environment.NewLine, log.Failures.Cast<string>()));
        Assert.AreEqual(KnownAnswers.Count, log.Passed);
    }

    [TestMethod]
    public void Aes256CbcMatchesTheFrameworkForRandomKeysIvsAndLengths()
    {
        var random = new Random(197);
        for (int blocks = 0; blocks <= 20; blocks++)
        {
            byte[] key = new byte[32];
            byte[] iv = new byte[16];
            byte[] plain = new byte[blocks * 16];
            random.NextBytes(key);
            random.NextBytes(iv);
            random.NextBytes(plain);
            using var aes = Aes.Create();
            aes.Key = key;

            byte[] cipher = new byte[plain.Length];
            Aes256.EncryptCbc(key, iv, plain, 0, plain.Length, cipher, 0);
            CollectionAssert.AreEqual(aes.EncryptCbc(plain, iv, PaddingMode.None), cipher, $"{blocks} blocks");

            byte[] back = new byte[cipher.Length + 3];
            Aes256.DecryptCbc(key, iv, cipher, 0, cipher.Length, back, 3);
            CollectionAssert.AreEqual(plain, back[3..], $"{blocks} blocks back");
        }
    }

    [TestMethod]
    public void Sha256MatchesTheFrameworkAcrossBlockBoundariesAndUnevenPieces()
    {
        var random = new Random(180_4);
        for (int length = 0; length <= 300; length++)
        {
            byte[] data = new byte[length];
            random.NextBytes(data);

            CollectionAssert.AreEqual(SHA256.HashData(data), Sha256.Hash(data), $"length {length}");

            var sha = new Sha256();
            int offset = 0;
            while (offset < length)
            {
                int piece = Math.Min(random.Next(1, 90), length - offset);
                sha.Update(data, offset, piece);
                offset += piece;
            }

            byte[] digest = new byte[32];
            sha.Final(digest, 0);
            CollectionAssert.AreEqual(SHA256.HashData(data), digest, $"length {length} in pieces");
        }
    }

    [TestMethod]
    public void Sha256OfAMillionAs()
    {
        byte[] data = Hex.Repeat((byte)'a', 1_000_000);

        Assert.AreEqual("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", Hex.Encode(Sha256.Hash(data)));
    }

    [TestMethod]
    public void HmacMatchesTheFrameworkForKeysAroundTheBlockSize()
    {
        var random = new Random(4231);
        foreach (int keyLength in new[] { 0, 1, 20, 31, 32, 63, 64, 65, 131, 200 })
        {
            foreach (int dataLength in new[] { 0, 1, 55, 56, 64, 1024 })
            {
                byte[] key = new byte[keyLength];
                byte[] data = new byte[dataLength];
                random.NextBytes(key);
                random.NextBytes(data);

                CollectionAssert.AreEqual(HMACSHA256.HashData(key, data), HmacSha256.Compute(key, data), $"key {keyLength}, data {dataLength}");
            }
        }
    }

    [TestMethod]
    public void HkdfMatchesTheFramework()
    {
        var random = new Random(5869);
        foreach (int length in new[] { 1, 32, 42, 64, 96, 255 })
        {
            byte[] ikm = new byte[32];
            byte[] salt = new byte[length % 2 == 0 ? 32 : 13];
            byte[] info = new byte[length % 3];
            random.NextBytes(ikm);
            random.NextBytes(salt);
            random.NextBytes(info);

            byte[] expected = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, length, salt, info);

            CollectionAssert.AreEqual(expected, Hkdf.Expand(Hkdf.Extract(salt, ikm), info, length), $"length {length}");
        }

        // Empty salt means a block of zeros (RFC 5869 §2.2), as Noise's first MixKey never needs but a caller might.
        CollectionAssert.AreEqual(HKDF.Extract(HashAlgorithmName.SHA256, [1, 2, 3], []), Hkdf.Extract(new byte[0], [1, 2, 3]));
    }

    [TestMethod]
    public void X25519ThousandIterationsOfRfc7748()
    {
        var curve = new X25519();
        byte[] k = X25519.BasePoint();
        byte[] u = X25519.BasePoint();
        for (int i = 0; i < 1000; i++)
        {
            byte[] next = curve.ScalarMult(k, u);
            u = k;
            k = next;
        }

        Assert.AreEqual("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51", Hex.Encode(k));
    }

    [TestMethod]
    public void X25519MatchesAnIndependentLadderForRandomAndEdgeInputs()
    {
        var random = new Random(7748);
        var curve = new X25519();
        var inputs = new List<byte[]>();
        for (int i = 0; i < 40; i++)
        {
            byte[] u = new byte[32];
            random.NextBytes(u);
            inputs.Add(u);
        }

        // p - 1, p, p + 1 and 2^255 - 1 (non-canonical: RFC 7748 says reduce them), and the top bit set on a small u.
        inputs.Add(Hex.Decode("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"));
        inputs.Add(Hex.Decode("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"));
        inputs.Add(Hex.Decode("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"));
        inputs.Add(Hex.Decode("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"));
        inputs.Add(Hex.Decode("0900000000000000000000000000000000000000000000000000000000000080"));

        foreach (byte[] u in inputs)
        {
            byte[] scalar = new byte[32];
            random.NextBytes(scalar);

            CollectionAssert.AreEqual(ReferenceX25519.ScalarMult(scalar, u), curve.ScalarMult(scalar, u), Hex.Encode(u));
        }
    }

    [TestMethod]
    public void X25519KeysAgreeBothWays()
    {
        var random = new Random(61);
        var curve = new X25519();
        for (int i = 0; i < 20; i++)
        {
            byte[] a = new byte[32];
            byte[] b = new byte[32];
            random.NextBytes(a);
            random.NextBytes(b);

            CollectionAssert.AreEqual(curve.ScalarMult(a, curve.PublicKey(b)), curve.ScalarMult(b, curve.PublicKey(a)));
        }
    }

    [TestMethod]
    public void X25519RefusesWrongSizes()
    {
        var curve = new X25519();

        Assert.ThrowsExactly<ArgumentException>(() => curve.ScalarMult(new byte[31], X25519.BasePoint()));
        Assert.ThrowsExactly<ArgumentException>(() => curve.ScalarMult(new byte[32], new byte[33]));
    }
}
