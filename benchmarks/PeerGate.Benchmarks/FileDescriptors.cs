using System.Globalization;

namespace PeerGate.Benchmarks;

/// <summary>
/// This process's open files against its limit (from /proc): every idle device the benchmark plays holds
/// a socket here, and the server or broker it talks to holds the other end in its own process, so each
/// side needs one descriptor per device under the same limit (<c>ulimit -n</c>).
/// </summary>
public static class FileDescriptors
{
    /// <summary>Descriptors kept free beside the devices' sockets: the runtime, the clients of short requests, the files and pipes.</summary>
    public const int Headroom = 512;

    /// <summary>The soft limit on open files, or null where /proc does not say.</summary>
    public static long? Limit()
    {
        if (!File.Exists("/proc/self/limits"))
        {
            return null;
        }

        foreach (var line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return soft == "unlimited" ? long.MaxValue : long.Parse(soft, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>Descriptors open now.</summary>
    public static int Open() => Directory.Exists("/proc/self/fd") ? Directory.GetFileSystemEntries("/proc/self/fd").Length : 0;

    /// <summary>Null when <paramref name="sockets"/> more fit under the limit, else why not.</summary>
    public static string? Shortfall(int sockets)
    {
        var needed = Open() + sockets + Headroom;
        return Limit() is { } limit && needed > limit
            ? $"{sockets} sockets need {needed} open files in this process and as many in the server's; the limit (ulimit -n) is {limit}"
            : null;
    }
}
