using PeerGate.Device.Permits;

namespace PeerGate.Device.Tests;

[TestClass]
public sealed class DeviceConfigTests
{
    [TestMethod]
    public void ReadsNameAndDeviceHeldLists()
    {
        var config = DeviceConfig.Parse("""
            ServiceUrl=https://s
            AllocationKeys=k
            Name=TERM1
            device-permits=group:lab, name:TERM2
            DeviceDenies=terminal:T-0666
            """);

        Assert.AreEqual("TERM1", config.Name);
        CollectionAssert.AreEqual(new[] { "group:lab", "name:TERM2" }, config.DevicePermits.Select(PermitEntries.Format).ToArray());
        Assert.AreEqual("terminal:T-0666", PermitEntries.Format(config.DeviceDenies.Single()));
    }

    [TestMethod]
    [DataRow("DevicePermits=colour:red", DisplayName = "unknown kind")]
    [DataRow("DeviceDenies=terminal", DisplayName = "no value")]
    [DataRow("DevicePermits=name:TERM1\u200b", DisplayName = "zero-width space in a name")]
    [DataRow("DeviceDenies=name:\u0422ERM1", DisplayName = "Cyrillic look-alike name")]
    [DataRow("Name=\u202eTERM1", DisplayName = "bidi override in the device's name")]
    [DataRow("Name=TERM\u00001", DisplayName = "NUL in the device's name")]
    [DataRow("Name=TERM1\u0085", DisplayName = "next-line character after the name (.NET's Trim drops it, nanoCLR's does not)")]
    [DataRow("Name=TERM1\u2028", DisplayName = "line separator after the name")]
    [DataRow("DeviceDenies=name:TERM1\u00a0", DisplayName = "no-break space after a name")]
    [DataRow("Name=" + "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", DisplayName = "65-character name")]
    public void BadDeviceHeldEntryNamesTheLine(string entry)
    {
        var error = Assert.Throws<ArgumentException>(() => DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k\n" + entry));

        Assert.Contains("line 3", error.Message);
    }

    [TestMethod]
    public void ReadsTheConnectionPasswordAndReachable()
    {
        var config = DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k\nConnectionPassword=door-4711\nReachable=true\n");

        Assert.AreEqual("door-4711", config.ConnectionPassword);
        Assert.IsTrue(config.Reachable);
        var defaults = DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k\nConnectionPassword=\n");
        Assert.IsNull(defaults.ConnectionPassword, "empty: none");
        Assert.IsFalse(defaults.Reachable);
    }

    [TestMethod]
    [DataRow("ConnectionPassword=door\u00074711", DisplayName = "a control character")]
    [DataRow("ConnectionPassword=door-4711\nConnectionPassword=door-4711", DisplayName = "given twice")]
    public void ABadConnectionPasswordLineNeverRepeatsTheSecret(string lines)
    {
        var refused = Assert.Throws<ArgumentException>(() => DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k\n" + lines));

        StringAssert.Contains(refused.Message, "ConnectionPassword");
        Assert.DoesNotContain("4711", refused.Message);
    }

    [TestMethod]
    public void AConnectionPasswordLongerThanTheServerTakesIsRefused()
    {
        var refused = Assert.Throws<ArgumentException>(() => DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k\nConnectionPassword=" + new string('p', 129)));

        StringAssert.Contains(refused.Message, "at most 128");
    }

    [TestMethod]
    public void OnlyAsciiBlanksAreTrimmedAndALeadingByteOrderMarkIsSkipped()
    {
        // The same file must read the same on the board: nanoCLR's string.Trim removes other characters than .NET's.
        var config = DeviceConfig.Parse("\uFEFFServiceUrl=https://s\r\n\t AllocationKeys = k \f\r\nName=\vTERM1\t");

        Assert.AreEqual("https://s", config.ServiceUrl);
        Assert.AreEqual("TERM1", config.Name);
        Assert.AreEqual("\u200bx", DeviceConfig.TrimBlanks(" \u200bx\r"));
        Assert.AreEqual("x\u2028", DeviceConfig.TrimBlanks("x\u2028"));
    }

    [TestMethod]
    public void ReadsEveryKey()
    {
        var config = DeviceConfig.Parse("""
            # PeerGate device configuration
            ServiceUrl = https://service.example:8443/
            allocation-keys = acme, sensor-v2
            delegated_allocation = TRUE
            Discoverable=false

            Kind=sensor
            Capabilities=camera,temperature
            Attributes=room=lab,floor=2
            HttpTimeoutMillis=5000
            """);

        Assert.AreEqual("https://service.example:8443", config.ServiceUrl);
        CollectionAssert.AreEqual(new[] { "acme", "sensor-v2" }, config.AllocationKeys);
        Assert.IsTrue(config.DelegatedAllocation);
        Assert.IsFalse(config.Discoverable);
        Assert.AreEqual("sensor", config.Kind);
        CollectionAssert.AreEqual(new[] { "camera", "temperature" }, config.Capabilities);
        CollectionAssert.AreEqual(new[] { "room=lab", "floor=2" }, config.Attributes);
        Assert.AreEqual(5000, config.HttpTimeoutMillis);
    }

    [TestMethod]
    public void ReadsTheTriggerLoadAndPeerKeys()
    {
        var config = DeviceConfig.Parse("""
            ServiceUrl=https://s
            AllocationKeys=k
            ListenPort=7001
            TriggerChannel=false
            TriggerPollTimeoutMillis=35000
            SessionLimit=2
            MinFreeHeapBytes=20000
            MinNativeBlockBytes=40000
            MaxCpuLoadPercent=75
            """);

        Assert.AreEqual(7001, config.ListenPort);
        Assert.IsFalse(config.TriggerChannel);
        Assert.AreEqual(35000, config.TriggerPollTimeoutMillis);
        Assert.AreEqual(2, config.SessionLimit);
        Assert.AreEqual(20000, config.MinFreeHeapBytes);
        Assert.AreEqual(40000, config.MinNativeBlockBytes);
        Assert.AreEqual(75, config.MaxCpuLoadPercent);
    }

    [TestMethod]
    public void TriggerAndLoadDefaultsSuitABoardWithoutPsram()
    {
        var config = DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k");

        Assert.AreEqual(0, config.ListenPort);
        Assert.IsTrue(config.TriggerChannel);
        Assert.AreEqual(1, config.SessionLimit);
        Assert.AreEqual(34 * 1024, config.MinNativeBlockBytes);
        Assert.IsTrue(config.TriggerPollTimeoutMillis > 25_000, "above the server's default poll timeout");
    }

    [TestMethod]
    [DataRow("ListenPort=65536")]
    [DataRow("ListenPort=-1")]
    [DataRow("ListenAddress=127.0.0.1 x")]
    [DataRow("MaxCpuLoadPercent=0")]
    [DataRow("TriggerChannel=maybe")]
    public void OutOfRangeTriggerLoadAndPeerValuesAreRefused(string line)
    {
        Assert.Throws<ArgumentException>(() => DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k\n" + line));
    }

    [TestMethod]
    public void ListenPortZeroMeansTheDeviceOnlyCallsOut()
    {
        var config = DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k\nListenPort=0\nListenAddress=0.0.0.0");

        Assert.AreEqual(0, config.ListenPort);
        Assert.AreEqual("0.0.0.0", config.ListenAddress);
    }

    [TestMethod]
    public void DefaultsApplyWhenOnlyTheRequiredKeysAreGiven()
    {
        var config = DeviceConfig.Parse("ServiceUrl=https://s\r\nAllocationKeys=k\r\n");

        Assert.AreEqual(DeviceConfig.DefaultHttpTimeoutMillis, config.HttpTimeoutMillis);
        Assert.IsFalse(config.DelegatedAllocation);
        Assert.IsNull(config.Kind);
        Assert.IsEmpty(config.Capabilities);
        Assert.IsEmpty(config.Attributes);
    }

    [TestMethod]
    [DataRow("ServiceUrl=https://s\nAllocationKeys=k\nColour=blue", "line 3", DisplayName = "unknown key")]
    [DataRow("ServiceUrl=https://s\njust words\nAllocationKeys=k", "line 2", DisplayName = "no equals sign")]
    [DataRow("ServiceUrl=https://s\nAllocationKeys=k\nDiscoverable=yes", "line 3", DisplayName = "not a boolean")]
    [DataRow("ServiceUrl=https://s\nAllocationKeys=a,b,c,d,e", "line 2", DisplayName = "five keys")]
    [DataRow("ServiceUrl=https://s\nAllocationKeys=a,,b", "line 2", DisplayName = "empty key")]
    [DataRow("ServiceUrl=ftp://s\nAllocationKeys=k", "line 1", DisplayName = "not http")]
    [DataRow("ServiceUrl=https://s\nAllocationKeys=k\nservice-url=http://t", "line 3", DisplayName = "key twice")]
    [DataRow("ServiceUrl=https://s\nAllocationKeys=k\nHttpTimeoutMillis=-5", "line 3", DisplayName = "negative timeout")]
    [DataRow("ServiceUrl=https://s\nAllocationKeys=k\nHttpTimeoutMillis=9999999999", "line 3", DisplayName = "huge timeout")]
    [DataRow("ServiceUrl=https://s\nAllocationKeys=k\nAttributes=room", "line 3", DisplayName = "attribute without value")]
    [DataRow("AllocationKeys=k", "ServiceUrl", DisplayName = "no service url")]
    [DataRow("ServiceUrl=https://s", "AllocationKeys", DisplayName = "no keys")]
    public void BadConfigIsRefusedNamingTheLine(string text, string expectedInMessage)
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => DeviceConfig.Parse(text));

        Assert.Contains(expectedInMessage, error.Message);
    }

    [TestMethod]
    public void UdpServerAndPeriodTurnUdpRegistrationOn()
    {
        var config = DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k\nUdpServer=192.0.2.7:4500\nudp-period-seconds=10");
        var zeros = DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k\nUdpServer=10.0.0.0:1");

        Assert.AreEqual("10.0.0.0", zeros.UdpServerIp, "a lone 0 octet is no leading zero");

        Assert.IsTrue(config.UdpEnabled);
        Assert.AreEqual("192.0.2.7", config.UdpServerIp);
        Assert.AreEqual(4500, config.UdpServerPort);
        Assert.AreEqual(10, config.UdpPeriodSeconds);
        Assert.IsNull(config.UdpConfigError);
    }

    [TestMethod]
    [DataRow("", DisplayName = "no UDP keys")]
    [DataRow("\nUdpServer=", DisplayName = "empty UdpServer")]
    public void WithoutUdpServerUdpRegistrationIsOff(string extra)
    {
        var config = DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k" + extra);

        Assert.IsFalse(config.UdpEnabled);
        Assert.IsNull(config.UdpServerIp);
        Assert.AreEqual(0, config.UdpServerPort);
        Assert.AreEqual(DeviceConfig.DefaultUdpPeriodSeconds, config.UdpPeriodSeconds);
        Assert.IsNull(config.UdpConfigError);
    }

    [TestMethod]
    [DataRow("UdpServer=192.0.2.7", "line 3", DisplayName = "no port")]
    [DataRow("UdpServer=192.0.2.7:0", "line 3", DisplayName = "port 0")]
    [DataRow("UdpServer=192.0.2.7:65536", "line 3", DisplayName = "port too big")]
    [DataRow("UdpServer=192.0.2.7:45x", "line 3", DisplayName = "port not a number")]
    [DataRow("UdpServer=server.example:4500", "line 3", DisplayName = "host name")]
    [DataRow("UdpServer=192.0.2.300:4500", "line 3", DisplayName = "octet too big")]
    [DataRow("UdpServer=[::1]:4500", "line 3", DisplayName = "IPv6")]
    [DataRow("UdpServer=010.0.0.1:4500", "line 3", DisplayName = "leading zero, octal to some parsers")]
    [DataRow("UdpServer=192.0.2.7:4500\nUdpPeriodSeconds=0", "line 4", DisplayName = "period 0")]
    [DataRow("UdpServer=192.0.2.7:4500\nUdpPeriodSeconds=3601", "line 4", DisplayName = "period too long")]
    [DataRow("UdpPeriodSeconds=ten\nUdpServer=192.0.2.7:4500", "line 3", DisplayName = "period not a number, before the server")]
    [DataRow("UdpPeriodSeconds=30", "needs UdpServer", DisplayName = "period without server")]
    public void BadUdpValueTurnsOnlyUdpOffWithAnError(string udpLines, string expectedInError)
    {
        var config = DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k\n" + udpLines + "\nName=TERM1");

        Assert.IsFalse(config.UdpEnabled);
        Assert.IsNull(config.UdpServerIp);
        Assert.AreEqual(0, config.UdpServerPort);
        Assert.IsNotNull(config.UdpConfigError);
        Assert.Contains(expectedInError, config.UdpConfigError);
        Assert.Contains("UDP registration is off", config.UdpConfigError);

        // Everything else is read as if the UDP lines were not there.
        Assert.AreEqual("https://s", config.ServiceUrl);
        Assert.AreEqual("TERM1", config.Name);
    }

    [TestMethod]
    public void UdpServerGivenTwiceIsRefusedLikeAnyRepeatedKey()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => DeviceConfig.Parse("ServiceUrl=https://s\nAllocationKeys=k\nUdpServer=192.0.2.7:1\nudp_server=192.0.2.8:2"));

        Assert.Contains("line 4", error.Message);
    }
}
