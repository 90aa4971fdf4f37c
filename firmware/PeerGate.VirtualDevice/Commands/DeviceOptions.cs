using PeerGate.Device;
using PeerGate.Device.Platform;
using PeerGate.VirtualDevice.Adapters;

namespace PeerGate.VirtualDevice.Commands;

/// <summary>
/// The options every command that runs the device shares (--image, --config, --state, --local-ip,
/// --listen-port), read once and turned into an agent.
/// </summary>
public sealed class DeviceOptions
{
    /// <summary>Value options of <see cref="From"/>; commands add their own.</summary>
    public static readonly string[] ValueOptions = ["--image", "--config", "--state", "--local-ip", "--listen-port", "--listen-address"];

    private DeviceOptions(string imagePath, EfuseImage image, DeviceConfig config, string stateFolder, string? localIp, int listenPort)
    {
        ImagePath = imagePath;
        Image = image;
        Config = config;
        StateFolder = stateFolder;
        LocalIp = localIp;
        ListenPort = listenPort;
    }

    public string ImagePath { get; }

    public EfuseImage Image { get; }

    public DeviceConfig Config { get; }

    public string StateFolder { get; }

    public string? LocalIp { get; }

    public int ListenPort { get; }

    /// <exception cref="UsageException">A required option is missing or a value is out of range.</exception>
    /// <exception cref="ConfigException">The configuration file cannot be read or is invalid.</exception>
    public static DeviceOptions From(CommandLine line)
    {
        var imagePath = line.Required("--image");
        var configPath = line.Required("--config");
        var image = EfuseImage.Load(imagePath);

        DeviceConfig config;
        try
        {
            config = DeviceConfig.Parse(File.ReadAllText(configPath));
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{configPath}: {e.Message}");
        }

        // --listen-port wins over the configuration's ListenPort.
        var listenPort = config.ListenPort;
        var listenPortText = line.Optional("--listen-port");
        if (listenPortText is not null && (!int.TryParse(listenPortText, out listenPort) || listenPort is < 0 or > 65535))
        {
            throw new UsageException("--listen-port must be 0 to 65535");
        }

        // --listen-address wins over the configuration's ListenAddress (default 127.0.0.1).
        var listenAddress = line.Optional("--listen-address");
        if (listenAddress is not null)
        {
            config.ListenAddress = listenAddress;
        }

        try
        {
            VirtualDeviceHost.ListenAddressOf(config);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }

        var stateFolder = line.Optional("--state") ?? VirtualDeviceHost.DefaultStateFolder(imagePath);
        return new DeviceOptions(imagePath, image, config, stateFolder, line.Optional("--local-ip"), listenPort);
    }

    /// <summary>An agent over these options; its device log goes to <paramref name="log"/>.</summary>
    public DeviceAgent CreateAgent(TextWriter log, bool forceBusy = false)
    {
        INetworkInfo network = new HostNetworkInfo(new Uri(Config.ServiceUrl), LocalIp, ListenPort);
        return VirtualDeviceHost.CreateAgent(Image, Config, StateFolder, log, network: network, forceBusy: forceBusy);
    }
}

/// <summary>The device configuration could not be used; the CLI prints the message and exits 1.</summary>
public sealed class ConfigException(string message) : Exception(message);
