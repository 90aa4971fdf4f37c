using System.CommandLine;
using PeerGate.Device;
using PeerGate.Device.Platform;
using PeerGate.VirtualDevice.Adapters;

namespace PeerGate.VirtualDevice.Commands;

/// <summary>The System.CommandLine declarations of <see cref="DeviceOptions"/>, one set added to every command that runs the device.</summary>
public sealed class DeviceOptionSet
{
    public Option<string?> Image { get; } = Cli.Value("--image", "The device's eFuse image (from burn)", "PATH");

    public Option<string?> Config { get; } = Cli.Value("--config", "The device configuration file", "PATH");

    public Option<string?> State { get; } = Cli.Value("--state", "Where the device keeps its settings (default beside the image)", "DIR");

    public Option<string?> LocalIp { get; } = Cli.Value("--local-ip", "The local address the device declares", "IP");

    public Option<string?> ListenPort { get; } = Cli.Value("--listen-port", "The port the device listens on for callers (0: none)", "N");

    public Option<string?> ListenAddress { get; } = Cli.Value("--listen-address", "The address it listens on (default the config's ListenAddress, else 127.0.0.1)", "IP");

    public Option<string?> Ca { get; } = Cli.Value("--ca", "The private CA (PEM) that signed the server's TLS certificate, pinned", "PATH");

    public Option[] All => [Image, Config, State, LocalIp, ListenPort, ListenAddress, Ca];
}

/// <summary>
/// The options every command that runs the device shares (--image, --config, --state, --local-ip,
/// --listen-port, --ca), read once and turned into an agent.
/// </summary>
public sealed class DeviceOptions
{
    private DeviceOptions(string imagePath, EfuseImage image, DeviceConfig config, string stateFolder, string? localIp, int listenPort, PinnedCa? pinnedCa)
    {
        PinnedCa = pinnedCa;
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

    /// <summary>The private CA every HTTPS connection to a server pins (--ca, else the config's CaFile); null: the host's trusted roots.</summary>
    public PinnedCa? PinnedCa { get; }

    /// <exception cref="UsageException">A required option is missing or a value is out of range.</exception>
    /// <exception cref="ConfigException">The configuration file cannot be read or is invalid.</exception>
    public static DeviceOptions From(CommandLine line)
    {
        var imagePath = line.Required("--image");
        var configPath = line.Required("--config");
        var image = EfuseImage.Load(imagePath);

        DeviceConfig config;
        string? caFile;
        try
        {
            var coreText = TakeCaFile(File.ReadAllText(configPath), out caFile);
            config = DeviceConfig.Parse(coreText);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{configPath}: {e.Message}");
        }

        // --ca wins over the config's CaFile, which is read relative to the config file, as the board reads its own.
        var caPath = line.Optional("--ca") ?? (caFile is null ? null : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, caFile));
        PinnedCa? pinnedCa = null;
        if (caPath is not null)
        {
            try
            {
                pinnedCa = PinnedCa.FromFile(caPath);
            }
            catch (ArgumentException e)
            {
                throw new ConfigException(e.Message);
            }
        }

        // --listen-port wins over the configuration's ListenPort.
        var listenPort = config.ListenPort;
        var listenPortText = line.Optional("--listen-port");
        if (listenPortText is not null && (!int.TryParse(listenPortText, out listenPort) || listenPort is < 0 or > 65535))
        {
            throw new UsageException("--listen-port must be a whole number from 0 to 65535");
        }

        // --listen-address wins over the configuration's ListenAddress (default 127.0.0.1).
        var listenAddress = line.Optional("--listen-address");
        if (listenAddress is not null)
        {
            if (!System.Net.IPAddress.TryParse(listenAddress, out _))
            {
                throw new UsageException("--listen-address must be an IP address");
            }

            config.ListenAddress = listenAddress;
        }

        try
        {
            VirtualDeviceHost.ListenAddressOf(config);
        }
        catch (ArgumentException e)
        {
            // Only the config's own ListenAddress gets here (--listen-address is checked above): name the file.
            throw new ConfigException($"{configPath}: {e.Message}");
        }

        var stateFolder = line.Optional("--state") ?? VirtualDeviceHost.DefaultStateFolder(imagePath);
        return new DeviceOptions(imagePath, image, config, stateFolder, line.Optional("--local-ip"), listenPort, pinnedCa);
    }

    /// <summary>An agent over these options; its device log goes to <paramref name="log"/>.</summary>
    public DeviceAgent CreateAgent(TextWriter log, bool forceBusy = false)
    {
        INetworkInfo network = new HostNetworkInfo(new Uri(Config.ServiceUrl), LocalIp, ListenPort);
        return VirtualDeviceHost.CreateAgent(Image, Config, StateFolder, log, network: network, forceBusy: forceBusy, pinnedCa: PinnedCa);
    }

    /// <summary>
    /// Takes the CaFile line out of a device config, as the board's own config does before the core
    /// reads the rest (the core refuses keys it does not know). The key matches as the core's keys do
    /// (case, '-' and '_' ignored); the line is left empty so the core's line numbers stay right.
    /// </summary>
    /// <exception cref="ArgumentException">CaFile is empty or given twice.</exception>
    public static string TakeCaFile(string text, out string? caFile)
    {
        caFile = null;
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].Trim();
            var equals = trimmed.IndexOf('=');
            if (trimmed.Length == 0 || trimmed[0] == '#' || equals <= 0
                || !string.Equals(trimmed[..equals].Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).Trim(), "cafile", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var value = trimmed[(equals + 1)..].Trim();
            if (value.Length == 0)
            {
                throw new ArgumentException($"config line {i + 1}: CaFile is empty");
            }

            if (caFile is not null)
            {
                throw new ArgumentException($"config line {i + 1}: key given twice");
            }

            caFile = value;
            lines[i] = string.Empty;
        }

        return string.Join('\n', lines);
    }
}

/// <summary>The device configuration could not be used; the CLI prints the message and exits 1.</summary>
public sealed class ConfigException(string message) : Exception(message);
