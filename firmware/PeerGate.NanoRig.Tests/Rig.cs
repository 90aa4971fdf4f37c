using PeerGate.NanoGuard.Toolchain;

namespace PeerGate.NanoRig.Tests;

/// <summary>One rig for the test run (one scratch folder), or "skipped" with the reason through Assert.Inconclusive.</summary>
[TestClass]
public static class Rig
{
    private static readonly Lazy<(NanoRig? Rig, string Reason)> Shared = new(() =>
    {
        NanoRig? rig = NanoRig.Create(RepoRoot(), out string reason);
        return (rig, reason);
    });

    public static string RepoRoot() =>
        NanoToolchain.FindRepoRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("PeerGate.slnx not found above " + AppContext.BaseDirectory);

    public static NanoRig Require()
    {
        (NanoRig? rig, string reason) = Shared.Value;
        if (rig is null)
        {
            Assert.Inconclusive($"skipped: no nanoFramework toolchain ({reason})");
        }

        return rig!;
    }

    [AssemblyCleanup]
    public static void Cleanup()
    {
        if (Shared.IsValueCreated)
        {
            Shared.Value.Rig?.Dispose();
        }
    }
}
