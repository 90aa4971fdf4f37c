using PeerGate.Interpreter.Crypto;
using PeerGate.Interpreter.Handshake;

namespace PeerGate.Interpreter.Vectors
{
    /// <summary>
    /// The published vectors the managed crypto must reproduce before any of its timings mean anything: FIPS 180-4
    /// (SHA-256), RFC 4231 (HMAC-SHA256), RFC 5869 (HKDF), RFC 7748 §5.2 and §6.1 (X25519), FIPS 197 C.3 and
    /// SP 800-38A F.2.5/F.2.6 (AES-256, CBC-AES256); and the handshake's own
    /// properties (both sides agree; a wrong session key or static key is refused). Runs the same on .NET and on
    /// the interpreter.
    /// </summary>
    public static class KnownAnswers
    {
        /// <summary>How many checks <see cref="Run"/> makes; the interpreter test requires exactly this many passed.</summary>
        public const int Count = 28;

        public static void Run(CheckLog log)
        {
            try
            {
                Sha256Vectors(log);
                HmacVectors(log);
                HkdfVector(log);
                AesVectors(log);
                X25519Vectors(log);
                HandshakeChecks(log);
            }
            catch (System.Exception e)
            {
                log.Threw("known answers", e);
            }
        }

        private static void Sha256Vectors(CheckLog log)
        {
            log.Equal("sha256 abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Sha256.Hash(Hex.Ascii("abc")));
            log.Equal("sha256 empty", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Sha256.Hash(new byte[0]));
            log.Equal("sha256 448-bit", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
                Sha256.Hash(Hex.Ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")));

            // The same 448-bit message fed in uneven pieces: the incremental path must agree with the one-shot one.
            byte[] message = Hex.Ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
            Sha256 sha = new Sha256();
            sha.Update(message, 0, 1);
            sha.Update(message, 1, 20);
            sha.Update(message, 21, message.Length - 21);
            byte[] digest = new byte[Sha256.HashSize];
            sha.Final(digest, 0);
            log.Equal("sha256 448-bit in pieces", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", digest);
        }

        /// <summary>FIPS 197 appendix C.3 (AES-256 one block) and SP 800-38A F.2.5/F.2.6 (CBC-AES256, four blocks).</summary>
        public static void AesVectors(CheckLog log)
        {
            byte[] key = Hex.Decode("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
            Aes256 aes = new Aes256(key);
            byte[] block = new byte[Aes256.BlockSize];
            aes.EncryptBlock(Hex.Decode("00112233445566778899aabbccddeeff"), 0, block, 0);
            log.Equal("aes256 fips197 c.3 encrypt", "8ea2b7ca516745bfeafc49904b496089", block);
            aes.DecryptBlock(block, 0, block, 0);
            log.Equal("aes256 fips197 c.3 decrypt", "00112233445566778899aabbccddeeff", block);

            byte[] cbcKey = Hex.Decode("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
            byte[] iv = Hex.Decode("000102030405060708090a0b0c0d0e0f");
            byte[] plain = Hex.Decode("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                + "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
            const string Cipher = "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
                + "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b";
            byte[] buffer = new byte[plain.Length];
            Aes256.EncryptCbc(cbcKey, iv, plain, 0, plain.Length, buffer, 0);
            log.Equal("aes256 sp800-38a f.2.5 cbc encrypt", Cipher, buffer);
            Aes256.DecryptCbc(cbcKey, iv, buffer, 0, buffer.Length, buffer, 0);
            log.Equal("aes256 sp800-38a f.2.6 cbc decrypt in place", Hex.Encode(plain), buffer);
        }

        public static void HmacVectors(CheckLog log)
        {
            log.Equal("hmac rfc4231 1", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                HmacSha256.Compute(Hex.Repeat(0x0b, 20), Hex.Ascii("Hi There")));
            log.Equal("hmac rfc4231 2", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                HmacSha256.Compute(Hex.Ascii("Jefe"), Hex.Ascii("what do ya want for nothing?")));
            log.Equal("hmac rfc4231 3", "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
                HmacSha256.Compute(Hex.Repeat(0xaa, 20), Hex.Repeat(0xdd, 50)));
            log.Equal("hmac rfc4231 4", "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
                HmacSha256.Compute(Hex.Decode("0102030405060708090a0b0c0d0e0f10111213141516171819"), Hex.Repeat(0xcd, 50)));
            log.Equal("hmac rfc4231 6", "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                HmacSha256.Compute(Hex.Repeat(0xaa, 131), Hex.Ascii("Test Using Larger Than Block-Size Key - Hash Key First")));
            log.Equal("hmac rfc4231 7", "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
                HmacSha256.Compute(Hex.Repeat(0xaa, 131), Hex.Ascii(
                    "This is a test using a larger than block-size key and a larger than block-size data. "
                    + "The key needs to be hashed before being used by the HMAC algorithm.")));

            // One keyed instance reused for a second message gives the same tag as a fresh one (the frame layer reuses it).
            HmacSha256 mac = new HmacSha256(Hex.Ascii("Jefe"));
            byte[] tag = new byte[HmacSha256.TagSize];
            byte[] data = Hex.Ascii("what do ya want for nothing?");
            mac.Update(data, 0, data.Length);
            mac.Final(tag, 0);
            mac.Update(data, 0, data.Length);
            mac.Final(tag, 0);
            log.Equal("hmac reused instance", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", tag);
        }

        private static void HkdfVector(CheckLog log)
        {
            byte[] prk = Hkdf.Extract(Hex.Decode("000102030405060708090a0b0c"), Hex.Repeat(0x0b, 22));
            log.Equal("hkdf rfc5869 1 prk", "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", prk);
            log.Equal("hkdf rfc5869 1 okm",
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
                Hkdf.Expand(prk, Hex.Decode("f0f1f2f3f4f5f6f7f8f9"), 42));
        }

        private static void X25519Vectors(CheckLog log)
        {
            X25519 curve = new X25519();
            log.Equal("x25519 rfc7748 5.2 vector 1", "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
                curve.ScalarMult(
                    Hex.Decode("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                    Hex.Decode("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")));
            log.Equal("x25519 rfc7748 5.2 vector 2", "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
                curve.ScalarMult(
                    Hex.Decode("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
                    Hex.Decode("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493")));
            log.Equal("x25519 rfc7748 5.2 one iteration", "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079",
                curve.ScalarMult(X25519.BasePoint(), X25519.BasePoint()));

            byte[] alice = Hex.Decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
            byte[] bob = Hex.Decode("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
            byte[] alicePublic = curve.PublicKey(alice);
            byte[] bobPublic = curve.PublicKey(bob);
            log.Equal("x25519 rfc7748 6.1 alice public", "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", alicePublic);
            log.Equal("x25519 rfc7748 6.1 bob public", "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", bobPublic);
            log.Equal("x25519 rfc7748 6.1 shared (alice)", "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
                curve.ScalarMult(alice, bobPublic));
            log.Equal("x25519 rfc7748 6.1 shared (bob)", "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
                curve.ScalarMult(bob, alicePublic));

            // u = 0 is a low-order point: the result is all zero, which the handshake refuses.
            log.True("x25519 low-order point gives zero", X25519.IsAllZero(curve.ScalarMult(alice, new byte[X25519.KeySize])));
        }

        private static void HandshakeChecks(CheckLog log)
        {
            X25519 curve = new X25519();
            byte[] callerStatic = Sha256.Hash(Hex.Ascii("caller static"));
            byte[] calleeStatic = Sha256.Hash(Hex.Ascii("callee static"));
            byte[] sessionKey = Sha256.Hash(Hex.Ascii("server-issued session key"));

            HandshakeRun run = HandshakeRun.Both(curve, callerStatic, calleeStatic, sessionKey, sessionKey, 1);
            log.True("handshake both sides agree", run.Agreed);

            HandshakeRun wrongKey = HandshakeRun.Both(curve, callerStatic, calleeStatic, sessionKey, Sha256.Hash(sessionKey), 2);
            log.True("handshake refuses another session key", !wrongKey.FirstAccepted);

            byte[] impostor = Sha256.Hash(Hex.Ascii("not the caller"));
            HandshakeRun wrongStatic = HandshakeRun.Impersonating(curve, impostor, callerStatic, calleeStatic, sessionKey, 3);
            log.True("handshake refuses another caller static key", !wrongStatic.FirstAccepted);
        }
    }
}
