using System.Security.Cryptography;
using System.Text;
using PeerGate.Interpreter.Crypto;
using PeerGate.Interpreter.Handshake;

namespace PeerGate.Interpreter.Tests;

/// <summary>
/// The KKpsk0 handshake of docs/security.md ("End-to-end key agreement"): both sides agree only with the server's
/// session key and each other's vouched-for static keys, a changed message is refused, and the key schedule is the
/// one the document writes down (recomputed here with System.Security.Cryptography and the BigInteger ladder).
/// </summary>
[TestClass]
public sealed class HandshakeTests
{
    private static readonly byte[] Prologue = Encoding.ASCII.GetBytes("PeerGate-e2e-v1 session-7 caller-a callee-b");
    private static readonly byte[] CallerStatic = SHA256.HashData(Encoding.ASCII.GetBytes("caller static"));
    private static readonly byte[] CalleeStatic = SHA256.HashData(Encoding.ASCII.GetBytes("callee static"));
    private static readonly byte[] SessionKey = SHA256.HashData(Encoding.ASCII.GetBytes("session key"));
    private static readonly byte[] CallerEphemeral = SHA256.HashData(Encoding.ASCII.GetBytes("caller ephemeral"));
    private static readonly byte[] CalleeEphemeral = SHA256.HashData(Encoding.ASCII.GetBytes("callee ephemeral"));

    private readonly X25519 _curve = new();

    [TestMethod]
    public void BothSidesDeriveTheSameDistinctKeysAndTranscript()
    {
        (KkPsk0Handshake caller, KkPsk0Handshake callee) = Pair(SessionKey, SessionKey);

        byte[] first = caller.WriteFirst(CallerEphemeral);
        Assert.AreEqual(64, first.Length);
        Assert.IsTrue(callee.ReadFirst(first));
        byte[] second = callee.WriteSecond(CalleeEphemeral);
        Assert.AreEqual(64, second.Length);
        Assert.IsTrue(caller.ReadSecond(second));

        CollectionAssert.AreEqual(caller.CallerToCalleeKey, callee.CallerToCalleeKey);
        CollectionAssert.AreEqual(caller.CalleeToCallerKey, callee.CalleeToCallerKey);
        CollectionAssert.AreEqual(caller.HandshakeHash, callee.HandshakeHash);
        CollectionAssert.AreNotEqual(caller.CallerToCalleeKey, caller.CalleeToCallerKey);
        CollectionAssert.AreNotEqual(SessionKey, caller.CallerToCalleeKey);
        Assert.AreEqual(5, caller.ScalarMultiplications);
        Assert.AreEqual(5, callee.ScalarMultiplications);
    }

    [TestMethod]
    public void KeyScheduleIsTheDocumentedOne()
    {
        (KkPsk0Handshake caller, KkPsk0Handshake callee) = Pair(SessionKey, SessionKey);
        byte[] first = caller.WriteFirst(CallerEphemeral);
        Assert.IsTrue(callee.ReadFirst(first));
        byte[] second = callee.WriteSecond(CalleeEphemeral);
        Assert.IsTrue(caller.ReadSecond(second));

        var expected = new DocumentedSchedule(Prologue, Pub(CallerStatic), Pub(CalleeStatic), SessionKey);
        byte[] callerEphemeralPublic = Pub(CallerEphemeral);
        byte[] calleeEphemeralPublic = Pub(CalleeEphemeral);
        expected.MixKeyAndHash(SessionKey);
        expected.MixHash(callerEphemeralPublic);
        expected.MixKey(callerEphemeralPublic);
        expected.MixKey(ReferenceX25519.ScalarMult(CallerEphemeral, Pub(CalleeStatic)));
        expected.MixKey(ReferenceX25519.ScalarMult(CallerStatic, Pub(CalleeStatic)));
        byte[] firstTag = expected.Tag();
        expected.MixHash(calleeEphemeralPublic);
        expected.MixKey(calleeEphemeralPublic);
        expected.MixKey(ReferenceX25519.ScalarMult(CalleeEphemeral, callerEphemeralPublic));
        expected.MixKey(ReferenceX25519.ScalarMult(CalleeEphemeral, Pub(CallerStatic)));
        byte[] secondTag = expected.Tag();
        (byte[] callerToCallee, byte[] calleeToCaller) = expected.Split();

        CollectionAssert.AreEqual(callerEphemeralPublic.Concat(firstTag).ToArray(), first);
        CollectionAssert.AreEqual(calleeEphemeralPublic.Concat(secondTag).ToArray(), second);
        CollectionAssert.AreEqual(callerToCallee, caller.CallerToCalleeKey);
        CollectionAssert.AreEqual(calleeToCaller, caller.CalleeToCallerKey);
        CollectionAssert.AreEqual(expected.Hash, caller.HandshakeHash);
    }

    [TestMethod]
    public void ACalleeWithAnotherSessionKeyRefusesTheFirstMessage()
    {
        (KkPsk0Handshake caller, KkPsk0Handshake callee) = Pair(SessionKey, SHA256.HashData(SessionKey));

        Assert.IsFalse(callee.ReadFirst(caller.WriteFirst(CallerEphemeral)));
    }

    [TestMethod]
    public void ACallerWithoutTheVouchedStaticKeyIsRefused()
    {
        // The impostor knows the session key (as the server does) but not the caller's static private key.
        byte[] impostor = SHA256.HashData(Encoding.ASCII.GetBytes("impostor"));
        var caller = new KkPsk0Handshake(true, impostor, Pub(CallerStatic), Pub(CalleeStatic), SessionKey, Prologue, _curve);
        var callee = new KkPsk0Handshake(false, CalleeStatic, Pub(CalleeStatic), Pub(CallerStatic), SessionKey, Prologue, _curve);

        Assert.IsFalse(callee.ReadFirst(caller.WriteFirst(CallerEphemeral)));
    }

    [TestMethod]
    public void ACalleeWithoutTheVouchedStaticKeyIsRefused()
    {
        byte[] impostor = SHA256.HashData(Encoding.ASCII.GetBytes("impostor"));
        var caller = new KkPsk0Handshake(true, CallerStatic, Pub(CallerStatic), Pub(CalleeStatic), SessionKey, Prologue, _curve);
        var callee = new KkPsk0Handshake(false, impostor, Pub(CalleeStatic), Pub(CallerStatic), SessionKey, Prologue, _curve);

        // es and ss use the callee's static key, so the impostor cannot even read message 1.
        Assert.IsFalse(callee.ReadFirst(caller.WriteFirst(CallerEphemeral)));
    }

    [TestMethod]
    public void AnotherPrologueIsRefused()
    {
        var caller = new KkPsk0Handshake(true, CallerStatic, Pub(CallerStatic), Pub(CalleeStatic), SessionKey, Prologue, _curve);
        var callee = new KkPsk0Handshake(false, CalleeStatic, Pub(CalleeStatic), Pub(CallerStatic), SessionKey,
            Encoding.ASCII.GetBytes("PeerGate-e2e-v1 session-8 caller-a callee-b"), _curve);

        Assert.IsFalse(callee.ReadFirst(caller.WriteFirst(CallerEphemeral)));
    }

    [TestMethod]
    public void EveryChangedByteOfEitherMessageIsRefused()
    {
        for (int index = 0; index < KkPsk0Handshake.MessageSize; index++)
        {
            (KkPsk0Handshake caller, KkPsk0Handshake callee) = Pair(SessionKey, SessionKey);
            byte[] first = caller.WriteFirst(CallerEphemeral);
            first[index] ^= 0x01;
            Assert.IsFalse(callee.ReadFirst(first), $"message 1 byte {index}");

            (caller, callee) = Pair(SessionKey, SessionKey);
            Assert.IsTrue(callee.ReadFirst(caller.WriteFirst(CallerEphemeral)));
            byte[] second = callee.WriteSecond(CalleeEphemeral);
            second[index] ^= 0x01;
            Assert.IsFalse(caller.ReadSecond(second), $"message 2 byte {index}");
            Assert.IsNull(caller.CallerToCalleeKey);
        }
    }

    [TestMethod]
    public void ALowOrderEphemeralIsRefused()
    {
        (KkPsk0Handshake caller, KkPsk0Handshake callee) = Pair(SessionKey, SessionKey);
        byte[] first = caller.WriteFirst(CallerEphemeral);
        Array.Clear(first, 0, 32); // u = 0: every DH with it is zero

        Assert.IsFalse(callee.ReadFirst(first));
    }

    [TestMethod]
    public void WrongSizesAndStepsOutOfOrderAreRefused()
    {
        (KkPsk0Handshake caller, KkPsk0Handshake callee) = Pair(SessionKey, SessionKey);

        Assert.IsFalse(callee.ReadFirst(new byte[63]));
        Assert.ThrowsExactly<InvalidOperationException>(() => callee.WriteSecond(CalleeEphemeral));
        Assert.ThrowsExactly<InvalidOperationException>(() => caller.ReadSecond(new byte[64]));
        Assert.ThrowsExactly<ArgumentException>(() => new KkPsk0Handshake(true, CallerStatic, Pub(CallerStatic), Pub(CalleeStatic), new byte[16], Prologue, _curve));
    }

    private (KkPsk0Handshake Caller, KkPsk0Handshake Callee) Pair(byte[] callerPsk, byte[] calleePsk) =>
        (new KkPsk0Handshake(true, CallerStatic, Pub(CallerStatic), Pub(CalleeStatic), callerPsk, Prologue, _curve),
         new KkPsk0Handshake(false, CalleeStatic, Pub(CalleeStatic), Pub(CallerStatic), calleePsk, Prologue, _curve));

    private static byte[] Pub(byte[] privateKey) => ReferenceX25519.ScalarMult(privateKey, X25519.BasePoint());

    /// <summary>docs/security.md's schedule with the framework's SHA-256, HMAC and HKDF.</summary>
    private sealed class DocumentedSchedule
    {
        private byte[] _ck;
        private byte[] _k = [];

        public DocumentedSchedule(byte[] prologue, byte[] callerPublic, byte[] calleePublic, byte[] psk)
        {
            byte[] name = Encoding.ASCII.GetBytes("PeerGate_KKpsk0_25519_SHA256_v1");
            Hash = new byte[32];
            name.CopyTo(Hash, 0);
            _ck = (byte[])Hash.Clone();
            MixHash(prologue);
            MixHash(callerPublic);
            MixHash(calleePublic);
            _ = psk;
        }

        public byte[] Hash { get; private set; }

        public void MixHash(byte[] data) => Hash = SHA256.HashData([.. Hash, .. data]);

        public void MixKey(byte[] ikm)
        {
            byte[] output = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 64, _ck, []);
            _ck = output[..32];
            _k = output[32..];
        }

        public void MixKeyAndHash(byte[] ikm)
        {
            byte[] output = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 96, _ck, []);
            _ck = output[..32];
            MixHash(output[32..64]);
            _k = output[64..];
        }

        public byte[] Tag()
        {
            byte[] tag = HMACSHA256.HashData(_k, Hash);
            MixHash(tag);
            return tag;
        }

        public (byte[], byte[]) Split()
        {
            byte[] output = HKDF.DeriveKey(HashAlgorithmName.SHA256, [], 64, _ck, []);
            return (output[..32], output[32..]);
        }
    }
}
