using PeerGate.Protocol;

namespace PeerGate.Protocol.Tests;

[TestClass]
public sealed class HexTests
{
    [TestMethod]
    public void RoundTripsEveryByteValue()
    {
        var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var hex = Hex.Encode(all, 0, all.Length);
        Assert.AreEqual(Convert.ToHexString(all), hex);
        CollectionAssert.AreEqual(all, Hex.Decode(hex.ToLowerInvariant()));
    }

    [TestMethod]
    [DataRow("ABC")]
    [DataRow("GG")]
    [DataRow("0x")]
    public void RejectsWhatIsNotHex(string input)
    {
        Assert.ThrowsExactly<ArgumentException>(() => Hex.Decode(input));
    }
}
