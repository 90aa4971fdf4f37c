using System;

namespace PeerGate.Protocol.Peer
{
    /// <summary>
    /// Seals and opens the frames of one peer session on one side (F20): AES-256-CBC with PKCS#7
    /// padding done here, a random IV per frame, HMAC-SHA256 over header ‖ IV ‖ ciphertext
    /// (encrypt-then-MAC), keys per direction (<see cref="FrameKeys"/>), and a sequence number per
    /// direction that must be exactly the next one. Layout: <see cref="FrameFormat"/>.
    /// </summary>
    /// <remarks>
    /// <para>Opening checks, in order: the header is well formed and the length bounded (frame_malformed),
    /// the tag (frame_tampered, compared in fixed time), the sequence number (frame_out_of_order), and only
    /// then decrypts and checks the padding (frame_malformed). A refused frame changes nothing: the next
    /// good frame still opens.</para>
    /// <para>One sender and one receiver may use an instance at the same time (they share no state); two
    /// senders may not. The scratch buffers and one cipher per direction are made once, so sealing and
    /// opening a frame allocate nothing (on a platform whose primitives do not): about 8.4 KB per instance.
    /// Messages are formatted only when a frame is refused.</para>
    /// </remarks>
    public class FrameCodec
    {
        private const long MaxSeq = 0xFFFFFFFFL;
        private const int IvOffset = FrameFormat.HeaderLength;
        private const int CiphertextOffset = FrameFormat.HeaderLength + FrameFormat.IvLength;

        private readonly IPeerCrypto _crypto;
        private readonly IFrameCipher _sendCipher;
        private readonly byte[] _sendMacKey;
        private readonly IFrameCipher _receiveCipher;
        private readonly byte[] _receiveMacKey;

        private readonly byte[] _sealScratch = new byte[FrameFormat.MaxCiphertext];
        private readonly byte[] _sealIv = new byte[FrameFormat.IvLength];
        private readonly byte[] _openScratch = new byte[FrameFormat.MaxCiphertext];
        private readonly byte[] _openIv = new byte[FrameFormat.IvLength];
        private readonly byte[] _openTag = new byte[FrameFormat.TagLength];
        private readonly byte[] _openExpected = new byte[FrameFormat.TagLength];
        private readonly FrameReader _reader = new FrameReader();

        private long _sendSeq;
        private long _receiveSeq;

        /// <param name="crypto">The platform's AES, HMAC and random source.</param>
        /// <param name="sessionKey">The 32-byte key the server issued for this session; not kept.</param>
        /// <param name="isCaller">True on the side that dialled: it sends caller-to-callee frames.</param>
        public FrameCodec(IPeerCrypto crypto, byte[] sessionKey, bool isCaller)
        {
            _crypto = crypto ?? throw new ArgumentNullException(nameof(crypto));
            string send = isCaller ? FrameKeys.CallerToCallee : FrameKeys.CalleeToCaller;
            string receive = isCaller ? FrameKeys.CalleeToCaller : FrameKeys.CallerToCallee;
            _sendMacKey = FrameKeys.MacKey(crypto, sessionKey, send);
            _receiveMacKey = FrameKeys.MacKey(crypto, sessionKey, receive);
            _sendCipher = CipherFor(crypto, FrameKeys.EncryptionKey(crypto, sessionKey, send));
            _receiveCipher = CipherFor(crypto, FrameKeys.EncryptionKey(crypto, sessionKey, receive));
        }

        /// <summary>Sequence number the next sealed frame gets.</summary>
        public long NextSendSeq
        {
            get { return _sendSeq; }
        }

        /// <summary>Sequence number the next frame must carry to open.</summary>
        public long NextReceiveSeq
        {
            get { return _receiveSeq; }
        }

        /// <summary>
        /// Encrypts <paramref name="count"/> payload bytes into a whole frame at
        /// <paramref name="frame"/>[<paramref name="frameOffset"/>..]; returns the frame length
        /// (<see cref="FrameFormat.FrameLength"/>).
        /// </summary>
        public int Seal(int type, byte[] payload, int offset, int count, byte[] frame, int frameOffset)
        {
            if (!FrameTypes.IsKnown(type))
            {
                throw new ArgumentOutOfRangeException(nameof(type));
            }

            CheckRange(payload, offset, count, FrameFormat.MaxPayload, nameof(payload));
            int length = FrameFormat.FrameLength(count);
            CheckRange(frame, frameOffset, length, FrameFormat.MaxFrameLength, nameof(frame));
            if (_sendSeq > MaxSeq)
            {
                throw new InvalidOperationException("sequence numbers exhausted: start a new session");
            }

            int padded = FrameFormat.PaddedLength(count);
            byte pad = (byte)(padded - count);
            Array.Copy(payload, offset, _sealScratch, 0, count);
            for (int i = count; i < padded; i++)
            {
                _sealScratch[i] = pad;
            }

            frame[frameOffset] = FrameFormat.Version;
            frame[frameOffset + 1] = (byte)type;
            FrameBytes.WriteUInt32(_sendSeq, frame, frameOffset + 2);
            FrameBytes.WriteUInt32(padded, frame, frameOffset + 6);

            _crypto.RandomBytes(_sealIv, 0, FrameFormat.IvLength);
            Array.Copy(_sealIv, 0, frame, frameOffset + IvOffset, FrameFormat.IvLength);
            _sendCipher.Encrypt(_sealIv, _sealScratch, 0, padded, frame, frameOffset + CiphertextOffset);
            Array.Clear(_sealScratch, 0, padded);

            _crypto.HmacSha256(_sendMacKey, frame, frameOffset, CiphertextOffset + padded, frame, frameOffset + CiphertextOffset + padded);

            _sendSeq++;
            return length;
        }

        /// <summary>
        /// From a frame's first <see cref="FrameFormat.HeaderLength"/> bytes: how many bytes follow
        /// (IV, ciphertext, tag). Checks version, type and the length bound before anyone reads or
        /// allocates that much.
        /// </summary>
        /// <exception cref="FrameException">frame_malformed.</exception>
        public int BodyLength(byte[] header, int offset)
        {
            _reader.Reset(header, offset, FrameFormat.HeaderLength);
            return ReadHeader(_reader);
        }

        /// <summary>
        /// Verifies and decrypts one whole frame (exactly <paramref name="count"/> bytes); writes the
        /// payload to <paramref name="payload"/>[<paramref name="payloadOffset"/>..] and returns its length.
        /// The payload range may overlap the frame: the plaintext is staged in scratch first.
        /// </summary>
        /// <exception cref="FrameException">frame_malformed, frame_tampered or frame_out_of_order; nothing written.</exception>
        public int Open(byte[] frame, int offset, int count, out int type, byte[] payload, int payloadOffset)
        {
            if (frame == null || payload == null)
            {
                throw new ArgumentNullException(frame == null ? nameof(frame) : nameof(payload));
            }

            _reader.Reset(frame, offset, count);
            if (count < FrameFormat.HeaderLength)
            {
                throw FrameException.Malformed("truncated header");
            }

            int body = ReadHeader(_reader);
            if (count != FrameFormat.HeaderLength + body)
            {
                throw FrameException.Malformed(count < FrameFormat.HeaderLength + body ? "truncated frame" : "trailing bytes after the tag");
            }

            int ciphertextLength = body - FrameFormat.IvLength - FrameFormat.TagLength;
            int macLength = CiphertextOffset + ciphertextLength;
            _crypto.HmacSha256(_receiveMacKey, frame, offset, macLength, _openExpected, 0);
            Array.Copy(frame, offset + macLength, _openTag, 0, FrameFormat.TagLength);
            if (!AuthProofs.FixedTimeEquals(_openExpected, _openTag))
            {
                throw new FrameException(ErrorCodes.FrameTampered, "frame tag does not verify");
            }

            _reader.Reset(frame, offset + 2, 4);
            long seq = _reader.ReadUInt32();
            if (seq != _receiveSeq)
            {
                throw new FrameException(ErrorCodes.FrameOutOfOrder, "frame " + seq.ToString() + " arrived, expected " + _receiveSeq.ToString());
            }

            Array.Copy(frame, offset + IvOffset, _openIv, 0, FrameFormat.IvLength);
            _receiveCipher.Decrypt(_openIv, frame, offset + CiphertextOffset, ciphertextLength, _openScratch, 0);
            int pad = _openScratch[ciphertextLength - 1];
            bool padOk = pad >= 1 && pad <= FrameFormat.BlockSize;
            for (int i = 1; padOk && i <= pad; i++)
            {
                padOk = _openScratch[ciphertextLength - i] == pad;
            }

            if (!padOk)
            {
                Array.Clear(_openScratch, 0, ciphertextLength);
                throw FrameException.Malformed("bad padding");
            }

            int plainLength = ciphertextLength - pad;
            if (plainLength > FrameFormat.MaxPayload)
            {
                // The largest ciphertext with short padding holds 4097..4111 bytes: the bound is on the
                // plaintext, so a peer cannot choose to overrun a 4096-byte buffer.
                Array.Clear(_openScratch, 0, ciphertextLength);
                throw FrameException.Malformed("payload of " + plainLength.ToString() + " bytes is over " + FrameFormat.MaxPayload.ToString());
            }

            if (payloadOffset < 0 || payload.Length - payloadOffset < plainLength)
            {
                Array.Clear(_openScratch, 0, ciphertextLength);
                throw new ArgumentException("payload buffer too small for " + plainLength.ToString() + " bytes", nameof(payload));
            }

            type = frame[offset + 1];
            Array.Copy(_openScratch, 0, payload, payloadOffset, plainLength);
            Array.Clear(_openScratch, 0, ciphertextLength);
            _receiveSeq++;
            return plainLength;
        }

        /// <summary>Wipes the derived keys and disposes both ciphers; the codec cannot be used afterwards.</summary>
        public void Clear()
        {
            _sendCipher.Dispose();
            _receiveCipher.Dispose();
            Array.Clear(_sendMacKey, 0, _sendMacKey.Length);
            Array.Clear(_receiveMacKey, 0, _receiveMacKey.Length);
            Array.Clear(_openExpected, 0, _openExpected.Length);
        }

        /// <summary>The cipher for one derived encryption key; the key array is wiped once the cipher holds its copy.</summary>
        private static IFrameCipher CipherFor(IPeerCrypto crypto, byte[] encryptionKey)
        {
            try
            {
                IFrameCipher cipher = crypto.CreateCipher(encryptionKey);
                if (cipher == null)
                {
                    throw new InvalidOperationException("the platform made no cipher");
                }

                return cipher;
            }
            finally
            {
                Array.Clear(encryptionKey, 0, encryptionKey.Length);
            }
        }

        private static int ReadHeader(FrameReader reader)
        {
            int version = reader.ReadByte();
            if (version != FrameFormat.Version)
            {
                throw FrameException.Malformed("unsupported frame version " + version.ToString());
            }

            int type = reader.ReadByte();
            if (!FrameTypes.IsKnown(type))
            {
                throw FrameException.Malformed("unknown frame type " + type.ToString());
            }

            reader.Skip(4);
            long length = reader.ReadUInt32();
            if (length < FrameFormat.BlockSize || length > FrameFormat.MaxCiphertext || length % FrameFormat.BlockSize != 0)
            {
                throw FrameException.Malformed("ciphertext length " + length.ToString() + " is not a whole number of blocks up to " + FrameFormat.MaxCiphertext.ToString());
            }

            return FrameFormat.IvLength + (int)length + FrameFormat.TagLength;
        }

        private static void CheckRange(byte[] buffer, int offset, int count, int max, string name)
        {
            if (buffer == null)
            {
                throw new ArgumentNullException(name);
            }

            if (offset < 0 || count < 0 || count > max || offset + count > buffer.Length)
            {
                throw new ArgumentOutOfRangeException(name);
            }
        }
    }
}
