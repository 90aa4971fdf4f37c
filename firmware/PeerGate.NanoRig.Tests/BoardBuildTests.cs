namespace PeerGate.NanoRig.Tests;

/// <summary>
/// The ESP32 application, built from exactly the files, references and language version of its .nfproj, is
/// accepted by the real MetadataProcessor: what the board build does after csc, and where it refuses what the
/// board cannot load (generic instantiations it cannot express, multidimensional arrays, too-large tables).
/// </summary>
[TestClass]
public sealed class BoardBuildTests
{
    [TestMethod]
    [DataRow(false, DisplayName = "Release")]
    [DataRow(true, DisplayName = "Debug")]
    [Timeout(180_000, CooperativeCancellation = true)]
    public void Esp32ApplicationPassesTheMetadataProcessor(bool debug)
    {
        NanoRig rig = Rig.Require();
        Assert.IsTrue(rig.Board.Sources.Any(s => s.EndsWith(Path.Combine("PeerGate.Device.Esp32", "Program.cs"), StringComparison.Ordinal)), "Program.cs");
        Assert.IsTrue(rig.Board.Sources.Any(s => s.Contains(Path.Combine("shared-protocol", "PeerGate.Protocol", "Peer"), StringComparison.Ordinal)), "the shared protocol");
        Assert.IsFalse(rig.Board.Sources.Any(s => s.Contains(Path.Combine("PeerGate.Protocol", "Host"), StringComparison.Ordinal)), "Host/ is .NET only");

        string exe = rig.Compile(debug ? "Esp32.Debug/PeerGate.Device.Esp32.exe" : "Esp32.Release/PeerGate.Device.Esp32.exe", rig.Board.Sources, debug);
        string pe = rig.MakePe(exe);

        Assert.IsTrue(new FileInfo(pe).Length > 10_000, pe);
    }

    [TestMethod]
    public void TheBoardProjectIsReadAsTheBoardBuildsIt()
    {
        BoardProject board = BoardProject.Load(Rig.RepoRoot());

        Assert.AreEqual("9.0", board.LangVersion);
        CollectionAssert.Contains(board.Defines.ToArray(), "NANOFRAMEWORK_1_0");
        CollectionAssert.Contains(board.References.ToArray(), "nanoFramework.Json");
        CollectionAssert.DoesNotContain(board.References.ToArray(), "mscorlib");
        CollectionAssert.DoesNotContain(board.References.ToArray(), "System.Math", "the board does not reference System.Math");
        Assert.IsTrue(board.SourcesUnder("firmware/PeerGate.Device").Count > 20);
        Assert.IsFalse(board.Sources.Any(s => s.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)), "obj/ is excluded");
    }
}
