using System;
using PeerGate.Interpreter.Vectors;
using PeerGate.Protocol.Peer;

namespace PeerGate.NanoRig.FrameVectors
{
    /// <summary>
    /// Runs on the interpreter: the managed AES-256 (FIPS 197, SP 800-38A) and HMAC-SHA256 (RFC 4231) against their
    /// published vectors first, then every frame of shared-protocol/vectors/peer sealed and opened through the
    /// shared FrameCodec over them, byte for byte. One line per check ("ok NAME" or "FAIL NAME: ..."); the closing
    /// line "frames: N passed, M failed" is the result.
    /// </summary>
    public static class Program
    {
        public static void Main()
        {
            CheckLog log = new CheckLog();
            try
            {
                KnownAnswers.AesVectors(log);
                KnownAnswers.HmacVectors(log);
                if (log.Failed == 0)
                {
                    Frames(log);
                }
            }
            catch (Exception e)
            {
                log.Threw("frame vectors", e);
            }

            for (int i = 0; i < log.Lines.Count; i++)
            {
                Console.WriteLine((string)log.Lines[i]);
            }

            Console.WriteLine("frames: " + log.Passed + " passed, " + log.Failed + " failed");
        }

        private static void Frames(CheckLog log)
        {
            byte[] sessionKey = Hex.Decode(FrameVectorData.SessionKey);
            ManagedPeerCrypto plain = new ManagedPeerCrypto();
            log.Equal("derived enc caller-to-callee", FrameVectorData.CallerToCalleeEnc, FrameKeys.EncryptionKey(plain, sessionKey, FrameKeys.CallerToCallee));
            log.Equal("derived mac caller-to-callee", FrameVectorData.CallerToCalleeMac, FrameKeys.MacKey(plain, sessionKey, FrameKeys.CallerToCallee));
            log.Equal("derived enc callee-to-caller", FrameVectorData.CalleeToCallerEnc, FrameKeys.EncryptionKey(plain, sessionKey, FrameKeys.CalleeToCaller));
            log.Equal("derived mac callee-to-caller", FrameVectorData.CalleeToCallerMac, FrameKeys.MacKey(plain, sessionKey, FrameKeys.CalleeToCaller));

            for (int side = 0; side < 2; side++)
            {
                bool isCaller = side == 0;
                string sending = isCaller ? FrameKeys.CallerToCallee : FrameKeys.CalleeToCaller;
                ManagedPeerCrypto crypto = new ManagedPeerCrypto();
                for (int i = 0; i < FrameVectorData.Directions.Length; i++)
                {
                    if (FrameVectorData.Directions[i] == sending)
                    {
                        crypto.QueueIv(Hex.Decode(FrameVectorData.Ivs[i]));
                    }
                }

                FrameCodec sealer = new FrameCodec(crypto, sessionKey, isCaller);
                FrameCodec opener = new FrameCodec(new ManagedPeerCrypto(), sessionKey, !isCaller);
                byte[] frame = new byte[FrameFormat.MaxFrameLength];
                byte[] payload = new byte[FrameFormat.MaxPayload];
                for (int i = 0; i < FrameVectorData.Directions.Length; i++)
                {
                    if (FrameVectorData.Directions[i] != sending)
                    {
                        continue;
                    }

                    string name = "frame " + sending + " " + FrameVectorData.Seqs[i];
                    byte[] input = Hex.Decode(FrameVectorData.Payloads[i]);
                    int length = sealer.Seal(FrameVectorData.Types[i], input, 0, input.Length, frame, 0);
                    log.Equal(name + " sealed", FrameVectorData.Frames[i], Slice(frame, length));

                    byte[] expected = Hex.Decode(FrameVectorData.Frames[i]);
                    int type;
                    int opened = opener.Open(expected, 0, expected.Length, out type, payload, 0);
                    log.True(name + " opened type", type == FrameVectorData.Types[i]);
                    log.Equal(name + " opened payload", FrameVectorData.Payloads[i], Slice(payload, opened));
                }
            }

            ManagedPeerCrypto limitsCrypto = new ManagedPeerCrypto();
            limitsCrypto.QueueIv(Hex.Decode(FrameVectorData.LimitsIv));
            FrameCodec limits = new FrameCodec(limitsCrypto, Hex.Decode(FrameVectorData.LimitsSessionKey), true);
            byte[] limitsPayload = Hex.Decode(FrameVectorData.LimitsPayload);
            byte[] limitsFrame = new byte[FrameFormat.MaxFrameLength];
            int limitsLength = limits.Seal(FrameTypes.Limits, limitsPayload, 0, limitsPayload.Length, limitsFrame, 0);
            log.Equal("limits frame sealed", FrameVectorData.LimitsFrame, Slice(limitsFrame, limitsLength));
        }

        private static byte[] Slice(byte[] buffer, int length)
        {
            byte[] part = new byte[length];
            Array.Copy(buffer, 0, part, 0, length);
            return part;
        }
    }
}
