using PeerGate.NanoGuard.Toolchain;

namespace PeerGate.NanoGuard.Checking;

/// <summary>What the sources are compiled against besides the API surface declarations.</summary>
public sealed class GuardOptions
{
    /// <summary>The real toolchain; with it the sources are also compiled against its reference assemblies.</summary>
    public NanoToolchain? Toolchain { get; init; }

    /// <summary>Why there is no toolchain (printed so a stub-only check never passes for a full one).</summary>
    public string? NoToolchainReason { get; init; }

    /// <summary>The ESP32 project: which real assemblies the sources may use, and the package versions findings name.</summary>
    public NfProject? Project { get; init; }

    /// <summary>Declarations only: no real reference assemblies even when the toolchain is there.</summary>
    public static GuardOptions SurfaceOnly { get; } = new() { NoToolchainReason = "not asked for" };

    /// <summary>
    /// Finds the repository above <paramref name="start"/> (the current directory when null, then this tool's own
    /// folder), its ESP32 project and the toolchain beside it (or at PEERGATE_NANOFRAMEWORK).
    /// </summary>
    public static GuardOptions Locate(string? start = null)
    {
        string? root = NanoToolchain.FindRepoRoot(start ?? Directory.GetCurrentDirectory())
            ?? NanoToolchain.FindRepoRoot(AppContext.BaseDirectory);
        NanoToolchain? toolchain = NanoToolchain.Find(root, out string reason);
        NfProject? project = NfProject.Load(root);
        if (toolchain is not null && project is null)
        {
            return new GuardOptions { NoToolchainReason = $"{NfProject.RelativePath} not found, so the real references are unknown" };
        }

        return new GuardOptions { Toolchain = toolchain, NoToolchainReason = toolchain is null ? reason : null, Project = project };
    }
}
