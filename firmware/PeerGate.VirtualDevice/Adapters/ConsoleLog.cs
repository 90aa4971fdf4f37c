using PeerGate.Device.Platform;

namespace PeerGate.VirtualDevice.Adapters;

/// <summary>Prints "[device-id] event detail", one line per event, safe from several threads.</summary>
public sealed class ConsoleLog(TextWriter writer, string deviceId) : IDeviceLog
{
    private readonly Lock _gate = new();

    public void Event(string name, string detail)
    {
        lock (_gate)
        {
            writer.WriteLine($"[{deviceId}] {name} {detail}");
            writer.Flush();
        }
    }
}
