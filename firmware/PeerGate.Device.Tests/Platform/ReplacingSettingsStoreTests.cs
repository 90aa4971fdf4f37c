using PeerGate.Device.Platform;

namespace PeerGate.Device.Tests.Platform;

/// <summary>
/// The board's settings files across power cuts: a cut after any number of file operations leaves
/// the old or the new value, the next boot reads it without an exception, and the store keeps working.
/// </summary>
[TestClass]
public sealed class ReplacingSettingsStoreTests
{
    private const string Folder = "I:\\peergate";
    private const string Path = Folder + "\\auth-server";
    private const string Pending = Path + ReplacingSettingsStore.PendingSuffix;
    private const string T = ReplacingSettingsStore.Terminator;

    [TestMethod]
    public void APowerCutAtAnyPointOfAWriteLeavesTheOldOrTheNewValue()
    {
        // One write is three file operations; a cut after 3 means it completed.
        for (int cutAfter = 0; cutAfter <= 3; cutAfter++)
        {
            var files = new PowerCutFiles();
            new ReplacingSettingsStore(files, Folder).Write("auth-server", "https://old.test");

            files.CutAfter = cutAfter;
            try
            {
                new ReplacingSettingsStore(files, Folder).Write("auth-server", "https://new.test");
            }
            catch (PowerCut)
            {
            }

            files.CutAfter = int.MaxValue;
            var rebooted = new ReplacingSettingsStore(files, Folder);
            string? value = rebooted.Read("auth-server");

            Assert.IsTrue(value == "https://old.test" || value == "https://new.test", $"cut after {cutAfter}: read {value ?? "null"}");
            Assert.AreEqual(value, rebooted.Read("auth-server"), $"cut after {cutAfter}: the second read agrees");
            if (cutAfter >= 2)
            {
                Assert.AreEqual("https://new.test", value, $"cut after {cutAfter}: the old file was gone, the new one is whole");
            }

            rebooted.Write("auth-server", "https://next.test");
            Assert.AreEqual("https://next.test", new ReplacingSettingsStore(files, Folder).Read("auth-server"), $"cut after {cutAfter}: the store still writes");
        }
    }

    [TestMethod]
    public void TornTargetBesideAWholePendingFileIsReplacedNotMovedOnto()
    {
        var files = new PowerCutFiles();
        files.Content[Path] = "https://ha";
        files.Content[Pending] = "https://new.test" + T;

        string? value = new ReplacingSettingsStore(files, Folder).Read("auth-server");

        Assert.AreEqual("https://new.test", value);
        Assert.AreEqual("https://new.test" + T, files.Content[Path], "the pending file took the torn one's place");
        Assert.IsFalse(files.Content.ContainsKey(Pending));
    }

    [TestMethod]
    public void APowerCutDuringRecoveryIsFinishedByTheNextRead()
    {
        for (int cutAfter = 0; cutAfter <= 1; cutAfter++)
        {
            var files = new PowerCutFiles();
            files.Content[Path] = "https://ha";
            files.Content[Pending] = "https://new.test" + T;
            files.CutAfter = cutAfter;

            Assert.AreEqual("https://new.test", new ReplacingSettingsStore(files, Folder).Read("auth-server"), $"cut after {cutAfter}: the read itself still answers");

            files.CutAfter = int.MaxValue;
            Assert.AreEqual("https://new.test", new ReplacingSettingsStore(files, Folder).Read("auth-server"), $"cut after {cutAfter}");
            Assert.IsFalse(files.Content.ContainsKey(Pending), $"cut after {cutAfter}: recovery finished");
        }
    }

    [TestMethod]
    public void OnlyTornFilesReadAsNothing()
    {
        var files = new PowerCutFiles();
        files.Content[Path] = "https://ha";
        files.Content[Pending] = "https://ne";
        var store = new ReplacingSettingsStore(files, Folder);

        Assert.IsNull(store.Read("auth-server"));
        store.Write("auth-server", "https://next.test");
        Assert.AreEqual("https://next.test", store.Read("auth-server"));
    }

    [TestMethod]
    public void DeleteRemovesThePendingCopyToo()
    {
        var files = new PowerCutFiles();
        files.Content[Pending] = "https://new.test" + T;
        var store = new ReplacingSettingsStore(files, Folder);

        store.Delete("auth-server");

        Assert.IsNull(store.Read("auth-server"));
        Assert.AreEqual(0, files.Content.Count);
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("..\\key")]
    [DataRow("a b")]
    public void BadNamesAreRefused(string name)
    {
        var store = new ReplacingSettingsStore(new PowerCutFiles(), Folder);

        Assert.ThrowsExactly<ArgumentException>(() => store.Write(name, "x"));
    }

    private sealed class PowerCut : Exception
    {
    }

    /// <summary>
    /// Files with nanoFramework's semantics (Move refuses an existing target, Delete of a missing file
    /// does nothing) and a power cut after <see cref="CutAfter"/> changing operations: the cut write
    /// leaves half of its text, the cut operation otherwise does nothing.
    /// </summary>
    private sealed class PowerCutFiles : ISettingsFiles
    {
        public Dictionary<string, string> Content { get; } = new(StringComparer.Ordinal);

        public int CutAfter { get; set; } = int.MaxValue;

        public bool Exists(string path) => Content.ContainsKey(path);

        public string ReadAllText(string path) => Content[path];

        public void WriteAllText(string path, string text)
        {
            if (Cut())
            {
                Content[path] = text.Substring(0, text.Length / 2);
                throw new PowerCut();
            }

            Content[path] = text;
        }

        public void Delete(string path)
        {
            if (Cut())
            {
                throw new PowerCut();
            }

            Content.Remove(path);
        }

        public void Move(string from, string to)
        {
            if (!Content.ContainsKey(from) || Content.ContainsKey(to))
            {
                throw new Exception(Content.ContainsKey(to) ? "destFileName" : "sourceFileName");
            }

            if (Cut())
            {
                throw new PowerCut();
            }

            Content[to] = Content[from];
            Content.Remove(from);
        }

        private bool Cut()
        {
            if (CutAfter <= 0)
            {
                return true;
            }

            if (CutAfter != int.MaxValue)
            {
                CutAfter--;
            }

            return false;
        }
    }
}
