using System.Security.Cryptography;
using PeerGate.VirtualDevice.Adapters;
using PeerGate.VirtualDevice.Tests.Support;

namespace PeerGate.VirtualDevice.Tests.Adapters;

[TestClass]
public sealed class EfuseImageTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [TestMethod]
    public void BurnedValuesAreReadBackAndTheKeySigns()
    {
        using var temp = new TempFolder();

        EfuseImage.Burn(temp.File("efuse"), "a1b2c3d4e5f6", Key, "factory-7");
        var image = EfuseImage.Load(temp.File("efuse"));

        Assert.AreEqual("A1B2C3D4E5F6", image.DeviceId);
        Assert.AreEqual("factory-7", image.GroupId);
        byte[] message = [1, 2, 3];
        CollectionAssert.AreEqual(HMACSHA256.HashData(Key, message), image.CreateSigner().Sign(message));
    }

    [TestMethod]
    public void ImageIsReadableByItsOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Inconclusive("Unix permissions only");
            return;
        }

        using var temp = new TempFolder();

        EfuseImage.Burn(temp.File("efuse"), "A1B2C3D4E5F6", Key, null);

        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(temp.File("efuse")));
    }

    [TestMethod]
    [DataRow("A1B2C3D4E5F6", null, DisplayName = "same values")]
    [DataRow("A1B2C3D4E5F7", null, DisplayName = "another device id")]
    [DataRow("A1B2C3D4E5F6", "other-group", DisplayName = "adding a group")]
    public void BurningAgainFailsAndChangesNothing(string deviceId, string? group)
    {
        using var temp = new TempFolder();
        EfuseImage.Burn(temp.File("efuse"), "A1B2C3D4E5F6", Key, null);
        var before = File.ReadAllBytes(temp.File("efuse"));

        var error = Assert.ThrowsExactly<EfuseException>(() => EfuseImage.Burn(temp.File("efuse"), deviceId, new byte[32], group));

        Assert.Contains("already burned", error.Message);
        Assert.Contains("write-once", error.Message);
        CollectionAssert.AreEqual(before, File.ReadAllBytes(temp.File("efuse")));
    }

    [TestMethod]
    [DataRow("A1B2", DisplayName = "id too short")]
    [DataRow("A1B2C3D4E5FG", DisplayName = "id not hex")]
    [DataRow("A1B2C3D4E5F", DisplayName = "odd digits")]
    public void BadDeviceIdIsRefusedAndNothingIsWritten(string deviceId)
    {
        using var temp = new TempFolder();

        Assert.ThrowsExactly<EfuseException>(() => EfuseImage.Burn(temp.File("efuse"), deviceId, Key, null));

        Assert.IsFalse(File.Exists(temp.File("efuse")));
    }

    [TestMethod]
    public void KeyOfTheWrongLengthIsRefused()
    {
        using var temp = new TempFolder();

        var error = Assert.ThrowsExactly<EfuseException>(() => EfuseImage.Burn(temp.File("efuse"), "A1B2C3D4E5F6", new byte[16], null));

        Assert.Contains("32 bytes", error.Message);
        Assert.IsFalse(File.Exists(temp.File("efuse")));
    }

    public static IEnumerable<object[]> Corruptions() =>
    [
        ["flipped key digit", (Func<string, string>)(text => text.Replace("key=0102", "key=0103"))],
        ["edited device id", (Func<string, string>)(text => text.Replace("device-id=A1B2C3D4E5F6", "device-id=A1B2C3D4E5F7"))],
        ["truncated", (Func<string, string>)(text => text[..(text.Length / 2)])],
        ["empty", (Func<string, string>)(_ => "")],
        ["foreign file", (Func<string, string>)(_ => "{\"hello\":1}\n")],
        ["extra line", (Func<string, string>)(text => text.Replace("key=", "extra=1\nkey="))],
    ];

    [TestMethod]
    [DynamicData(nameof(Corruptions))]
    public void CorruptImageIsRefused(string corruption, Func<string, string> damage)
    {
        using var temp = new TempFolder();
        EfuseImage.Burn(temp.File("efuse"), "A1B2C3D4E5F6", Key, null);
        File.WriteAllText(temp.File("efuse"), damage(File.ReadAllText(temp.File("efuse"))));

        var error = Assert.ThrowsExactly<EfuseException>(() => EfuseImage.Load(temp.File("efuse")), corruption);

        Assert.Contains("corrupt", error.Message, corruption);
    }

    [TestMethod]
    public void MissingImageIsAClearError()
    {
        using var temp = new TempFolder();

        var error = Assert.ThrowsExactly<EfuseException>(() => EfuseImage.Load(temp.File("none")));

        Assert.Contains("burn one first", error.Message);
    }
}
