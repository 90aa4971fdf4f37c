using PeerGate.Protocol.Host;
using PeerGate.Device;
using PeerGate.Device.Platform;
using PeerGate.VirtualDevice.Adapters;
using PeerGate.Device.Connections;

namespace PeerGate.VirtualDevice;

/// <summary>Puts the device core together with host adapters: what <c>virtual-device run</c> and the in-process scenario tests start.</summary>
public static class VirtualDeviceHost
{
    /// <param name="http">Replaces the HTTP transport (tests wrap it to count requests); null for a real one.</param>
    /// <param name="network">Replaces the network view (tests move the address); null to use the host's route.</param>
    /// <param name="peerNetwork">Replaces direct TCP; null to listen on the configuration's ListenAddress (default 127.0.0.1).</param>
    /// <param name="forceBusy">Answer every status query Busy (<c>run --force-busy</c>).</param>
    /// <param name="wallClock">Replaces the host's wall clock (tests share one with the server); null for the real one.</param>
    /// <param name="pinnedCa">The private CA the real HTTP transport pins (--ca, CaFile); null for the host's trusted roots. Not used with <paramref name="http"/>.</param>
    /// <param name="rendezvousNetwork">Replaces the rendezvous connections (F37); null: TLS pinned to <paramref name="pinnedCa"/>, or plain TCP when the config allows plain HTTP, else none.</param>
    public static DeviceAgent CreateAgent(
        EfuseImage image,
        DeviceConfig config,
        string stateFolder,
        TextWriter logWriter,
        IHttpTransport? http = null,
        INetworkInfo? network = null,
        IPeerNetwork? peerNetwork = null,
        bool forceBusy = false,
        TimeProvider? wallClock = null,
        PinnedCa? pinnedCa = null,
        IRendezvousNetwork? rendezvousNetwork = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(config);

        var settings = new FileSettingsStore(stateFolder);
        var log = new ConsoleLog(logWriter, image.DeviceId);
        var platform = new DevicePlatform(
            new SystemClock(wallClock),
            image,
            image.CreateSigner(),
            http ?? new HostHttpTransport(pinnedCa?.CreateHandler(), log),
            new WireJsonCodec(),
            settings,
            network ?? new HostNetworkInfo(new Uri(config.ServiceUrl), listenPort: config.ListenPort),
            log,
            new HostRandom(),
            peerNetwork ?? new HostPeerNetwork(ListenAddressOf(config)),
            new HostPeerCrypto(),
            new ProcessLoadSource(settings.Folder, forceBusy));

        // The rendezvous endpoint speaks the server's TLS: pinned to the same CA as HTTPS. Without a pinned
        // CA only a plain-HTTP demo gets it (plain TCP); with the host's roots no rendezvous path is taken,
        // since the ticket must never travel in clear.
        var rendezvous = rendezvousNetwork
            ?? (pinnedCa is not null ? new HostRendezvousNetwork(pinnedCa.Authority) : config.AllowPlainHttp ? new HostRendezvousNetwork(null) : null);
        if (rendezvous is not null)
        {
            platform.UseRendezvous(rendezvous, punch: true);
        }

        var agent = new DeviceAgent(platform, config);

        // The virtual device's application: it echoes, so callers can check bytes both ways.
        agent.PeerServer.Application = new EchoApplication(log);
        return agent;
    }

    /// <summary>Where run keeps its settings when --state is not given: beside the image.</summary>
    public static string DefaultStateFolder(string imagePath) => Path.GetFullPath(imagePath) + ".state";

    /// <summary>The configuration's ListenAddress, or 127.0.0.1 when it names none.</summary>
    /// <exception cref="ArgumentException">ListenAddress is not an IP address.</exception>
    public static System.Net.IPAddress ListenAddressOf(DeviceConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.ListenAddress is null)
        {
            return HostPeerNetwork.DefaultListenAddress;
        }

        return System.Net.IPAddress.TryParse(config.ListenAddress, out var address)
            ? address
            : throw new ArgumentException($"ListenAddress {config.ListenAddress} is not an IP address");
    }
}
