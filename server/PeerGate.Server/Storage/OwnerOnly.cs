using System.Runtime.InteropServices;

namespace PeerGate.Server.Storage;

/// <summary>
/// Owner-only file modes for everything the server keeps: the database holds device and group keys,
/// so no file of it, and no directory holding it, may be readable by another local user.
/// On Windows the files inherit the directory's ACL and these calls do nothing.
/// </summary>
public static class OwnerOnly
{
    private const UnixFileMode GroupAndOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Files the process creates from now on get no group or other bits (umask 077). For the server
    /// binary only: tests share their process with other code.
    /// </summary>
    public static void ApplyToNewFiles()
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = SetUmask(0b000_111_111);
        }
    }

    /// <summary>Creates <paramref name="path"/> empty with mode 600 unless it exists, so SQLite opens a file that is already private.</summary>
    public static void CreateFile(string path)
    {
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        try
        {
            using var stream = new FileStream(path, options);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Already there (or made by another process just now): Restrict checks its mode.
        }
    }

    /// <summary>Takes away group and other access from <paramref name="path"/> if it exists; true when it had any.</summary>
    public static bool Restrict(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        var info = new FileInfo(path);
        if (!info.Exists && !Directory.Exists(path))
        {
            return false;
        }

        // Never through a link: its target is not ours to change.
        if (info.LinkTarget is not null)
        {
            return false;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupAndOther) == 0)
        {
            return false;
        }

        File.SetUnixFileMode(path, mode & ~GroupAndOther);
        return true;
    }

    /// <summary>Restricts <paramref name="directory"/> and everything below it; returns the paths that were changed.</summary>
    public static List<string> RestrictTree(string directory)
    {
        var changed = new List<string>();
        if (OperatingSystem.IsWindows())
        {
            return changed;
        }

        if (Restrict(directory))
        {
            changed.Add(directory);
        }

        // Symlinked directories are not followed; hidden files are included.
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory, "*", options))
        {
            if (Restrict(entry))
            {
                changed.Add(entry);
            }
        }

        return changed;
    }

    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint SetUmask(uint mask);
}
