using System.Net;
using System.Net.NetworkInformation;
using PeerGate.Device;
using PeerGate.VirtualDevice.Adapters;
using PeerGate.Server.Testing;

namespace PeerGate.VirtualDevice.Tests.Adapters;

/// <summary>The virtual device's peer listener binds 127.0.0.1 unless ListenAddress or --listen-address says otherwise.</summary>
[TestClass]
public sealed class ListenAddressTests
{
    [TestMethod]
    public void ListenerBindsLoopbackByDefault()
    {
        var network = new HostPeerNetwork(VirtualDeviceHost.ListenAddressOf(DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k\nListenPort=7001")));
        var port = LoopbackPorts.Free();

        var listener = network.Listen(port);
        try
        {
            var bound = IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Where(e => e.Port == port).ToList();
            Assert.HasCount(1, bound);
            Assert.AreEqual(IPAddress.Loopback, bound[0].Address, "not every interface");
        }
        finally
        {
            listener.Close();
        }
    }

    [TestMethod]
    public void ConfigurationKeyBindsElsewhere()
    {
        var config = DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k\nListenPort=7001\nListenAddress=0.0.0.0");
        var port = LoopbackPorts.Free();

        var listener = new HostPeerNetwork(VirtualDeviceHost.ListenAddressOf(config)).Listen(port);
        try
        {
            var bound = IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Where(e => e.Port == port).ToList();
            Assert.HasCount(1, bound);
            Assert.AreEqual(IPAddress.Any, bound[0].Address);
        }
        finally
        {
            listener.Close();
        }
    }

    [TestMethod]
    public void ListenAddressThatIsNoAddressIsWrongUse()
    {
        var config = DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k\nListenAddress=localhost");

        Assert.Throws<ArgumentException>(() => VirtualDeviceHost.ListenAddressOf(config));
    }
}
