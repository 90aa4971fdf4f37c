namespace PeerGate.Protocol.Tests;

[TestClass]
public sealed class DeviceIdsTests
{
    [TestMethod]
    [DataRow("24A160C3D4E5")]
    [DataRow("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF")]
    public void AcceptsCanonicalIds(string id) => Assert.IsTrue(DeviceIds.IsValid(id));

    [TestMethod]
    [DataRow(null)]
    [DataRow("")]
    [DataRow("24a160c3d4e5")]
    [DataRow("24A160C3D4E")]
    [DataRow("24A160C3D4")]
    [DataRow("24A160C3D4E5 ")]
    [DataRow("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00")]
    public void RefusesAnythingElse(string? id) => Assert.IsFalse(DeviceIds.IsValid(id!));

    [TestMethod]
    public void MacBytesBecomeTwelveUpperCaseDigits()
    {
        Assert.AreEqual("24A160C3D4E5", DeviceIds.FromBytes([0x24, 0xA1, 0x60, 0xC3, 0xD4, 0xE5]));
    }

    [TestMethod]
    public void ProofMessageRefusesAShortNonce()
    {
        Assert.ThrowsExactly<ArgumentException>(() => AuthProofs.Message(new byte[16], "24A160C3D4E5"));
    }

    [TestMethod]
    public void FixedTimeEqualsComparesContentAndLength()
    {
        Assert.IsTrue(AuthProofs.FixedTimeEquals([1, 2, 3], [1, 2, 3]));
        Assert.IsFalse(AuthProofs.FixedTimeEquals([1, 2, 3], [1, 2, 4]));
        Assert.IsFalse(AuthProofs.FixedTimeEquals([1, 2, 3], [1, 2]));
    }
}
