using PeerGate.Device;
using PeerGate.Device.Platform;
using PeerGate.VirtualDevice.Adapters;

namespace PeerGate.VirtualDevice;

/// <summary>Puts the device core together with host adapters: what <c>virtual-device run</c> and the in-process scenario tests start.</summary>
public static class VirtualDeviceHost
{
    /// <param name="http">Replaces the HTTP transport (tests wrap it to count requests); null for a real one.</param>
    /// <param name="network">Replaces the network view (tests move the address); null to use the host's route.</param>
    public static DeviceAgent CreateAgent(
        EfuseImage image,
        DeviceConfig config,
        string stateFolder,
        TextWriter logWriter,
        IHttpTransport? http = null,
        INetworkInfo? network = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(config);

        var platform = new DevicePlatform(
            new SystemClock(),
            image,
            image.CreateSigner(),
            http ?? new HostHttpTransport(),
            new WireJsonCodec(),
            new FileSettingsStore(stateFolder),
            network ?? new HostNetworkInfo(new Uri(config.ServiceUrl)),
            new ConsoleLog(logWriter, image.DeviceId),
            new HostRandom());
        return new DeviceAgent(platform, config);
    }

    /// <summary>Where run keeps its settings when --state is not given: beside the image.</summary>
    public static string DefaultStateFolder(string imagePath) => Path.GetFullPath(imagePath) + ".state";
}
