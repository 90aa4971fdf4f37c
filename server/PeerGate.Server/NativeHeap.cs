using System.Runtime.InteropServices;

namespace PeerGate.Server;

/// <summary>
/// Bounds glibc's malloc arenas for the process. By default glibc gives busy threads arenas of their
/// own (up to 8 per core) and keeps what is freed in each, so native allocations made on many
/// thread-pool threads (OpenSSL during authentication, SQLite) leave resident memory behind that no
/// later request reuses. Measured with 5,000 devices authenticated and then idle on UDP: 1.6-2.1 KiB
/// resident per device with the default, 0.3 KiB with one arena (docs/performance.md). The same
/// limit as the <c>MALLOC_ARENA_MAX</c> environment variable, set from code so every way of starting
/// the server (systemd, run.sh, tests, the benchmark) has it.
/// </summary>
public static class NativeHeap
{
    private const int ArenaMaxParameter = -8; // M_ARENA_MAX in glibc's malloc.h

    private static int _applied;

    /// <summary>
    /// Limits the arenas to <paramref name="arenas"/> (0 leaves glibc's default). Returns whether the
    /// limit is in force: false off Linux, on a C library without <c>mallopt</c> (musl ignores it),
    /// or when an earlier call in this process already set one.
    /// </summary>
    public static bool LimitArenas(int arenas)
    {
        if (arenas <= 0 || !OperatingSystem.IsLinux() || Interlocked.Exchange(ref _applied, 1) == 1)
        {
            return false;
        }

        try
        {
            return Mallopt(ArenaMaxParameter, arenas) == 1;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // Blittable arguments: a plain DllImport needs no marshalling code and no unsafe context.
    [DllImport("libc.so.6", EntryPoint = "mallopt", ExactSpelling = true)]
    private static extern int Mallopt(int parameter, int value);
}
