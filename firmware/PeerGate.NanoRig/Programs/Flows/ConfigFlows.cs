using System;
using PeerGate.Device;
using PeerGate.Device.Permits;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>
    /// The board's configuration file read on nanoCLR, as DeviceConfigTests reads it on .NET: string parsing is
    /// where the interpreter has differed from .NET before.
    /// </summary>
    public static class ConfigFlows
    {
        private const string Required = "ServiceUrl=https://s\nAllocationKeys=k\n";

        public static void Register(Runner runner)
        {
            runner.Add("config: every key read, with spaces, any key spelling and CRLF", ReadsEveryKey);
            runner.Add("config: device-held permit lists read", ReadsDeviceHeldLists);
            runner.Add("config: bad lines refused naming the line", BadConfigIsRefusedNamingTheLine);
        }

        private static void ReadsEveryKey()
        {
            DeviceConfig config = DeviceConfig.Parse(
                "# PeerGate device configuration\r\nServiceUrl = https://service.example:8443/\r\nallocation-keys = acme, sensor-v2\r\n"
                + "delegated_allocation = TRUE\r\nDiscoverable=false\r\n\r\nKind=sensor\r\nCapabilities=camera,temperature\r\n"
                + "Attributes=room=lab,floor=2\r\nHttpTimeoutMillis=5000\r\n");

            Check.Equal("https://service.example:8443", config.ServiceUrl, "service url");
            Check.Equal(2, config.AllocationKeys.Length, "keys");
            Check.Equal("acme", config.AllocationKeys[0], "key 1");
            Check.Equal("sensor-v2", config.AllocationKeys[1], "key 2");
            Check.True(config.DelegatedAllocation, "delegated");
            Check.True(!config.Discoverable, "not discoverable");
            Check.Equal("sensor", config.Kind, "kind");
            Check.Equal(2, config.Capabilities.Length, "capabilities");
            Check.Equal("temperature", config.Capabilities[1], "capability 2");
            Check.Equal(2, config.Attributes.Length, "attributes");
            Check.Equal("room=lab", config.Attributes[0], "attribute 1");
            Check.Equal("floor=2", config.Attributes[1], "attribute 2");
            Check.Equal(5000, config.HttpTimeoutMillis, "timeout");
        }

        private static void ReadsDeviceHeldLists()
        {
            DeviceConfig config = DeviceConfig.Parse(Required + "Name=TERM1\ndevice-permits=group:lab, name:TERM2\nDeviceDenies=terminal:T-0666");

            Check.Equal("TERM1", config.Name, "name");
            Check.Equal(2, config.DevicePermits.Length, "permits");
            Check.Equal("group:lab", PermitEntries.Format(config.DevicePermits[0]), "permit 1");
            Check.Equal("name:TERM2", PermitEntries.Format(config.DevicePermits[1]), "permit 2");
            Check.Equal(1, config.DeviceDenies.Length, "denies");
            Check.Equal("terminal:T-0666", PermitEntries.Format(config.DeviceDenies[0]), "deny");
        }

        private static void BadConfigIsRefusedNamingTheLine()
        {
            // Not "Name=TERM\u00001" as on .NET: a nanoCLR string ends at U+0000, so the text would already be "Name=TERM".
            string[] texts = new string[]
            {
                Required + "Colour=blue",
                "ServiceUrl=https://s\njust words\nAllocationKeys=k",
                Required + "Discoverable=yes",
                "ServiceUrl=https://s\nAllocationKeys=a,b,c,d,e",
                "ServiceUrl=https://s\nAllocationKeys=a,,b",
                "ServiceUrl=ftp://s\nAllocationKeys=k",
                Required + "service-url=http://t",
                Required + "HttpTimeoutMillis=-5",
                Required + "HttpTimeoutMillis=9999999999",
                Required + "Attributes=room",
                Required + "DevicePermits=colour:red",
                Required + "DeviceDenies=terminal",
                Required + "DevicePermits=name:TERM1\u200b",
                Required + "DeviceDenies=name:\u0422ERM1",
                Required + "Name=\u202eTERM1",
                Required + "Name=nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn",
                Required + "ListenPort=65536",
                Required + "ListenPort=-1",
                Required + "TriggerChannel=maybe",
            };
            string[] lines = new string[] { "line 3", "line 2", "line 3", "line 2", "line 2", "line 1", "line 3", "line 3", "line 3", "line 3", "line 3", "line 3", "line 3", "line 3", "line 3", "line 3", "line 3", "line 3", "line 3" };

            for (int i = 0; i < texts.Length; i++)
            {
                string message = null;
                try
                {
                    DeviceConfig.Parse(texts[i]);
                }
                catch (ArgumentException e)
                {
                    message = e.Message;
                }

                Check.True(message != null, "case " + i.ToString() + " was accepted");
                Check.True(message.IndexOf(lines[i]) >= 0, "case " + i.ToString() + " names " + lines[i] + ": " + message);
            }
        }
    }
}
