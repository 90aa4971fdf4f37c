using System.Text;
using PeerGate.Device.Platform;

namespace PeerGate.VirtualDevice.Adapters;

/// <summary>
/// Settings as one file per name in a folder. A write goes to a temporary file that is flushed to
/// disk and then renamed over the old one, so a crash leaves either the old or the new value.
/// </summary>
public sealed class FileSettingsStore : ISettingsStore
{
    private readonly string _folder;

    public FileSettingsStore(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        _folder = Path.GetFullPath(folder);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(_folder);
        }
        else
        {
            Directory.CreateDirectory(_folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public string Folder => _folder;

    public string? Read(string name)
    {
        var path = PathOf(name);
        return File.Exists(path) ? File.ReadAllText(path, Encoding.UTF8) : null;
    }

    public void Write(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var path = PathOf(name);
        var temporary = Path.Combine(_folder, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                var bytes = Encoding.UTF8.GetBytes(value);
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public void Delete(string name) => File.Delete(PathOf(name));

    /// <summary>Names are plain words ("auth-server"), never paths.</summary>
    private string PathOf(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64 || name[0] == '.'
            || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException($"not a settings name: '{name}'", nameof(name));
        }

        return Path.Combine(_folder, name);
    }
}
