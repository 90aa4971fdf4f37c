using PeerGate.NanoGuard.Checking;

namespace PeerGate.NanoGuard.Tests;

/// <summary>The device core and the shared protocol (outside Host/) must stay inside the nanoFramework 1.x subset.</summary>
[TestClass]
public sealed class RealSourceTests
{
    [TestMethod]
    public void SharedProtocolIsInsideTheSubset()
    {
        string root = RepoRoot();
        AssertClean(root, SourceSet.Find(Path.Combine(root, "shared-protocol", "PeerGate.Protocol"), "Host"));
    }

    [TestMethod]
    public void DeviceCoreIsInsideTheSubset()
    {
        // The device core uses the protocol, and the ESP32 project compiles both into one program.
        string root = RepoRoot();
        IReadOnlyList<string> device = SourceSet.Find(Path.Combine(root, "firmware", "PeerGate.Device"));
        Assert.IsTrue(device.Count > 0, "no device core sources");

        AssertClean(root, [.. device, .. SourceSet.Find(Path.Combine(root, "shared-protocol", "PeerGate.Protocol"), "Host")]);
    }

    [TestMethod]
    public void TheInterpreterFlowProgramIsInsideTheSubset()
    {
        // firmware/PeerGate.NanoRig/Programs/Flows runs on nanoCLR: nf-compile checks it against the real reference
        // assemblies, this the constructs that compile there but fail on the device.
        string root = RepoRoot();
        IReadOnlyList<string> flows = SourceSet.Find(Path.Combine(root, "firmware", "PeerGate.NanoRig", "Programs", "Flows"));
        Assert.IsTrue(flows.Count > 0, "no flow program sources");
        string[] json = Directory.GetFiles(Path.Combine(root, "firmware", "PeerGate.Device.Esp32", "Platform"), "NanoJson*.cs");

        AssertClean(root,
        [
            .. flows,
            .. json,
            .. SourceSet.Find(Path.Combine(root, "firmware", "PeerGate.Interpreter", "Crypto")),
            .. SourceSet.Find(Path.Combine(root, "firmware", "PeerGate.NanoRig", "Programs", "Crypto")),
            .. SourceSet.Find(Path.Combine(root, "firmware", "PeerGate.Device")),
            .. SourceSet.Find(Path.Combine(root, "shared-protocol", "PeerGate.Protocol"), "Host"),
        ]);
    }

    private static void AssertClean(string root, IReadOnlyList<string> files)
    {
        Assert.IsTrue(files.Count > 0, "no sources found");
        string[] separators = [$"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", $"{Path.DirectorySeparatorChar}Host{Path.DirectorySeparatorChar}"];
        Assert.IsFalse(files.Any(f => separators.Any(s => f.Contains(s, StringComparison.Ordinal))), "build output or host code was picked up");

        GuardReport report = NanoGuard.Check(files);

        Assert.AreEqual(files.Count, report.FileCount);
        Assert.IsTrue(report.IsClean, Describe(report, root));
    }

    private static string Describe(GuardReport report, string root) =>
        string.Join(Environment.NewLine, report.Findings.Select(f => f with { Path = Path.GetRelativePath(root, f.Path) }));

    private static string RepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PeerGate.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PeerGate.slnx not found above " + AppContext.BaseDirectory);
    }
}
