namespace PeerGate.Server.Storage;

/// <summary>
/// The instance's data directory: the database plus the few secrets made at first start
/// (signing key, admin token), never logged. The directory is owner-only (700) and so is every
/// file in it (600), from the first start on: one found looser is tightened, and <see cref="Tightened"/>
/// names it for the startup log.
/// </summary>
public sealed class DataDirectory
{
    public DataDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(Path);
        }
        else
        {
            Directory.CreateDirectory(Path, OwnerOnly.DirectoryMode);
        }

        Tightened = OwnerOnly.RestrictTree(Path);
    }

    public string Path { get; }

    /// <summary>The paths that were readable by others when the server started, and no longer are.</summary>
    public IReadOnlyList<string> Tightened { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Reads the secret in <paramref name="name"/>, creating it with <paramref name="create"/> on first use.</summary>
    public string ReadOrCreateSecret(string name, Func<string> create)
    {
        var path = File(name);
        if (System.IO.File.Exists(path))
        {
            return System.IO.File.ReadAllText(path).Trim();
        }

        var secret = create();
        var temporary = path + ".tmp";
        System.IO.File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(secret);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        // Atomic: a crash leaves either no secret or the whole one, never half a key.
        System.IO.File.Move(temporary, path, overwrite: false);
        return secret;
    }
}
