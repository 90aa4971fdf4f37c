using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Storage;

/// <summary>
/// A 2 MiB tmpfs the storage tests fill to make the disk full (root on Linux only), and the one way
/// they run a system tool.
/// </summary>
internal static class SmallDisk
{
    /// <summary>Mounts the tmpfs on <paramref name="mount"/>; the test is skipped with the reason when it cannot be.</summary>
    public static async Task MountAsync(string mount)
    {
        var (exit, output) = await RunAsync("mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", mount);
        if (exit != 0)
        {
            Assert.Inconclusive($"skipped: cannot mount a tmpfs here ({output.Trim()})");
        }
    }

    public static async Task UnmountAsync(string mount)
    {
        var (exit, _) = await RunAsync("umount", mount);
        if (exit != 0)
        {
            // Still busy (a handle not yet closed): detach it now, the kernel frees it when unused.
            await RunAsync("umount", "-l", mount);
        }
    }

    /// <summary>Writes <paramref name="path"/> until the file system is full.</summary>
    public static void Fill(string path)
    {
        var chunk = new byte[16 * 1024];
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1);
        for (var written = 0L; written < 64L * 1024 * 1024; written += chunk.Length)
        {
            try
            {
                stream.Write(chunk);
                stream.Flush();
            }
            catch (IOException)
            {
                return;
            }
        }

        Assert.Fail("the 2 MiB file system took 64 MiB");
    }

    /// <summary>Runs <paramref name="file"/> for at most 30 s; exit -1 when it cannot be started.</summary>
    public static async Task<(int Exit, string Output)> RunAsync(string file, params string[] arguments)
    {
        try
        {
            var result = await ChildProcess.RunAsync(file, arguments, TimeSpan.FromSeconds(30));
            return (result.Exit, result.All);
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            return (-1, $"{file}: {exception.Message}");
        }
    }
}
