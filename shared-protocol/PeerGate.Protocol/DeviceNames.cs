namespace PeerGate.Protocol
{
    /// <summary>
    /// The one syntax of device names (F22), used by the server wherever a name enters and by the
    /// device before it sends one: 1 to 64 ASCII letters, digits and . - _ @ +, starting with a
    /// letter or digit ("TERM1", "maintenance@example.com"). Names compare ignoring case.
    /// </summary>
    /// <remarks>
    /// An explicit ASCII set, not "printable characters": it leaves out control characters, format
    /// characters (bidi overrides, zero-width spaces, the BOM) and every script whose letters look
    /// like Latin ones, so two names that read the same on an operator's screen are the same name.
    /// The first character is a letter or digit so a name never reads as a command-line option.
    /// </remarks>
    public static class DeviceNames
    {
        public const int MaxLength = 64;

        /// <summary>The rule in words, for refusals and usage text.</summary>
        public const string Rule = "must be 1 to 64 ASCII letters, digits and . - _ @ +, starting with a letter or digit";

        public static bool IsValid(string name)
        {
            if (name == null || name.Length == 0 || name.Length > MaxLength || !IsLetterOrDigit(name[0]))
            {
                return false;
            }

            for (int i = 1; i < name.Length; i++)
            {
                char c = name[i];
                if (!IsLetterOrDigit(c) && c != '.' && c != '-' && c != '_' && c != '@' && c != '+')
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>The name as it is compared and stored for uniqueness: ASCII lower case. Only for valid names.</summary>
        public static string Key(string name)
        {
            char[] chars = new char[name.Length];
            for (int i = 0; i < name.Length; i++)
            {
                char c = name[i];
                chars[i] = c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
            }

            return new string(chars);
        }

        /// <summary>True when both are valid names that differ at most in ASCII case.</summary>
        public static bool Same(string a, string b)
        {
            return IsValid(a) && IsValid(b) && Key(a) == Key(b);
        }

        private static bool IsLetterOrDigit(char c)
        {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        }
    }
}
