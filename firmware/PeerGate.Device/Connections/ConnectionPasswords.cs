namespace PeerGate.Device.Connections
{
    /// <summary>The device connection password check (F28, F30), in time that depends on neither password's content or length.</summary>
    public static class ConnectionPasswords
    {
        /// <summary>The longest password compared; the server refuses longer ones from a caller.</summary>
        public const int MaxLength = 128;

        /// <summary>True when <paramref name="given"/> equals <paramref name="expected"/>; null or empty given never matches a set password.</summary>
        public static bool Matches(string expected, string given)
        {
            if (expected == null || expected.Length == 0)
            {
                return true;
            }

            int expectedLength = expected.Length;
            int givenLength = given == null ? 0 : given.Length;
            int diff = expectedLength ^ givenLength;
            if (givenLength > MaxLength || expectedLength > MaxLength)
            {
                diff |= 1;
            }

            // Always MaxLength rounds, whatever the lengths, so the time tells nothing.
            for (int i = 0; i < MaxLength; i++)
            {
                int a = i < expectedLength ? expected[i] : 0;
                int b = i < givenLength ? given[i] : 0;
                diff |= a ^ b;
            }

            return diff == 0 && givenLength > 0;
        }
    }
}
