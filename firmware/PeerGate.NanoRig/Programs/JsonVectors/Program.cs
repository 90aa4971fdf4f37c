using System;
using System.Text;
using PeerGate.Device.Esp32.Platform;
using PeerGate.Protocol;

namespace PeerGate.NanoRig.JsonVectors
{
    /// <summary>
    /// Runs on the interpreter: every message vector read into its protocol type and written back through the
    /// board's own NanoJsonCodec. Each written text is printed as "written NAME BASE64" (UTF-8, so the rig compares
    /// bytes, whatever the console does with them), then "ok NAME" or "FAIL NAME ...". The closing line
    /// "json: N passed, M failed" is the result; without it the run counts as failed.
    /// </summary>
    public static class Program
    {
        private static int _passed;
        private static int _failed;

        public static void Main()
        {
            NanoJsonCodec codec = new NanoJsonCodec();
            for (int i = 0; i < MessageVectors.Names.Length; i++)
            {
                RoundTrip(codec, MessageVectors.Names[i], MessageVectors.Types[i], MessageVectors.Json[i], MessageVectors.Json[i]);
            }

            for (int i = 0; i < MessageVectors.EscapedNames.Length; i++)
            {
                // The same message with the server's \u002B written as a raw + (as nanoFramework.Json writes it): it
                // must read to the same message and so write the vector's bytes.
                RoundTrip(codec, MessageVectors.EscapedNames[i], MessageVectors.EscapedTypes[i], MessageVectors.Escaped[i], MessageVectors.EscapedExpected[i]);
            }

            try
            {
                // Every escape the server's encoder writes, and the board reads it back to the same text.
                ChallengeRequest request = new ChallengeRequest();
                request.DeviceId = AwkwardText();
                string written = codec.Serialize(request);
                Console.WriteLine("written escapes " + Convert.ToBase64String(Encoding.UTF8.GetBytes(written)));
                ChallengeRequest read = (ChallengeRequest)codec.Deserialize(written, typeof(ChallengeRequest));
                Check("escapes", read.DeviceId == request.DeviceId && read.GroupId == null, written);
            }
            catch (Exception e)
            {
                Check("escapes", false, "threw " + e.GetType().Name + " " + e.Message);
            }

            try
            {
                Problem problem = (Problem)codec.DeserializeIgnoringCase(MessageVectors.ProblemJson, typeof(Problem));
                Check("problem", problem != null && problem.Code == ErrorCodes.NonceUsed && problem.Status == 401 && problem.Title == "Nonce already used",
                    problem == null ? "null" : problem.Code + " " + problem.Status);
            }
            catch (Exception e)
            {
                Check("problem", false, "threw " + e.GetType().Name + " " + e.Message);
            }

            Console.WriteLine("json: " + _passed + " passed, " + _failed + " failed");
        }

        /// <summary>
        /// Every character from U+0001 to U+007F, then é and €. Not a surrogate pair: nanoFramework keeps strings
        /// as UTF-8, so a pair appended one half at a time does not survive (docs/interpreter.md).
        /// </summary>
        public static string AwkwardText()
        {
            StringBuilder text = new StringBuilder();
            for (int c = 1; c < 128; c++)
            {
                text.Append((char)c);
            }

            text.Append('\u00e9');
            text.Append('\u20ac');
            return text.ToString();
        }

        private static void RoundTrip(NanoJsonCodec codec, string name, Type type, string input, string expected)
        {
            try
            {
                object message = codec.Deserialize(input, type);
                string written = codec.Serialize(message);
                Console.WriteLine("written " + name + " " + Convert.ToBase64String(Encoding.UTF8.GetBytes(written)));
                Check(name, written == expected, written);
            }
            catch (Exception e)
            {
                Check(name, false, "threw " + e.GetType().Name + " " + e.Message);
            }
        }

        private static void Check(string name, bool ok, string detail)
        {
            if (ok)
            {
                _passed++;
                Console.WriteLine("ok " + name);
            }
            else
            {
                _failed++;
                Console.WriteLine("FAIL " + name + " " + detail);
            }
        }
    }
}
