using PeerGate.Server.Cluster;

namespace PeerGate.Server.Tests.Cluster;

/// <summary>The one wire form of every cluster message: six fields, the last free text.</summary>
[TestClass]
public sealed class ClusterMessageTests
{
    [TestMethod]
    public void EveryFieldComesBackAndTheTextMayHoldTheSeparator()
    {
        var sent = new ClusterMessage(ClusterKinds.Reply, "a1b2c3d4e5f6", "T-0042", "9f8e", -17, "{\"Reason\":\"x|y||\"}");

        Assert.IsTrue(ClusterMessage.TryDecode(sent.Encode(), out var received));
        Assert.AreEqual(sent, received);
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("w|origin|target|id|12")]
    [DataRow("ww|origin|target|id|12|")]
    [DataRow("w||target|id|12|")]
    [DataRow("w|origin|target|id|twelve|")]
    public void AnythingElseIsNotAMessage(string payload) =>
        Assert.IsFalse(ClusterMessage.TryDecode(payload, out _));

    [TestMethod]
    public void OnlyTheTextMayHoldTheSeparator() =>
        Assert.ThrowsExactly<ArgumentException>(() => new ClusterMessage(ClusterKinds.Wake, "origin", "a|b", string.Empty, 0, string.Empty).Encode());
}
