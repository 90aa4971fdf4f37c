using System;
using System.Collections;
using System.Reflection;
using System.Text;

namespace PeerGate.Device.Esp32.Platform
{
    /// <summary>
    /// Writes a protocol message as the server's System.Text.Json (PeerGate.Protocol.Host.WireJson) writes it:
    /// properties in declared order, nulls written, numbers as numbers, and strings escaped as its default encoder
    /// escapes them. nanoFramework.Json cannot do this: on the interpreter it writes properties in another order
    /// and leaves control characters raw, so the same message had other bytes on the board than on the server.
    /// </summary>
    /// <remarks>
    /// The messages are flat classes of string, int, long, bool, string[] and arrays of other messages
    /// (DEVELOPERS.md); anything else is refused rather than written in a form the server might read otherwise.
    /// Type.GetMethods() lists a class's methods in declaration order, so the property getters come as declared.
    /// </remarks>
    public static class NanoJsonWriter
    {
        private const string HexDigits = "0123456789ABCDEF";

        public static string Write(object message)
        {
            StringBuilder json = new StringBuilder();
            WriteValue(json, message, 0);
            return json.ToString();
        }

        private static void WriteValue(StringBuilder json, object value, int depth)
        {
            if (depth > 8)
            {
                // WireJson's MaxDepth: the server would not read deeper.
                throw new NotSupportedException("message nested deeper than 8");
            }

            if (value == null)
            {
                json.Append("null");
            }
            else if (value is string)
            {
                WriteString(json, (string)value);
            }
            else if (value is bool)
            {
                json.Append((bool)value ? "true" : "false");
            }
            else if (value is int || value is long || value is short || value is byte || value is uint || value is ushort || value is sbyte)
            {
                json.Append(value.ToString());
            }
            else if (value is Array)
            {
                IList items = (IList)value;
                json.Append('[');
                for (int i = 0; i < items.Count; i++)
                {
                    if (i > 0)
                    {
                        json.Append(',');
                    }

                    WriteValue(json, items[i], depth + 1);
                }

                json.Append(']');
            }
            else if (value.GetType().IsClass)
            {
                WriteObject(json, value, depth);
            }
            else
            {
                throw new NotSupportedException("no wire form for " + value.GetType().FullName);
            }
        }

        private static void WriteObject(StringBuilder json, object message, int depth)
        {
            json.Append('{');
            MethodInfo[] methods = message.GetType().GetMethods();
            bool first = true;
            for (int i = 0; i < methods.Length; i++)
            {
                MethodInfo method = methods[i];
                string name = method.Name;
                if (method.IsStatic || name.Length <= 4 || !name.StartsWith("get_"))
                {
                    continue;
                }

                if (!first)
                {
                    json.Append(',');
                }

                first = false;
                WriteString(json, name.Substring(4));
                json.Append(':');
                WriteValue(json, method.Invoke(message, null), depth + 1);
            }

            json.Append('}');
        }

        /// <summary>
        /// As System.Text.Json's default encoder: printable ASCII as is, except " \ &amp; ' + &lt; &gt; ` ; \b \f \n
        /// \r \t as such; everything else (controls, DEL, every non-ASCII UTF-16 unit) as \uXXXX in upper case.
        /// </summary>
        private static void WriteString(StringBuilder json, string text)
        {
            json.Append('"');
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                switch (c)
                {
                    case '\\':
                        json.Append("\\\\");
                        break;
                    case '\n':
                        json.Append("\\n");
                        break;
                    case '\r':
                        json.Append("\\r");
                        break;
                    case '\t':
                        json.Append("\\t");
                        break;
                    case '\b':
                        json.Append("\\b");
                        break;
                    case '\f':
                        json.Append("\\f");
                        break;
                    case '"':
                    case '&':
                    case '\'':
                    case '+':
                    case '<':
                    case '>':
                    case '`':
                        Escape(json, c);
                        break;
                    default:
                        if (c < ' ' || c > '~')
                        {
                            Escape(json, c);
                        }
                        else
                        {
                            json.Append(c);
                        }

                        break;
                }
            }

            json.Append('"');
        }

        private static void Escape(StringBuilder json, char c)
        {
            json.Append("\\u");
            json.Append(HexDigits[(c >> 12) & 0xF]);
            json.Append(HexDigits[(c >> 8) & 0xF]);
            json.Append(HexDigits[(c >> 4) & 0xF]);
            json.Append(HexDigits[c & 0xF]);
        }
    }
}
