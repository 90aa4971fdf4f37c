using System;
using PeerGate.Interpreter.Crypto;
using PeerGate.Interpreter.Handshake;
using PeerGate.Interpreter.Vectors;

namespace PeerGate.Interpreter
{
    /// <summary>
    /// Runs on the nanoFramework interpreter (nanoCLR): the known-answer vectors first, then timings of X25519,
    /// HMAC-SHA256 over 1 KB and complete handshakes, and the managed heap the handshake holds. How many of each
    /// comes from RunMode (RunMode.cs for the test, Bench/RunMode.cs for the measurement). The last line is always
    /// "crypto: N passed, M failed": the interpreter's exit code says nothing, so that line is the result.
    /// </summary>
    public static class Program
    {
        public static void Main()
        {
            CheckLog log = new CheckLog();
            KnownAnswers.Run(log);
            for (int i = 0; i < log.Lines.Count; i++)
            {
                Console.WriteLine((string)log.Lines[i]);
            }

            if (log.Failed == 0)
            {
                try
                {
                    Measure(log);
                }
                catch (Exception e)
                {
                    log.Threw("measurement", e);
                    Console.WriteLine("FAIL measurement: " + e.GetType().Name + " " + e.Message);
                }
            }

            Console.WriteLine("crypto: " + log.Passed + " passed, " + log.Failed + " failed");
        }

        private static void Measure(CheckLog log)
        {
            Console.WriteLine("mode: " + RunMode.Name);

            // The machine may be shared: every figure is printed as the mean and the best (least disturbed) run.
            long best = long.MaxValue;
            int acc = 0;
            for (int round = 0; round < 3; round++)
            {
                long begin = DateTime.UtcNow.Ticks;
                for (int i = 0; i < 1000000; i++)
                {
                    acc += i ^ (acc >> 3);
                }

                best = Min(best, DateTime.UtcNow.Ticks - begin);
            }

            Console.WriteLine("calibration int loop: 1000000 iterations, best of 3 " + Millis(best) + " ms (" + acc + ")");

            best = long.MaxValue;
            long wide = 1;
            for (int round = 0; round < 3; round++)
            {
                long begin = DateTime.UtcNow.Ticks;
                for (int i = 0; i < 1000000; i++)
                {
                    wide = wide * 6364136223846793005 + i;
                }

                best = Min(best, DateTime.UtcNow.Ticks - begin);
            }

            Console.WriteLine("calibration long multiply loop: 1000000 iterations, best of 3 " + Millis(best) + " ms (" + (wide & 0xffff) + ")");

            X25519 curve = new X25519();
            byte[] k = X25519.BasePoint();
            byte[] u = X25519.BasePoint();
            long total = 0;
            best = long.MaxValue;
            for (int i = 0; i < RunMode.ScalarMultiplications; i++)
            {
                long begin = DateTime.UtcNow.Ticks;
                byte[] next = curve.ScalarMult(k, u);
                long took = DateTime.UtcNow.Ticks - begin;
                total += took;
                best = Min(best, took);
                u = k;
                k = next;
            }

            Console.WriteLine("x25519: " + RunMode.ScalarMultiplications + " scalar multiplications, mean " + Millis(total / RunMode.ScalarMultiplications)
                + " ms, best " + Millis(best) + " ms");
            int iterations = RunMode.ScalarMultiplications;
            if (iterations == 1000)
            {
                log.Equal("x25519 rfc7748 5.2 1000 iterations", "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51", k);
            }

            byte[] kilobyte = new byte[1024];
            byte[] tag = new byte[HmacSha256.TagSize];
            HmacSha256 mac = new HmacSha256(Sha256.Hash(kilobyte));
            total = 0;
            best = long.MaxValue;
            for (int batch = 0; batch < RunMode.Macs / 10; batch++)
            {
                long begin = DateTime.UtcNow.Ticks;
                for (int i = 0; i < 10; i++)
                {
                    mac.Update(kilobyte, 0, kilobyte.Length);
                    mac.Final(tag, 0);
                }

                long took = DateTime.UtcNow.Ticks - begin;
                total += took;
                best = Min(best, took / 10);
            }

            Console.WriteLine("hmac-sha256 1 KB: " + (RunMode.Macs / 10 * 10) + " tags, mean " + Micros(total / (RunMode.Macs / 10 * 10))
                + " us, best batch of 10 " + Micros(best) + " us each");

            byte[] callerStatic = Sha256.Hash(Hex.Ascii("caller static"));
            byte[] calleeStatic = Sha256.Hash(Hex.Ascii("callee static"));
            byte[] callerPublic = curve.PublicKey(callerStatic);
            byte[] calleePublic = curve.PublicKey(calleeStatic);
            byte[] sessionKey = Sha256.Hash(Hex.Ascii("server-issued session key"));

            X25519 handshakeCurve = new X25519();
            HandshakeRun run = null;
            total = 0;
            best = long.MaxValue;
            for (int i = 0; i < RunMode.Handshakes; i++)
            {
                long begin = DateTime.UtcNow.Ticks;
                run = HandshakeRun.Run(handshakeCurve, callerStatic, callerPublic, callerPublic, calleeStatic, calleePublic, sessionKey, sessionKey, i);
                long took = DateTime.UtcNow.Ticks - begin;
                total += took;
                best = Min(best, took);
                if (!run.Agreed)
                {
                    break;
                }
            }

            log.True("handshake agreed in every timed run", run != null && run.Agreed);
            Console.WriteLine("handshake KKpsk0, both sides (" + run.ScalarMultiplications + " scalar multiplications): "
                + RunMode.Handshakes + " runs, mean " + Millis(total / RunMode.Handshakes) + " ms, best " + Millis(best)
                + " ms; per side mean " + Millis(total / RunMode.Handshakes / 2) + " ms, best " + Millis(best / 2) + " ms");

            MeasureHeap(callerStatic, callerPublic, calleeStatic, calleePublic, sessionKey);
        }

        /// <summary>
        /// What a handshake keeps on the managed heap: GC.Run(false) collects and returns the free bytes, so each
        /// difference is what stayed reachable (one curve's scratch; one side's state after its handshake).
        /// </summary>
        private static void MeasureHeap(byte[] callerStatic, byte[] callerPublic, byte[] calleeStatic, byte[] calleePublic, byte[] sessionKey)
        {
            uint free0 = nanoFramework.Runtime.Native.GC.Run(false);
            X25519 curve = new X25519();
            uint free1 = nanoFramework.Runtime.Native.GC.Run(false);
            byte[] prologue = Hex.Ascii("PeerGate-e2e-v1 session-1 caller-1 callee-1");
            KkPsk0Handshake caller = new KkPsk0Handshake(true, callerStatic, callerPublic, calleePublic, sessionKey, prologue, curve);
            byte[] first = caller.WriteFirst(Sha256.Hash(Hex.Ascii("caller ephemeral")));
            uint free2 = nanoFramework.Runtime.Native.GC.Run(false);
            KkPsk0Handshake callee = new KkPsk0Handshake(false, calleeStatic, calleePublic, callerPublic, sessionKey, prologue, curve);
            bool accepted = callee.ReadFirst(first);
            byte[] second = callee.WriteSecond(Sha256.Hash(Hex.Ascii("callee ephemeral")));
            accepted = accepted && caller.ReadSecond(second);
            uint free3 = nanoFramework.Runtime.Native.GC.Run(false);
            Console.WriteLine("heap: " + free0 + " bytes free at start; one X25519 instance holds " + (free0 - free1)
                + " bytes; the caller mid-handshake (after message 1) " + (free1 - free2)
                + "; both sides done, keys held " + (free1 - free3) + " (" + (accepted ? "agreed" : "NOT agreed") + ")");
            if (caller.CallerToCalleeKey == null || callee.CalleeToCallerKey == null)
            {
                throw new InvalidOperationException("both sides must stay reachable until the heap was read");
            }
        }

        private static long Min(long a, long b)
        {
            return a < b ? a : b;
        }

        /// <summary>Ticks (100 ns) as milliseconds with one decimal, in integer arithmetic.</summary>
        private static string Millis(long ticks)
        {
            long tenths = ticks / 1000;
            return (tenths / 10) + "." + (tenths % 10);
        }

        private static string Micros(long ticks)
        {
            long tenths = ticks;
            return (tenths / 10) + "." + (tenths % 10);
        }
    }
}
