namespace PeerGate.HardwareTests.Rig;

internal static class RepoPaths
{
    /// <summary>The folder holding PeerGate.slnx above the test binaries, or null.</summary>
    public static string? TryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PeerGate.slnx")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    public static string Root() =>
        TryRoot() ?? throw new InvalidOperationException("PeerGate.slnx not found above " + AppContext.BaseDirectory);

    public static string Vector(params string[] parts) =>
        Path.Combine([AppContext.BaseDirectory, "vectors", .. parts]);
}
