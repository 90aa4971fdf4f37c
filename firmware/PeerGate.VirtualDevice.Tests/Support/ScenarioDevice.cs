using System.Net;
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
    private readonly HostHttpTransport _http;
    private readonly StringWriter _text = new();
    private readonly TextWriter _log;

    /// <param name="caPath">The private CA (PEM) the device pins for HTTPS, as --ca does; null for the host's roots.</param>
    public ScenarioDevice(string deviceId, byte[] key, string? groupId = null, string? caPath = null)
    {
        CaPath = caPath;
        Image = EfuseImage.Burn(_folder.File("efuse"), deviceId, key, groupId);
        ImagePath = _folder.File("efuse");

        // Agents write from several threads while the test reads.
        _log = TextWriter.Synchronized(_text);
        _http = new HostHttpTransport(caPath is null ? null : PinnedCa.FromFile(caPath).CreateHandler(), new ConsoleLog(_log, deviceId));
    }

    public EfuseImage Image { get; }

    public string ImagePath { get; }

    /// <summary>The CA this device pins, or null.</summary>
    public string? CaPath { get; }

    public string StateFolder => _folder.File("state");

    public string Log
    {
        get
        {
            // TextWriter.Synchronized locks the wrapper for every write.
            lock (_log)
            {
                return _text.ToString();
            }
        }
    }

    public string? CachedAuthServer => new FileSettingsStore(StateFolder).Read("auth-server");

    /// <summary>A file in this device's temp folder (e.g. a config for the CLI).</summary>
    public string File(string name) => _folder.File(name);

    /// <summary>A fresh agent, as after power-on, counting its requests on <paramref name="transport"/>.</summary>
    /// <param name="wallClock">The device's wall clock; null for the host's.</param>
    public DeviceAgent Boot(
        DeviceConfig config, out CountingTransport transport, INetworkInfo? network = null, bool forceBusy = false, TimeProvider? wallClock = null)
    {
        transport = new CountingTransport(_http);
        return VirtualDeviceHost.CreateAgent(
            Image,
            config,
            StateFolder,
            _log,
            transport,
            network ?? new MovableNetwork("127.0.0.1", config.ListenPort),
            new HostPeerNetwork(IPAddress.Loopback),
            forceBusy,
            wallClock,
            CaPath is null ? null : PinnedCa.FromFile(CaPath));
    }

    public void Dispose()
    {
        _http.Dispose();
        _folder.Dispose();
    }
}
