using PeerGate.Protocol;
using PeerGate.VirtualDevice.Adapters;

namespace PeerGate.VirtualDevice.Tests.Adapters;

[TestClass]
public sealed class WireJsonCodecTests
{
    [TestMethod]
    public void MessagesUseTheDeclaredNames()
    {
        var codec = new WireJsonCodec();

        Assert.AreEqual("""{"Level":2,"Key":"acme"}""", codec.Serialize(new AllocationRequest { Level = 2, Key = "acme" }));
        Assert.IsNull(((AllocationRequest)codec.Deserialize("""{"level":2,"key":"acme"}""", typeof(AllocationRequest))!).Key);
    }

    [TestMethod]
    public void ProblemsAreReadIgnoringCase()
    {
        var problem = (Problem)new WireJsonCodec().DeserializeIgnoringCase(
            """{"type":"about:blank","title":"Nope","status":401,"code":"wrong_key","traceId":"x"}""", typeof(Problem))!;

        Assert.AreEqual("wrong_key", problem.Code);
        Assert.AreEqual(401, problem.Status);
    }
}
