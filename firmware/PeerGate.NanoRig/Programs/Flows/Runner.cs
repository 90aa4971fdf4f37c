using System;
using System.Collections;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>One test: throws (a failed check or anything else) to fail.</summary>
    public delegate void FlowTest();

    /// <summary>
    /// Tests registered by name and run in order, each caught on its own so one failure does not end the run:
    /// one "FAIL name: ..." line per failure and "flows: N passed, M failed" as the closing line.
    /// </summary>
    public sealed class Runner
    {
        private readonly ArrayList _names = new ArrayList();
        private readonly ArrayList _tests = new ArrayList();

        public void Add(string name, FlowTest test)
        {
            _names.Add(name);
            _tests.Add(test);
        }

        public int Run()
        {
            int passed = 0;
            int failed = 0;
            for (int i = 0; i < _tests.Count; i++)
            {
                string name = (string)_names[i];
                long started = DateTime.UtcNow.Ticks;
                try
                {
                    ((FlowTest)_tests[i])();
                    passed++;
                    Console.WriteLine("ok " + name);
                    Console.WriteLine("time " + ((DateTime.UtcNow.Ticks - started) / TimeSpan.TicksPerMillisecond).ToString() + " ms " + name);
                }
                catch (Exception e)
                {
                    failed++;
                    Console.WriteLine("FAIL " + name + ": " + e.GetType().Name + ": " + e.Message);
                }
            }

            Console.WriteLine("flows: " + passed + " passed, " + failed + " failed");
            return failed;
        }
    }

    /// <summary>A failed check.</summary>
    public sealed class CheckFailed : Exception
    {
        public CheckFailed(string message)
            : base(message)
        {
        }
    }

    public static class Check
    {
        public static void True(bool condition, string what)
        {
            if (!condition)
            {
                throw new CheckFailed(what);
            }
        }

        public static void Equal(string expected, string actual, string what)
        {
            if (expected != actual)
            {
                throw new CheckFailed(what + ": expected '" + (expected == null ? "(null)" : expected) + "', got '" + (actual == null ? "(null)" : actual) + "'");
            }
        }

        public static void Equal(long expected, long actual, string what)
        {
            if (expected != actual)
            {
                throw new CheckFailed(what + ": expected " + expected.ToString() + ", got " + actual.ToString());
            }
        }

        public static void Bytes(byte[] expected, byte[] actual, int count, string what)
        {
            for (int i = 0; i < count; i++)
            {
                if (expected[i] != actual[i])
                {
                    throw new CheckFailed(what + ": byte " + i.ToString() + " differs");
                }
            }
        }
    }
}
