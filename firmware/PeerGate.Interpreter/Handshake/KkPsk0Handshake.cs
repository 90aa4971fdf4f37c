using PeerGate.Interpreter.Crypto;

namespace PeerGate.Interpreter.Handshake
{
    /// <summary>
    /// The end-to-end key agreement proposed in docs/security.md, for measurement: the Noise KKpsk0 pattern over
    /// X25519 and SHA-256 (HKDF as Noise defines it, i.e. RFC 5869 with the chaining key as salt and empty info).
    ///
    ///   pre-messages   -> s   &lt;- s        (each side's static key, vouched for by the server)
    ///   message 1      -> psk, e, es, ss   (psk = the session key the server issued)
    ///   message 2      &lt;- e, ee, se
    ///
    /// Noise's AEAD is not used: PeerGate's frame layer is AES-256-CBC + HMAC-SHA256. Each message is the sender's
    /// ephemeral public key (32 bytes) and HMAC-SHA256(k, h) (32 bytes), which proves the sender holds the current
    /// key and transcript; the session's frame keys come from Split. One instance is one side of one handshake.
    /// </summary>
    public sealed class KkPsk0Handshake
    {
        public const string ProtocolName = "PeerGate_KKpsk0_25519_SHA256_v1";
        public const int MessageSize = X25519.KeySize + HmacSha256.TagSize;

        private readonly bool _initiator;
        private readonly byte[] _staticPrivate;
        private readonly byte[] _remoteStatic;
        private readonly byte[] _psk;
        private readonly X25519 _curve;
        private byte[] _chainingKey;
        private byte[] _hash;
        private byte[] _key;
        private byte[] _ephemeralPrivate;
        private byte[] _remoteEphemeral;
        private int _step;

        /// <param name="initiator">true for the caller, false for the callee</param>
        /// <param name="prologue">what both sides must agree on without sending it: session ID, both Terminal IDs</param>
        public KkPsk0Handshake(bool initiator, byte[] staticPrivate, byte[] staticPublic, byte[] remoteStaticPublic,
            byte[] psk, byte[] prologue, X25519 curve)
        {
            if (psk == null || psk.Length != 32)
            {
                throw new System.ArgumentException("the pre-shared key is the 32-byte session key");
            }

            _initiator = initiator;
            _staticPrivate = staticPrivate;
            _remoteStatic = remoteStaticPublic;
            _psk = psk;
            _curve = curve;

            byte[] name = Vectors.Hex.Ascii(ProtocolName);
            _hash = new byte[Sha256.HashSize];
            if (name.Length <= Sha256.HashSize)
            {
                System.Array.Copy(name, _hash, name.Length);
            }
            else
            {
                _hash = Sha256.Hash(name);
            }

            _chainingKey = Copy(_hash);
            MixHash(prologue);
            MixHash(initiator ? staticPublic : remoteStaticPublic);
            MixHash(initiator ? remoteStaticPublic : staticPublic);
        }

        /// <summary>Scalar multiplications this side has done (keygen and every DH), for the cost figures.</summary>
        public int ScalarMultiplications { get; private set; }

        /// <summary>After the second message: the key the caller's frames are keyed from (frame-format.md's K, per direction).</summary>
        public byte[] CallerToCalleeKey { get; private set; }

        public byte[] CalleeToCallerKey { get; private set; }

        /// <summary>After the second message: the transcript hash both sides hold (a channel binding).</summary>
        public byte[] HandshakeHash
        {
            get { return _step == 2 ? Copy(_hash) : null; }
        }

        /// <summary>Caller: message 1 with a fresh ephemeral private key (32 random bytes from the device's RNG).</summary>
        public byte[] WriteFirst(byte[] ephemeralPrivate)
        {
            Expect(_initiator, 0);
            MixKeyAndHash(_psk);
            byte[] message = new byte[MessageSize];
            byte[] ephemeralPublic = GenerateEphemeral(ephemeralPrivate);
            System.Array.Copy(ephemeralPublic, message, X25519.KeySize);
            if (!MixDh(_ephemeralPrivate, _remoteStatic) || !MixDh(_staticPrivate, _remoteStatic))
            {
                throw new System.InvalidOperationException("the callee's static key is a low-order point");
            }

            WriteTag(message);
            _step = 1;
            return message;
        }

        /// <summary>Callee: false when message 1 is not from the holder of the caller's static key and this session key.</summary>
        public bool ReadFirst(byte[] message)
        {
            Expect(!_initiator, 0);
            _step = -1;
            if (message == null || message.Length != MessageSize)
            {
                return false;
            }

            MixKeyAndHash(_psk);
            ReadEphemeral(message);
            if (!MixDh(_staticPrivate, _remoteEphemeral) || !MixDh(_staticPrivate, _remoteStatic) || !CheckTag(message))
            {
                return false;
            }

            _step = 1;
            return true;
        }

        /// <summary>Callee: message 2; the session keys are ready once it is written.</summary>
        public byte[] WriteSecond(byte[] ephemeralPrivate)
        {
            Expect(!_initiator, 1);
            byte[] message = new byte[MessageSize];
            byte[] ephemeralPublic = GenerateEphemeral(ephemeralPrivate);
            System.Array.Copy(ephemeralPublic, message, X25519.KeySize);
            if (!MixDh(_ephemeralPrivate, _remoteEphemeral) || !MixDh(_ephemeralPrivate, _remoteStatic))
            {
                throw new System.InvalidOperationException("a low-order key reached the second message");
            }

            WriteTag(message);
            Split();
            return message;
        }

        /// <summary>Caller: false when message 2 is not from the holder of the callee's static key.</summary>
        public bool ReadSecond(byte[] message)
        {
            Expect(_initiator, 1);
            _step = -1;
            if (message == null || message.Length != MessageSize)
            {
                return false;
            }

            ReadEphemeral(message);
            if (!MixDh(_ephemeralPrivate, _remoteEphemeral) || !MixDh(_staticPrivate, _remoteEphemeral) || !CheckTag(message))
            {
                return false;
            }

            Split();
            return true;
        }

        private void Expect(bool role, int step)
        {
            if (!role || _step != step)
            {
                throw new System.InvalidOperationException("handshake step out of order");
            }
        }

        private byte[] GenerateEphemeral(byte[] ephemeralPrivate)
        {
            _ephemeralPrivate = Copy(ephemeralPrivate);
            byte[] ephemeralPublic = _curve.PublicKey(_ephemeralPrivate);
            ScalarMultiplications++;

            // With a psk in the pattern Noise mixes e into the key as well, so message 1 depends on it before any DH.
            MixHash(ephemeralPublic);
            MixKey(ephemeralPublic);
            return ephemeralPublic;
        }

        private void ReadEphemeral(byte[] message)
        {
            _remoteEphemeral = new byte[X25519.KeySize];
            System.Array.Copy(message, _remoteEphemeral, X25519.KeySize);
            MixHash(_remoteEphemeral);
            MixKey(_remoteEphemeral);
        }

        /// <summary>MixKey(DH(private, public)); false for an all-zero result (a low-order public key).</summary>
        private bool MixDh(byte[] privateKey, byte[] publicKey)
        {
            byte[] shared = _curve.ScalarMult(privateKey, publicKey);
            ScalarMultiplications++;
            if (X25519.IsAllZero(shared))
            {
                return false;
            }

            MixKey(shared);
            Wipe(shared);
            return true;
        }

        private void WriteTag(byte[] message)
        {
            byte[] tag = HmacSha256.Compute(_key, _hash);
            System.Array.Copy(tag, 0, message, X25519.KeySize, HmacSha256.TagSize);
            MixHash(tag);
        }

        private bool CheckTag(byte[] message)
        {
            byte[] expected = HmacSha256.Compute(_key, _hash);
            int diff = 0;
            for (int i = 0; i < HmacSha256.TagSize; i++)
            {
                diff |= expected[i] ^ message[X25519.KeySize + i];
            }

            if (diff != 0)
            {
                return false;
            }

            MixHash(expected);
            return true;
        }

        private void MixHash(byte[] data)
        {
            Sha256 sha = new Sha256();
            sha.Update(_hash, 0, _hash.Length);
            sha.Update(data, 0, data.Length);
            sha.Final(_hash, 0);
        }

        private void MixKey(byte[] inputKeyMaterial)
        {
            byte[] output = Hkdf.Expand(Hkdf.Extract(_chainingKey, inputKeyMaterial), null, 64);
            _chainingKey = Slice(output, 0);
            _key = Slice(output, 32);
            Wipe(output);
        }

        private void MixKeyAndHash(byte[] inputKeyMaterial)
        {
            byte[] output = Hkdf.Expand(Hkdf.Extract(_chainingKey, inputKeyMaterial), null, 96);
            _chainingKey = Slice(output, 0);
            MixHash(Slice(output, 32));
            _key = Slice(output, 64);
            Wipe(output);
        }

        private void Split()
        {
            byte[] output = Hkdf.Expand(Hkdf.Extract(_chainingKey, new byte[0]), null, 64);
            CallerToCalleeKey = Slice(output, 0);
            CalleeToCallerKey = Slice(output, 32);
            Wipe(output);
            Wipe(_chainingKey);
            Wipe(_key);
            Wipe(_ephemeralPrivate);
            _step = 2;
        }

        private static byte[] Slice(byte[] source, int offset)
        {
            byte[] part = new byte[32];
            System.Array.Copy(source, offset, part, 0, 32);
            return part;
        }

        private static byte[] Copy(byte[] source)
        {
            byte[] copy = new byte[source.Length];
            System.Array.Copy(source, copy, source.Length);
            return copy;
        }

        private static void Wipe(byte[] secret)
        {
            for (int i = 0; i < secret.Length; i++)
            {
                secret[i] = 0;
            }
        }
    }
}
