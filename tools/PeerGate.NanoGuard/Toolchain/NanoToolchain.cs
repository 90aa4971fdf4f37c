namespace PeerGate.NanoGuard.Toolchain;

/// <summary>
/// The real nanoFramework toolchain (reference assemblies of the stable 1.x class libraries in <c>ref/</c>).
/// It sits beside the repository, at <c>&lt;repo&gt;/../shared/nanoframework</c>, on every dev machine and in CI;
/// <see cref="EnvironmentVariable"/> points elsewhere.
/// </summary>
public sealed class NanoToolchain
{
    public const string EnvironmentVariable = "PEERGATE_NANOFRAMEWORK";

    private NanoToolchain(string root)
    {
        Root = root;
        RefDir = Path.Combine(root, "ref");
    }

    /// <summary>The toolchain folder (holding ref/, pe/, bin/, ...).</summary>
    public string Root { get; }

    /// <summary>The reference assemblies, one per nanoFramework assembly: ref/mscorlib.dll, ref/System.Net.dll, ...</summary>
    public string RefDir { get; }

    /// <summary>The reference assembly of <paramref name="assemblyName"/>, or null when the toolchain has none.</summary>
    public string? ReferencePath(string assemblyName)
    {
        string path = Path.Combine(RefDir, assemblyName + ".dll");
        return File.Exists(path) ? path : null;
    }

    /// <summary>
    /// Finds the toolchain: <see cref="EnvironmentVariable"/> when set, otherwise shared/nanoframework beside the
    /// repository that holds <paramref name="repoRoot"/>. Null with <paramref name="reason"/> when there is none.
    /// </summary>
    public static NanoToolchain? Find(string? repoRoot, out string reason)
    {
        string? configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        string? root = !string.IsNullOrWhiteSpace(configured)
            ? Path.GetFullPath(configured)
            : repoRoot is null ? null : Beside(repoRoot);
        if (root is null)
        {
            reason = $"repository root not found and {EnvironmentVariable} not set";
            return null;
        }

        if (!File.Exists(Path.Combine(root, "ref", "mscorlib.dll")))
        {
            reason = $"{Path.Combine(root, "ref", "mscorlib.dll")} not found; set {EnvironmentVariable} to the toolchain folder";
            return null;
        }

        reason = "";
        return new NanoToolchain(root);
    }

    /// <summary>shared/nanoframework beside the checkout.</summary>
    private static string Beside(string repoRoot) => Path.GetFullPath(Path.Combine(repoRoot, "..", "shared", "nanoframework"));

    /// <summary>The folder above <paramref name="start"/> (or itself) that holds PeerGate.slnx, or null.</summary>
    public static string? FindRepoRoot(string start)
    {
        for (DirectoryInfo? dir = new(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PeerGate.slnx")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
