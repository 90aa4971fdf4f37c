using PeerGate.NanoGuard.Toolchain;

namespace PeerGate.NanoGuard.Tests;

/// <summary>The real nanoFramework toolchain beside the repository, or "skipped" through Assert.Inconclusive: never a false pass.</summary>
internal static class RealToolchain
{
    public static string RepoRoot() =>
        NanoToolchain.FindRepoRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("PeerGate.slnx not found above " + AppContext.BaseDirectory);

    public static NanoToolchain Require()
    {
        NanoToolchain? toolchain = NanoToolchain.Find(RepoRoot(), out string reason);
        if (toolchain is null)
        {
            Assert.Inconclusive($"skipped: no nanoFramework toolchain ({reason})");
        }

        return toolchain!;
    }
}
