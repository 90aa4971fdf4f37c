namespace PeerGate.Server.Storage;

/// <summary>
/// The instance's data directory: the database plus the few secrets made at first start
/// (signing key, admin token), written owner-only (600) and never logged.
/// </summary>
public sealed class DataDirectory
{
    public DataDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

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
