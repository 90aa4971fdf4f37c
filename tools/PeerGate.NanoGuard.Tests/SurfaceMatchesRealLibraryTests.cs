using PeerGate.NanoGuard.Surface;
using PeerGate.NanoGuard.Toolchain;

namespace PeerGate.NanoGuard.Tests;

/// <summary>
/// Every declaration in ApiSurface/ says what the real stable 1.x library has: each type and member is compared with
/// the toolchain's reference assembly of the same name (ref/*.dll), and each folder must be an assembly the ESP32
/// project references.
/// </summary>
[TestClass]
public sealed class SurfaceMatchesRealLibraryTests
{
    [TestMethod]
    public void EveryDeclarationMatchesTheRealLibrary()
    {
        NanoToolchain toolchain = RealToolchain.Require();
        string root = RealToolchain.RepoRoot();

        IReadOnlyList<SurfaceMismatch> mismatches = SurfaceComparer.Compare(
            ApiSurface.Compiled(), RealLibrary.Load(toolchain), NfProject.Load(root));

        Assert.AreEqual(0, mismatches.Count, Environment.NewLine + string.Join(Environment.NewLine, mismatches.Select(m => "tools/PeerGate.NanoGuard/" + m)));
    }

    [TestMethod]
    public void EveryDeclarationFileNamesTheSourceAndVersionItMirrors()
    {
        NfProject project = NfProject.Load(RealToolchain.RepoRoot())!;
        string[] unnamed =
        [
            .. ApiSurface.Load([])
                .Where(f => !f.Text.StartsWith("// Mirrors nanoframework/", StringComparison.Ordinal)
                    || project.Find(f.Folder) is not { } reference
                    || !f.Text[..Math.Min(f.Text.Length, 600)].Contains(reference.Version, StringComparison.Ordinal))
                .Select(f => f.Path),
        ];

        Assert.AreEqual(0, unnamed.Length, "no \"// Mirrors nanoframework/<repo> <path>\" header with the .nfproj's package version: " + string.Join(", ", unnamed));
    }
}
