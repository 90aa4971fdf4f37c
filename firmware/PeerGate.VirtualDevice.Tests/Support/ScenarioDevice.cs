using PeerGate.Device;
using PeerGate.Device.Platform;
using PeerGate.VirtualDevice.Adapters;

namespace PeerGate.VirtualDevice.Tests.Support;

/// <summary>
/// A virtual device for in-process scenarios: its eFuse image and state folder live in a temp
/// folder, so a "reboot" is simply a new agent over the same files.
/// </summary>
public sealed class ScenarioDevice : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly HostHttpTransport _http = new();
    private readonly StringWriter _log = new();

    public ScenarioDevice(string deviceId, byte[] key, string? groupId = null)
    {
        Image = EfuseImage.Burn(_folder.File("efuse"), deviceId, key, groupId);
    }

    public EfuseImage Image { get; }

    public string StateFolder => _folder.File("state");

    public string Log => _log.ToString();

    public string? CachedAuthServer => new FileSettingsStore(StateFolder).Read("auth-server");

    /// <summary>A fresh agent, as after power-on, counting its requests on <paramref name="transport"/>.</summary>
    public DeviceAgent Boot(DeviceConfig config, out CountingTransport transport, INetworkInfo? network = null)
    {
        transport = new CountingTransport(_http);
        return VirtualDeviceHost.CreateAgent(Image, config, StateFolder, _log, transport, network ?? new MovableNetwork("127.0.0.1", 7000));
    }

    public void Dispose()
    {
        _http.Dispose();
        _folder.Dispose();
    }
}
