using System;
using System.Security.Cryptography;
using PeerGate.Device.Platform;
using PeerGate.Device.Esp32.Platform;
using PeerGate.Device.Esp32.Security;
using PeerGate.Protocol;
using PeerGate.Protocol.Peer;

namespace PeerGate.Device.Esp32.Diagnostics
{
    /// <summary>
    /// Proves at boot that this board's HMACSHA256, Aes and JSON adapter produce exactly the
    /// shared vectors (shared-protocol/vectors/auth-proof.json, messages/ProofRequest.json and the first
    /// frame of peer/frames.json). The rig in hardware-tests reads the lines from the serial port and
    /// compares them with the files.
    /// </summary>
    /// <remarks>
    /// The key and nonce are the published test vector, not the board's Device Key, so printing the
    /// resulting proof gives nothing away.
    /// </remarks>
    public static class WireSelfTest
    {
        public const string HmacEvent = "selftest.hmac";
        public const string JsonEvent = "selftest.json";
        public const string FrameEvent = "selftest.frame";

        // shared-protocol/vectors/auth-proof.json
        private const string VectorKeyHex = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";
        private const string VectorNonceHex = "404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F";
        private const string VectorDeviceId = "24A160C3D4E5";

        // shared-protocol/vectors/messages/ProofRequest.json
        private const string VectorNonceId = "n-7f3a";
        private const string VectorProofBase64 = "kXxb4d2NLIiWtJDod4OUQyGKliDCQYCE1OYR5MegDcI=";

        // shared-protocol/vectors/peer/frames.json: session key and frames[0] (caller to callee, seq 0, Request)
        private const string FrameSessionKeyHex = "202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F";
        private const string FrameIvHex = "808182838485868788898A8B8C8D8E8F";
        private const string FramePayloadHex = "115431314232433344344535463630373138000102030405060708090A0B0C0D0E0F0753354632433941";

        /// <summary>The HMAC line first (the hardware test reads it first), then JSON, then the frame; each on its own.</summary>
        public static void Run(IDeviceLog log)
        {
            try
            {
                byte[] message = AuthProofs.Message(Hex.Decode(VectorNonceHex), VectorDeviceId);
                byte[] proof;
                using (HMACSHA256 hmac = new HMACSHA256(Hex.Decode(VectorKeyHex)))
                {
                    proof = hmac.ComputeHash(message);
                }

                log.Event(HmacEvent, Hex.Encode(proof, 0, proof.Length));
            }
            catch (Exception ex)
            {
                // A firmware without the crypto API fails here; say so and carry on booting.
                log.Event("selftest.failed", ex.Message);
            }

            try
            {
                // The board's own writer, as every message it sends: the vector's bytes exactly. With the vector's
                // proof, so a firmware without the crypto API (or the interpreter) still shows its JSON.
                ProofRequest request = new ProofRequest();
                request.DeviceId = VectorDeviceId;
                request.NonceId = VectorNonceId;
                request.Proof = VectorProofBase64;
                log.Event(JsonEvent, NanoJsonWriter.Write(request));
            }
            catch (Exception ex)
            {
                log.Event("selftest.failed", ex.Message);
            }

            try
            {
                byte[] payload = Hex.Decode(FramePayloadHex);
                FrameCodec codec = new FrameCodec(new FixedIvCrypto(new NanoPeerCrypto(), Hex.Decode(FrameIvHex)), Hex.Decode(FrameSessionKeyHex), true);
                byte[] frame = new byte[FrameFormat.MaxFrameLength];
                int length = codec.Seal(FrameTypes.Request, payload, 0, payload.Length, frame, 0);
                codec.Clear();
                log.Event(FrameEvent, Hex.Encode(frame, 0, length));
            }
            catch (Exception ex)
            {
                log.Event("selftest.failed", ex.Message);
            }
        }
    }
}
