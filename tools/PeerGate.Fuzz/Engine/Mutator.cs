using System.Text;

namespace PeerGate.Fuzz.Engine;

/// <summary>
/// Deterministic mutations from one seeded <see cref="Random"/>: byte-level (flips, interesting
/// integers, inserts, deletes, splices, length-field edits) and, for JSON targets, JSON-aware ones
/// (lone surrogate escapes, huge numbers, deep nesting, duplicate and oversized keys, type swaps).
/// </summary>
public sealed class Mutator(Random random)
{
    private static readonly long[] Interesting =
    [
        0, 1, 2, 0x0F, 0x10, 0x11, 0x1F, 0x20, 0x3F, 0x40, 0x41, 0x7F, 0x80, 0xFF, 0x100, 0x3FF, 0x400,
        0xFFF, 0x1000, 0x1001, 0x1010, 0x1011, 0x1020, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
        0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, -1, -16,
    ];

    private static readonly string[] JsonValues =
    [
        "\"\\ud800\"", "\"\\udfff\"", "\"a\\ud800b\"", "\"\\udc00\\ud800\"", "\"\\u0000\"", "\"\\n\"", "\"\"",
        "1e400", "-1e400", "1e-400", "-0", "0.5", "-1", "2147483647", "2147483648", "-2147483649",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "123456789012345678901234567890", "1.0", "1E2", "null", "true", "false", "[]", "{}", "[null]",
        "{\"\":null}", "\"AAAA\"", "\"====\"", "\"A\"", "\"24A160C3D4E5\"", "\"T-0001\"",
    ];

    private const string Structural = "\"\\{}[]:,0123456789-+.eEaA \u007f";

    private static readonly string[] JsonKeys = ["\\ud800", "DeviceI\\ud800", "\\udfffX", "", "__proto__", "deviceId", "DEVICEID"];

    public byte[] Mutate(byte[] input, IReadOnlyList<byte[]> corpus, bool json, int maxLength)
    {
        var data = new List<byte>(input);
        var rounds = 1 + random.Next(json ? 3 : 4);
        for (var i = 0; i < rounds; i++)
        {
            if (json && random.Next(2) == 0)
            {
                MutateJson(data);
            }
            else
            {
                MutateBytes(data, corpus);
            }
        }

        if (data.Count > maxLength)
        {
            data.RemoveRange(maxLength, data.Count - maxLength);
        }

        return [.. data];
    }

    private void MutateBytes(List<byte> data, IReadOnlyList<byte[]> corpus)
    {
        switch (random.Next(11))
        {
            case 0 when data.Count > 0:
                data[random.Next(data.Count)] ^= (byte)(1 << random.Next(8));
                break;
            case 1 when data.Count > 0:
                data[random.Next(data.Count)] = (byte)random.Next(256);
                break;
            case 2:
                WriteInteger(data, Interesting[random.Next(Interesting.Length)], 1 << random.Next(3), random.Next(2) == 0);
                break;
            case 3:
                {
                    var count = 1 + random.Next(random.Next(2) == 0 ? 4 : 64);
                    var at = random.Next(data.Count + 1);
                    var fill = random.Next(3);
                    var value = (byte)random.Next(256);
                    for (var i = 0; i < count; i++)
                    {
                        data.Insert(at, fill == 0 ? value : (byte)random.Next(256));
                    }

                    break;
                }

            case 4 when data.Count > 0:
                {
                    var at = random.Next(data.Count);
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(random.Next(2) == 0 ? 4 : 64)));
                    break;
                }

            case 5 when data.Count > 0:
                {
                    // Duplicate a range: repeated fields and records.
                    var at = random.Next(data.Count);
                    var count = Math.Min(data.Count - at, 1 + random.Next(32));
                    var copy = data.GetRange(at, count);
                    data.InsertRange(random.Next(data.Count + 1), copy);
                    break;
                }

            case 6 when corpus.Count > 0:
                {
                    // Splice: our head, another input's tail.
                    var other = corpus[random.Next(corpus.Count)];
                    var cut = random.Next(data.Count + 1);
                    var from = random.Next(other.Length + 1);
                    data.RemoveRange(cut, data.Count - cut);
                    data.AddRange(other.AsSpan(from).ToArray());
                    break;
                }

            case 7 when data.Count > 0:
                {
                    var cut = random.Next(data.Count);
                    data.RemoveRange(cut, data.Count - cut);
                    break;
                }

            case 8 when data.Count > 0:
                {
                    // Length-field edit: nudge a byte or a big-endian word by a small or block-sized step.
                    var steps = new[] { 1, -1, 16, -16, 15, 17, 128, -128 };
                    var step = steps[random.Next(steps.Length)];
                    var at = random.Next(data.Count);
                    if (random.Next(2) == 0 || at + 4 > data.Count)
                    {
                        data[at] = (byte)(data[at] + step);
                    }
                    else
                    {
                        var word = ((long)data[at] << 24) | ((long)data[at + 1] << 16) | ((long)data[at + 2] << 8) | data[at + 3];
                        word += step;
                        for (var i = 0; i < 4; i++)
                        {
                            data[at + i] = (byte)(word >> (24 - (8 * i)));
                        }
                    }

                    break;
                }

            case 9:
                {
                    var count = 1 + random.Next(8);
                    var at = random.Next(data.Count + 1);
                    for (var i = 0; i < count; i++)
                    {
                        data.Insert(at, (byte)Structural[random.Next(Structural.Length)]);
                    }

                    break;
                }

            default:
                if (data.Count > 0)
                {
                    data[random.Next(data.Count)] = (byte)(random.Next(2) == 0 ? 0x80 + random.Next(0x80) : random.Next(0x20));
                }

                break;
        }
    }

    private void WriteInteger(List<byte> data, long value, int width, bool bigEndian)
    {
        var at = random.Next(data.Count + 1);
        for (var i = 0; i < width; i++)
        {
            var shift = 8 * (bigEndian ? width - 1 - i : i);
            var b = (byte)(value >> shift);
            if (at + i < data.Count)
            {
                data[at + i] = b;
            }
            else
            {
                data.Add(b);
            }
        }
    }

    private void MutateJson(List<byte> data)
    {
        var text = Encoding.UTF8.GetString([.. data]);
        var quotes = new List<int>();
        var punctuation = new List<int>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"')
            {
                quotes.Add(i);
            }
            else if (text[i] is ':' or ',' or '{' or '[')
            {
                punctuation.Add(i);
            }
        }

        string result;
        switch (random.Next(9))
        {
            case 0 when punctuation.Count > 0:
                {
                    // Replace the value after a ':' or ',' with a hostile one.
                    var at = punctuation[random.Next(punctuation.Count)] + 1;
                    var end = ValueEnd(text, at);
                    result = text[..at] + JsonValues[random.Next(JsonValues.Length)] + text[end..];
                    break;
                }

            case 1 when quotes.Count > 0:
                {
                    // An escape (often a lone surrogate) inside a string or a name.
                    var at = quotes[random.Next(quotes.Count)] + (random.Next(2) == 0 ? 1 : 0);
                    var escapes = new[] { "\\ud800", "\\udbff", "\\udc00", "\\u0000", "\\u00e9", "\\\"", "\\\\", "\\x", "\\u12" };
                    result = text[..at] + escapes[random.Next(escapes.Length)] + text[at..];
                    break;
                }

            case 2:
                {
                    var depth = random.Next(2) == 0 ? 70 : 2000;
                    var at = punctuation.Count > 0 ? punctuation[random.Next(punctuation.Count)] + 1 : 0;
                    var open = random.Next(2) == 0 ? "[" : "{\"a\":";
                    var close = open == "[" ? "]" : "}";
                    result = text[..at] + string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, random.Next(3) == 0 ? depth - 1 : depth)) + text[ValueEnd(text, at)..];
                    break;
                }

            case 3 when text.StartsWith('{'):
                {
                    // A duplicate or hostile key.
                    var key = random.Next(2) == 0 && quotes.Count >= 2 ? text[(quotes[0] + 1)..quotes[1]] : JsonKeys[random.Next(JsonKeys.Length)];
                    result = "{\"" + key + "\":" + JsonValues[random.Next(JsonValues.Length)] + (text.Length > 2 ? "," : string.Empty) + text[1..];
                    break;
                }

            case 4 when text.StartsWith('{'):
                {
                    var big = new string((char)('a' + random.Next(26)), random.Next(2) == 0 ? 300 : 20_000);
                    result = random.Next(2) == 0 ? "{\"" + big + "\":1," + text[1..] : "{\"x\":\"" + big + "\"," + text[1..];
                    break;
                }

            case 5 when punctuation.Count > 0:
                {
                    // A long array of small values: many elements, little text.
                    var at = punctuation[random.Next(punctuation.Count)] + 1;
                    var count = random.Next(2) == 0 ? 100 : 4000;
                    result = text[..at] + "[" + string.Join(",", Enumerable.Repeat(JsonValues[random.Next(JsonValues.Length)], count)) + "]" + text[ValueEnd(text, at)..];
                    break;
                }

            case 6 when quotes.Count >= 2:
                {
                    // Change the case of a name (names are matched exactly on the wire).
                    var i = random.Next(quotes.Count - 1);
                    var name = text[(quotes[i] + 1)..quotes[i + 1]];
                    result = text[..(quotes[i] + 1)] + (random.Next(2) == 0 ? name.ToLowerInvariant() : name.ToUpperInvariant()) + text[quotes[i + 1]..];
                    break;
                }

            case 7:
                result = random.Next(3) switch
                {
                    0 => text + text,
                    1 => "[" + text + "]",
                    _ => text.Length > 1 ? text[..random.Next(text.Length)] : "{",
                };
                break;
            default:
                result = text.Length > 0 ? text.Insert(random.Next(text.Length), JsonValues[random.Next(JsonValues.Length)]) : "{}";
                break;
        }

        data.Clear();
        data.AddRange(Encoding.UTF8.GetBytes(result));
    }

    /// <summary>The end of the JSON value starting at <paramref name="at"/> (roughly: up to the next , } or ] at depth 0).</summary>
    private static int ValueEnd(string text, int at)
    {
        var depth = 0;
        var inString = false;
        for (var i = at; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '{' or '[':
                    depth++;
                    break;
                case '}' or ']' when depth == 0:
                    return i;
                case '}' or ']':
                    depth--;
                    break;
                case ',' when depth == 0:
                    return i;
            }
        }

        return text.Length;
    }
}
