using System;

namespace PeerGate.Device.Esp32.Platform
{
    /// <summary>
    /// Rewrites JSON from the server into the form nanoFramework.Json reads correctly, without changing its meaning.
    /// Found on the real interpreter: nanoFramework.Json reads a member whose value is null as "" (for a string
    /// and even for a string[]), refuses every \uXXXX escape whose hex digits hold a letter other than e
    /// (System.Text.Json writes + as \u002B, so about every second Base64 key failed to read) and refuses the
    /// escape \/. So members that are null are left out (the property keeps its default, null), \uXXXX escapes
    /// become the character itself (", \ and controls with a short escape keep that one) and \/ becomes /.
    /// Whitespace outside strings is dropped. Strings are otherwise copied as they are.
    /// </summary>
    public static class NanoJsonInput
    {
        /// <summary>WireJson's MaxDepth is 8; a deeper text is left to nanoFramework.Json to refuse.</summary>
        private const int MaxDepth = 32;

        public static string Normalize(string json)
        {
            char[] output = new char[json.Length];
            int length = 0;
            char[] containers = new char[MaxDepth];
            int depth = 0;
            bool expectingName = false;
            int memberStart = -1;
            bool firstMember = false;
            bool dropComma = false;
            int i = 0;
            while (i < json.Length)
            {
                char c = json[i];
                if (c == '"')
                {
                    bool inObject = depth > 0 && containers[depth - 1] == '{';
                    if (inObject && expectingName)
                    {
                        // Where this member starts in the output: at its comma, or right after the brace.
                        firstMember = length > 0 && output[length - 1] == '{';
                        memberStart = firstMember ? length : length - 1;
                    }

                    i = CopyString(json, i, output, ref length);
                    continue;
                }

                if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
                {
                    i++;
                    continue;
                }

                if (dropComma)
                {
                    // The member before was dropped and was the first: its comma goes, the next one becomes the first.
                    dropComma = false;
                    if (c == ',')
                    {
                        expectingName = true;
                        i++;
                        continue;
                    }
                }

                bool objectTop = depth > 0 && containers[depth - 1] == '{';
                if (c == '{' || c == '[')
                {
                    if (depth == MaxDepth)
                    {
                        return json;
                    }

                    containers[depth++] = c;
                    expectingName = c == '{';
                }
                else if (c == '}' || c == ']')
                {
                    if (depth > 0)
                    {
                        depth--;
                    }

                    expectingName = false;
                }
                else if (c == ',' && objectTop)
                {
                    expectingName = true;
                }
                else if (c == ':' && objectTop)
                {
                    expectingName = false;
                }
                else if (c == 'n' && objectTop && !expectingName && memberStart >= 0 && IsNull(json, i))
                {
                    length = memberStart;
                    dropComma = firstMember;
                    memberStart = -1;
                    i += 4;
                    continue;
                }

                output[length++] = c;
                i++;
            }

            return new string(output, 0, length);
        }

        /// <summary>
        /// A character from a \uXXXX escape: as itself, except " and \ and the controls that have a short escape,
        /// which keep one (nanoFramework.Json reads those; a raw " would end the string).
        /// </summary>
        private static void WriteChar(char[] output, ref int length, char c)
        {
            char shortEscape = c == '"' ? '"' : c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : c == '\b' ? 'b' : c == '\f' ? 'f' : (char)0;
            if (shortEscape != 0)
            {
                output[length++] = '\\';
                output[length++] = shortEscape;
            }
            else
            {
                output[length++] = c;
            }
        }

        /// <summary>The value of the four hex digits at <paramref name="start"/>, or -1.</summary>
        private static int HexValue(string json, int start)
        {
            if (start + 4 > json.Length)
            {
                return -1;
            }

            int value = 0;
            for (int k = 0; k < 4; k++)
            {
                char h = json[start + k];
                int digit = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                if (digit < 0)
                {
                    return -1;
                }

                value = (value << 4) | digit;
            }

            return value;
        }

        private static bool IsNull(string json, int i)
        {
            if (i + 4 > json.Length || json[i + 1] != 'u' || json[i + 2] != 'l' || json[i + 3] != 'l')
            {
                return false;
            }

            return i + 4 == json.Length || json[i + 4] == ',' || json[i + 4] == '}' || json[i + 4] == ' ' || json[i + 4] == '\t'
                || json[i + 4] == '\r' || json[i + 4] == '\n';
        }

        /// <summary>Copies the string starting at the quote at <paramref name="start"/>; returns the index after its closing quote.</summary>
        private static int CopyString(string json, int start, char[] output, ref int length)
        {
            output[length++] = '"';
            int i = start + 1;
            while (i < json.Length)
            {
                char c = json[i];
                if (c == '"')
                {
                    output[length++] = c;
                    return i + 1;
                }

                if (c == '\\' && i + 1 < json.Length)
                {
                    char next = json[i + 1];
                    if (next == '/')
                    {
                        output[length++] = '/';
                        i += 2;
                        continue;
                    }

                    int code = next == 'u' ? HexValue(json, i + 2) : -1;
                    if (code >= 0)
                    {
                        WriteChar(output, ref length, (char)code);
                        i += 6;
                        continue;
                    }

                    output[length++] = c;
                    output[length++] = next;
                    i += 2;
                    continue;
                }

                output[length++] = c;
                i++;
            }

            return i;
        }
    }
}
