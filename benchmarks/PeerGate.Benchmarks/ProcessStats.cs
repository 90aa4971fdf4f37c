using System.Globalization;

namespace PeerGate.Benchmarks;

/// <summary>What Linux says about another process: resident memory and CPU time, from /proc.</summary>
public static class ProcessStats
{
    /// <summary>Clock ticks per second of /proc/PID/stat (USER_HZ); 100 on every Linux this runs on.</summary>
    private const double TicksPerSecond = 100;

    /// <summary>VmRSS of /proc/PID/status in bytes, or -1 when the process is gone.</summary>
    public static long ResidentBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kib = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return -1;
    }

    /// <summary>User plus system CPU time of the process (all its threads) so far, from /proc/PID/stat.</summary>
    public static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");

        // The command name is in parentheses and may hold spaces: count fields after its closing one.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((utime + stime) / TicksPerSecond);
    }

    /// <summary>True on Linux, where /proc answers the questions above.</summary>
    public static bool Available => File.Exists("/proc/self/stat");
}
