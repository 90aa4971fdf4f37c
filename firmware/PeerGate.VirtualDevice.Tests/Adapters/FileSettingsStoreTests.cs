using PeerGate.VirtualDevice.Adapters;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Adapters;

[TestClass]
public sealed class FileSettingsStoreTests
{
    [TestMethod]
    public void ValueSurvivesANewStoreOnTheSameFolder()
    {
        using var temp = new TempFolder();
        new FileSettingsStore(temp.File("state")).Write("auth-server", "http://127.0.0.1:5080");

        var reopened = new FileSettingsStore(temp.File("state"));

        Assert.AreEqual("http://127.0.0.1:5080", reopened.Read("auth-server"));
        Assert.IsNull(reopened.Read("other"));
    }

    [TestMethod]
    public void WriteReplacesTheWholeValueAndLeavesNoTemporaryFiles()
    {
        using var temp = new TempFolder();
        var store = new FileSettingsStore(temp.File("state"));
        store.Write("auth-server", new string('x', 10_000));

        store.Write("auth-server", "short");

        Assert.AreEqual("short", store.Read("auth-server"));
        CollectionAssert.AreEqual(new[] { "auth-server" }, Directory.GetFiles(temp.File("state")).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void ConcurrentReadersSeeTheOldOrTheNewValueNeverAMix()
    {
        using var temp = new TempFolder();
        var store = new FileSettingsStore(temp.File("state"));
        var a = new string('a', 50_000);
        var b = new string('b', 50_000);
        store.Write("value", a);
        var seen = new HashSet<string>();

        using var done = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var writer = Task.Run(() =>
        {
            for (int i = 0; i < 200 && !done.IsCancellationRequested; i++)
            {
                store.Write("value", i % 2 == 0 ? b : a);
            }
        });
        while (!writer.IsCompleted)
        {
            var read = store.Read("value");
            Assert.IsNotNull(read);
            lock (seen)
            {
                seen.Add(read == a ? "a" : read == b ? "b" : "torn");
            }
        }

        writer.Wait(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("torn", seen);
        Assert.IsTrue(writer.IsCompletedSuccessfully);
    }

    [TestMethod]
    [DataRow("../escape")]
    [DataRow("a/b")]
    [DataRow(".hidden")]
    [DataRow("")]
    public void NamesThatAreNotPlainWordsAreRefused(string name)
    {
        using var temp = new TempFolder();
        var store = new FileSettingsStore(temp.File("state"));

        Assert.ThrowsExactly<ArgumentException>(() => store.Write(name, "x"));
        Assert.IsEmpty(Directory.GetFiles(temp.Path, "*", SearchOption.AllDirectories));
    }

    [TestMethod]
    public void DeleteRemovesTheValue()
    {
        using var temp = new TempFolder();
        var store = new FileSettingsStore(temp.File("state"));
        store.Write("auth-server", "x");

        store.Delete("auth-server");
        store.Delete("auth-server");

        Assert.IsNull(store.Read("auth-server"));
    }
}
