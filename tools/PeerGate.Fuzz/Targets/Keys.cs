using System.Reflection;
using PeerGate.Fuzz.Engine;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.Protocol.Peer;

namespace PeerGate.Fuzz.Targets;

/// <summary>What several targets share: the vector session key, both directions' derived keys, the set of codes.</summary>
public static class Keys
{
    public static readonly HostPeerCrypto Crypto = new();

    public static byte[] SessionKey { get; } = Vectors.Hex(Vectors.Read("peer/frames.json"), "sessionKey");

    /// <summary>Every stable refusal code (the constants of <see cref="ErrorCodes"/>).</summary>
    public static IReadOnlySet<string> ErrorCodeSet { get; } = typeof(ErrorCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToHashSet(StringComparer.Ordinal);

    public static byte[] EncryptionKey(string direction) => FrameKeys.EncryptionKey(Crypto, SessionKey, direction);

    public static byte[] MacKey(string direction) => FrameKeys.MacKey(Crypto, SessionKey, direction);

    public static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzFailure(what);
        }
    }

    public static string Code(FrameException exception)
    {
        Expect(exception.Code is ErrorCodes.FrameMalformed or ErrorCodes.FrameTampered or ErrorCodes.FrameOutOfOrder, "unexpected frame refusal code " + exception.Code);
        return exception.Code;
    }
}

/// <summary>
/// Inputs that pick one of several kinds (a body type, a route): "@name\n" then the body, so kept inputs
/// keep their meaning when kinds are added; any other input picks by its first byte.
/// </summary>
public static class Selector
{
    public static byte[] Named(string name, byte[] body) => [.. System.Text.Encoding.UTF8.GetBytes("@" + name + "\n"), .. body];

    /// <summary>The index picked and where the body starts; -1 for a name that is not there.</summary>
    public static int Pick(byte[] input, IReadOnlyList<string> names, out int bodyOffset)
    {
        if (input.Length > 0 && input[0] == (byte)'@')
        {
            var end = Array.IndexOf(input, (byte)'\n');
            if (end > 0)
            {
                bodyOffset = end + 1;
                var name = System.Text.Encoding.UTF8.GetString(input, 1, end - 1);
                for (var i = 0; i < names.Count; i++)
                {
                    if (names[i] == name)
                    {
                        return i;
                    }
                }

                return -1;
            }
        }

        bodyOffset = Math.Min(1, input.Length);
        return input.Length > 0 ? input[0] % names.Count : -1;
    }
}
