using PeerGate.VirtualDevice.Adapters;

namespace PeerGate.VirtualDevice.Tests.Adapters;

[TestClass]
public sealed class ConsoleLogTests
{
    [TestMethod]
    public void LinesNameTheDevice()
    {
        var output = new StringWriter();

        new ConsoleLog(output, "A1B2C3D4E5F6").Event("register.ok", "local 10.0.0.2");

        Assert.AreEqual("[A1B2C3D4E5F6] register.ok local 10.0.0.2" + Environment.NewLine, output.ToString());
    }
}
