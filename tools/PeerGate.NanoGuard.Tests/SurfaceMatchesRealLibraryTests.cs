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
}
