using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PeerGate.Benchmarks;

/// <summary>
/// The floor under every durable commit: how many synchronous 4 KiB writes this file system takes
/// per second, measured in the same run, in-process and with coreutils dd for comparison.
/// </summary>
public static partial class DiskSyncBenchmark
{
    public static LatencySample Run(string dataRoot, double seconds)
    {
        var path = Path.Combine(dataRoot, "peergate-fsync-" + Guid.NewGuid().ToString("N"));
        var block = new byte[4096];
        var latencies = new List<long>();
        try
        {
            using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
            var clock = Stopwatch.StartNew();
            var duration = TimeSpan.FromSeconds(Math.Max(0.2, seconds));
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                file.Position = 0;
                file.Write(block);
                Sync(file);
                latencies.Add(Stopwatch.GetTimestamp() - started);
            }

            return LatencySample.From(latencies, 0, clock.Elapsed);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// fdatasync on Linux: the block rewritten in place, so only data reaches the disk, the cheapest
    /// durable write it offers and so the anchor for commits; elsewhere the runtime's flush to disk (fsync).
    /// </summary>
    private static void Sync(FileStream file)
    {
        file.Flush(flushToDisk: false);
        if (OperatingSystem.IsLinux())
        {
            if (FDataSync(file.SafeFileHandle) != 0)
            {
                throw new IOException("fdatasync failed: errno " + System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
            }
        }
        else
        {
            file.Flush(flushToDisk: true);
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(Microsoft.Win32.SafeHandles.SafeFileHandle handle);

    /// <summary>Synchronous writes per second as `dd oflag=dsync` reports them; null when dd is missing or unreadable.</summary>
    public static double? RunDd(string dataRoot, int blocks)
    {
        var path = Path.Combine(dataRoot, "peergate-dd-" + Guid.NewGuid().ToString("N"));
        try
        {
            var start = new ProcessStartInfo("dd", ["if=/dev/zero", "of=" + path, "bs=4k", "count=" + blocks, "oflag=dsync"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            using var dd = Process.Start(start);
            if (dd is null)
            {
                return null;
            }

            var report = dd.StandardError.ReadToEnd();
            if (!dd.WaitForExit(60_000) || dd.ExitCode != 0)
            {
                return null;
            }

            // "... copied, 0.512 s, 1.6 MB/s": blocks over the seconds dd measured.
            var match = DdSeconds().Match(report);
            return match.Success && double.TryParse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture, out var secondsTaken) && secondsTaken > 0
                ? blocks / secondsTaken
                : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
        finally
        {
            File.Delete(path);
        }
    }

    [GeneratedRegex(@"copied, ([0-9.]+) s")]
    private static partial Regex DdSeconds();
}
