using System.Xml.Linq;
using PeerGate.NanoGuard.Surface;
using PeerGate.NanoGuard.Toolchain;

namespace PeerGate.NanoGuard.Tests;

/// <summary>The comparison names each kind of difference with the declaration's file and line and what the real library has.</summary>
[TestClass]
public sealed class SurfaceComparerTests
{
    private const string DriftedCollections = """
        namespace System.Collections
        {
            public class Hashtable
            {
                public Hashtable() { }

                public bool ContainsKey(object key) { throw null; }

                public IDictionaryEnumerator GetEnumerator() { throw null; }

                public static int Count => throw null;
            }

            public interface IDictionaryEnumerator : IEnumerator
            {
                object Key { get; }
            }

            public class Stack : ArrayList
            {
            }
        }

        namespace System
        {
            public class OperationCanceledException : SystemException
            {
            }
        }
        """;

    private const string DriftedNet = """
        namespace nanoFramework.Networking
        {
            public enum NetworkHelperStatus
            {
                None = 0,
                Reconnecting = 7,
            }
        }
        """;

    [TestMethod]
    public void EachDifferenceIsReportedWithFileLineAndTheRealMember()
    {
        NanoToolchain toolchain = RealToolchain.Require();
        SurfaceBuild surface = SurfaceWith(("nanoFramework.System.Collections", "Drift.cs", DriftedCollections), ("System.Net", "Drift.cs", DriftedNet));

        IReadOnlyList<SurfaceMismatch> mismatches = SurfaceComparer.Compare(surface, RealLibrary.Load(toolchain), NfProject.Load(RealToolchain.RepoRoot()));
        string all = string.Join(Environment.NewLine, mismatches);

        const string file = "test/nanoFramework.System.Collections/Drift.cs";
        AssertHas(mismatches, file, 7, "Hashtable.ContainsKey(System.Object) does not exist in the real nanoFramework.System.Collections: it has no member ContainsKey", all);
        AssertHas(mismatches, file, 9, "Hashtable.GetEnumerator() returns System.Collections.IDictionaryEnumerator; the real one returns System.Collections.IEnumerator", all);
        AssertHas(mismatches, file, 11, "Hashtable.get_Count() is declared static; the real one is instance", all);
        AssertHas(mismatches, file, 19, "System.Collections.Stack derives from System.Collections.ArrayList; the real one from System.Object", all);
        AssertHas(mismatches, "test/System.Net/Drift.cs", 6, "NetworkHelperStatus.Reconnecting = 7; the real value is 8", all);
        AssertHas(mismatches, file, 26, "type System.OperationCanceledException is not in nanoFramework.System.Collections; the real type is System.Threading.OperationCanceledException in System.Threading", all);
        Assert.IsTrue(
            mismatches.Any(m => m.Line == 14 && m.Message.StartsWith("IDictionaryEnumerator lacks the abstract", StringComparison.Ordinal)),
            "an interface must declare every member of the real one:" + Environment.NewLine + all);
    }

    [TestMethod]
    public void AFolderTheEsp32ProjectDoesNotReferenceIsRefused()
    {
        // System.Math is a real nanoFramework library, but the .nfproj does not reference it: no Math on the board.
        NanoToolchain toolchain = RealToolchain.Require();
        SurfaceBuild surface = SurfaceWith(("System.Math", "Math.cs", "namespace System { public static class Math { public static int Abs(int val) { throw null; } } }"));

        IReadOnlyList<SurfaceMismatch> mismatches = SurfaceComparer.Compare(surface, RealLibrary.Load(toolchain), NfProject.Load(RealToolchain.RepoRoot()));

        Assert.IsTrue(
            mismatches.Any(m => m.Path == "test/System.Math/Math.cs" && m.Message.Contains("System.Math is not referenced by firmware/PeerGate.Device.Esp32/PeerGate.Device.Esp32.nfproj", StringComparison.Ordinal)),
            string.Join(Environment.NewLine, mismatches));
    }

    [TestMethod]
    public void TheEsp32ProjectReferencesComeWithTheirPackageVersions()
    {
        NfProject project = NfProject.Load(RealToolchain.RepoRoot())!;

        Assert.AreEqual("1.5.75", project.Find("nanoFramework.System.Collections")!.Version);
        Assert.AreEqual("nanoFramework.System.Net.Http.Client", project.Find("System.Net.Http")!.PackageId);
        Assert.AreEqual("1.17.11", project.Find("mscorlib")!.Version);
        Assert.IsNull(project.Find("System.Math"));
        Assert.IsFalse(project.References.Any(r => r.Version == "?"), string.Join(", ", project.References));

        // packages.config restores what the HintPaths point at: the same package ids and versions.
        XDocument packages = XDocument.Load(Path.Combine(Path.GetDirectoryName(project.Path)!, "packages.config"));
        var restored = packages.Root!.Elements("package").ToDictionary(p => (string)p.Attribute("id")!, p => (string)p.Attribute("version")!);
        foreach (NfReference reference in project.References)
        {
            Assert.IsTrue(restored.TryGetValue(reference.PackageId, out string? version), $"{reference.PackageId} is not in packages.config");
            Assert.AreEqual(reference.Version, version, reference.PackageId);
        }
    }

    [TestMethod]
    public void EveryEsp32ProjectReferenceHasARealReferenceAssembly()
    {
        NanoToolchain toolchain = RealToolchain.Require();
        NfProject project = NfProject.Load(RealToolchain.RepoRoot())!;

        string[] missing = [.. project.References.Where(r => toolchain.ReferencePath(r.AssemblyName) is null).Select(r => r.AssemblyName)];

        Assert.AreEqual(0, missing.Length, "no ref/*.dll for " + string.Join(", ", missing));
    }

    /// <summary>The embedded mscorlib declarations plus test files, each in the folder named.</summary>
    private static SurfaceBuild SurfaceWith(params (string folder, string name, string text)[] files)
    {
        SurfaceFile[] core = [.. ApiSurface.Load([]).Where(f => f.Folder == ApiSurface.CoreLibraryFolder)];
        return ApiSurface.Build([.. core, .. files.Select(f => new SurfaceFile(f.folder, $"test/{f.folder}/{f.name}", f.text))]);
    }

    private static void AssertHas(IReadOnlyList<SurfaceMismatch> mismatches, string path, int line, string message, string all) =>
        Assert.IsTrue(
            mismatches.Any(m => m.Path == path && m.Line == line && m.Message == message),
            $"expected {path}({line}): {message}{Environment.NewLine}got:{Environment.NewLine}{all}");
}
