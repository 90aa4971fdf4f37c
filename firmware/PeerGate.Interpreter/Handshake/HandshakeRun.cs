using PeerGate.Interpreter.Crypto;

namespace PeerGate.Interpreter.Handshake
{
    /// <summary>
    /// One complete handshake between a caller and a callee in one process, as the measurements and the checks run
    /// it. Ephemeral keys come from a counter through SHA-256 so every run is reproducible; a device draws them
    /// from its hardware random number generator.
    /// </summary>
    public sealed class HandshakeRun
    {
        public bool FirstAccepted { get; private set; }

        public bool SecondAccepted { get; private set; }

        /// <summary>Both messages accepted and both sides hold the same keys and transcript hash.</summary>
        public bool Agreed { get; private set; }

        public int ScalarMultiplications { get; private set; }

        public static HandshakeRun Both(X25519 curve, byte[] callerStatic, byte[] calleeStatic, byte[] callerPsk, byte[] calleePsk, int seed)
        {
            byte[] callerPublic = curve.PublicKey(callerStatic);
            byte[] calleePublic = curve.PublicKey(calleeStatic);
            return Run(curve, callerStatic, callerPublic, callerPublic, calleeStatic, calleePublic, callerPsk, calleePsk, seed);
        }

        /// <summary>An impostor's static key in the caller's place, while the callee expects the real caller's public key.</summary>
        public static HandshakeRun Impersonating(X25519 curve, byte[] impostorStatic, byte[] realCallerStatic, byte[] calleeStatic, byte[] psk, int seed)
        {
            byte[] impostorPublic = curve.PublicKey(impostorStatic);
            byte[] realCallerPublic = curve.PublicKey(realCallerStatic);
            byte[] calleePublic = curve.PublicKey(calleeStatic);
            return Run(curve, impostorStatic, impostorPublic, realCallerPublic, calleeStatic, calleePublic, psk, psk, seed);
        }

        /// <summary>The handshake alone, static public keys already known (as the grant and the offer carry them).</summary>
        public static HandshakeRun Run(X25519 curve, byte[] callerStatic, byte[] callerPublic, byte[] callerPublicAsCalleeKnowsIt,
            byte[] calleeStatic, byte[] calleePublic, byte[] callerPsk, byte[] calleePsk, int seed)
        {
            byte[] prologue = Vectors.Hex.Ascii("PeerGate-e2e-v1 session-1 caller-1 callee-1");
            KkPsk0Handshake caller = new KkPsk0Handshake(true, callerStatic, callerPublic, calleePublic, callerPsk, prologue, curve);
            KkPsk0Handshake callee = new KkPsk0Handshake(false, calleeStatic, calleePublic, callerPublicAsCalleeKnowsIt, calleePsk, prologue, curve);

            HandshakeRun run = new HandshakeRun();
            byte[] first = caller.WriteFirst(Ephemeral(seed, 1));
            run.FirstAccepted = callee.ReadFirst(first);
            if (run.FirstAccepted)
            {
                byte[] second = callee.WriteSecond(Ephemeral(seed, 2));
                run.SecondAccepted = caller.ReadSecond(second);
                run.Agreed = run.SecondAccepted
                    && Same(caller.CallerToCalleeKey, callee.CallerToCalleeKey)
                    && Same(caller.CalleeToCallerKey, callee.CalleeToCallerKey)
                    && Same(caller.HandshakeHash, callee.HandshakeHash)
                    && !Same(caller.CallerToCalleeKey, caller.CalleeToCallerKey)
                    && !Same(caller.CallerToCalleeKey, callerPsk);
            }

            run.ScalarMultiplications = caller.ScalarMultiplications + callee.ScalarMultiplications;
            return run;
        }

        private static byte[] Ephemeral(int seed, int side)
        {
            byte[] input = new byte[8];
            input[0] = (byte)(seed >> 24);
            input[1] = (byte)(seed >> 16);
            input[2] = (byte)(seed >> 8);
            input[3] = (byte)seed;
            input[7] = (byte)side;
            return Sha256.Hash(input);
        }

        private static bool Same(byte[] a, byte[] b)
        {
            if (a == null || b == null || a.Length != b.Length)
            {
                return false;
            }

            for (int i = 0; i < a.Length; i++)
            {
                if (a[i] != b[i])
                {
                    return false;
                }
            }

            return true;
        }
    }
}
