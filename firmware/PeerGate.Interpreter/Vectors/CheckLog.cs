using System.Collections;

namespace PeerGate.Interpreter.Vectors
{
    /// <summary>What the known-answer checks found: one line per check, and the counts the closing line reports.</summary>
    public sealed class CheckLog
    {
        private readonly ArrayList _lines = new ArrayList();
        private readonly ArrayList _failures = new ArrayList();

        public int Passed { get; private set; }

        public int Failed { get; private set; }

        /// <summary>"ok name" or "FAIL name: expected ..., got ...", in the order run.</summary>
        public ArrayList Lines
        {
            get { return _lines; }
        }

        public ArrayList Failures
        {
            get { return _failures; }
        }

        public void Equal(string name, string expectedHex, byte[] actual)
        {
            string got = Hex.Encode(actual);
            if (got == expectedHex)
            {
                Passed++;
                _lines.Add("ok " + name);
            }
            else
            {
                Fail(name + ": expected " + expectedHex + ", got " + got);
            }
        }

        public void True(string name, bool condition)
        {
            if (condition)
            {
                Passed++;
                _lines.Add("ok " + name);
            }
            else
            {
                Fail(name);
            }
        }

        /// <summary>A check that threw counts as failed with the exception's message, so the closing line still appears.</summary>
        public void Threw(string name, System.Exception e)
        {
            Fail(name + ": threw " + e.GetType().Name + " " + e.Message);
        }

        private void Fail(string text)
        {
            Failed++;
            _lines.Add("FAIL " + text);
            _failures.Add(text);
        }
    }
}
