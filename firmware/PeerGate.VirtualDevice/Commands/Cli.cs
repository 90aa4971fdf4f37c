using System.CommandLine;
using System.Security.Cryptography;
using PeerGate.Device;
using PeerGate.Device.Api;
using PeerGate.Device.Rendezvous;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.VirtualDevice.Adapters;

namespace PeerGate.VirtualDevice.Commands;

/// <summary>
/// The virtual-device commands on System.CommandLine. Exit codes (docs/virtual-device.md), the same as
/// peergate-op's: 0 ok, 1 failure or denial, 2 bad usage, 3 the server cannot be reached.
/// </summary>
public static class Cli
{
    public const int Ok = ExitCodes.Ok;
    public const int Failure = ExitCodes.Failure;
    public const int Usage = ExitCodes.Usage;
    public const int Unreachable = ExitCodes.Unreachable;

    /// <summary>Runs one command in-process (a rig or a test driving the CLI) and returns what it printed.</summary>
    public static int Run(string[] args, out string output)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = Run(args, stdout, stderr);
        output = stdout + stderr.ToString();
        return exit;
    }

    /// <param name="stop">Ends a long run (Ctrl+C in the real CLI); null for one that never stops by itself.</param>
    public static int Run(string[] args, TextWriter output, TextWriter error, WaitHandle? stop = null)
    {
        // "virtual-device help" keeps working as it always did.
        if (args is ["help"])
        {
            args = ["--help"];
        }

        return CliHost.Run(CreateRootCommand(output, error, stop), args, output, error, Classify);
    }

    /// <summary>The whole command tree (for the tests that walk it, and for completion).</summary>
    public static RootCommand CreateRootCommand() => CreateRootCommand(TextWriter.Null, TextWriter.Null, null);

    /// <summary>The exit code for a failure code of the device core: 3 when the server was never reached.</summary>
    public static int ExitFor(string? failureCode) =>
        failureCode is FailureCodes.ConnectionFailed or FailureCodes.NetworkDown ? Unreachable : Failure;

    private static (int Code, string Message)? Classify(Exception e) => e switch
    {
        EfuseException or ConfigException => (Failure, e.Message),
        _ => null,
    };

    private static RootCommand CreateRootCommand(TextWriter output, TextWriter error, WaitHandle? stop)
    {
        var json = CliOptions.Json();
        CliOutput Out(ParseResult parse) => new(output, error, parse.GetValue(json));
        var device = new DeviceOptionSet();

        var burnImage = Value("--image", "The eFuse image file to create (write-once)", "PATH");
        var burnId = Value("--device-id", "The Device ID to burn (12 to 64 hex digits, an even count)", "HEX");
        var burnKey = CliOptions.Hex("--key", "The device key to burn", AuthProofs.DeviceKeyLength);
        var generate = Flag("--generate-key", "Generate the device key and print it once, for enrollment");
        var burnGroup = Value("--group", "The group whose key the device key derives from", "G");
        var burn = Leaf("burn", "Burn a virtual eFuse image: Device ID, device key, group", parse =>
            Burn(CommandLine.From(parse, [burnImage, burnId, burnKey, generate, burnGroup], []), Out(parse)),
            burnImage, burnId, burnKey, generate, burnGroup);

        var groupKey = CliOptions.Hex("--group-key", "The group key (as enrolled on the server)", AuthProofs.DeviceKeyLength);
        var deriveId = Value("--device-id", "The member's Device ID", "HEX");
        var derivation = CliOptions.OneOf("--derivation", "v2 (default), or v1 for a group the server shows as v1", "v1", "v2");
        var derive = Leaf("derive-key", "Derive a group member's device key, as the factory does", parse =>
            DeriveKey(CommandLine.From(parse, [groupKey, deriveId, derivation], []), Out(parse)),
            groupKey, deriveId, derivation);

        var udp = Value("--udp", "Send the UDP registration (F27) to the server's rendezvous port", "HOST:PORT");
        var udpPeriod = Value("--udp-period", "Seconds between registrations (default 25, or what the server asks for)", "S");
        var udpProbe = Value("--udp-probe", "The server's probe port: measure the mapping's lifetime and register just often enough (F31)", "PORT");
        var once = Flag("--once", "Allocate, authenticate and register once, then exit");
        var forceBusy = Flag("--force-busy", "Answer every status query Busy");
        Option[] runOptions = [.. device.All, udp, udpPeriod, udpProbe, once, forceBusy];
        var run = Leaf("run", "Run the device: allocation, authentication, registration, triggers, serving callers (Ctrl+C stops)", parse =>
            RunDevice(CommandLine.From(parse, runOptions, []), Out(parse), error, stop),
            runOptions);

        var infoImage = Value("--image", "The eFuse image to read", "PATH");
        var info = Leaf("info", "What an eFuse image holds (never its key)", parse =>
            Info(CommandLine.From(parse, [infoImage], []), Out(parse)),
            infoImage);

        var root = new RootCommand("virtual-device: the PeerGate device core with host adapters, for test rigs and demos.\n"
            + "Exit codes: 0 ok, 1 failure or denial, 2 bad usage, 3 the server cannot be reached.")
        {
            json,
            burn,
            derive,
            run,
            info,
            PermitCommand.Create(device, Out, error),
            ConnectCommand.Create(device, Out, error),
            SessionCommand.CreateList(device, Out, error),
            SessionCommand.CreateEnd(device, Out, error),
        };
        CliHost.NeedsSubcommand(root, "no command given; see virtual-device --help");
        CliHost.Identify(root, typeof(Cli).Assembly);
        return root;
    }

    /// <summary>An option that takes a value, read as given (the command checks it and names it in its error).</summary>
    public static Option<string?> Value(string name, string description, string helpName) => new(name) { Description = description, HelpName = helpName };

    public static Option<bool> Flag(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.Zero };

    public static Command Leaf(string name, string description, Func<ParseResult, int> action, params Symbol[] symbols)
    {
        var command = CliHost.Command(name, description, symbols);

        command.SetAction(action);
        return command;
    }

    private static int Burn(CommandLine line, CliOutput output)
    {
        var image = line.Required("--image");
        var deviceId = RequireDeviceId(line.Required("--device-id"));
        var generate = line.Has("--generate-key");
        var keyHex = line.Optional("--key");
        if (generate == (keyHex is not null))
        {
            throw new UsageException("give exactly one of --key HEX and --generate-key");
        }

        var group = line.Optional("--group");
        if (group is not null && !EfuseImage.IsValidGroup(group))
        {
            throw new UsageException($"--group must be 1 to {EfuseImage.MaxGroupLength} letters, digits, '-', '_' or '.'");
        }

        var key = generate ? RandomNumberGenerator.GetBytes(AuthProofs.DeviceKeyLength) : Convert.FromHexString(keyHex!);
        var burned = EfuseImage.Burn(image, deviceId, key, group);
        if (output.Json)
        {
            // The generated key leaves the image this once, as in the line below.
            output.WriteJson(new { burned.DeviceId, groupId = burned.GroupId, deviceKey = generate ? Convert.ToHexString(key) : null });
            return Ok;
        }

        output.Line($"device-id {burned.DeviceId}");
        if (burned.GroupId is not null)
        {
            output.Line($"group {burned.GroupId}");
        }

        if (generate)
        {
            // The only time the key leaves the image: the operator enrolls it now.
            output.Line($"device-key {Convert.ToHexString(key)}");
        }

        return Ok;
    }

    private static int DeriveKey(CommandLine line, CliOutput output)
    {
        var groupKey = Convert.FromHexString(line.Required("--group-key"));
        var deviceId = RequireDeviceId(line.Required("--device-id"));

        // v2 unless the server shows the group as v1 (groups enrolled before labelled derivation).
        var derivation = line.Optional("--derivation") == "v1" ? AuthProofs.GroupDerivationV1 : AuthProofs.GroupDerivationV2;
        var key = Convert.ToHexString(HostSigner.DeriveGroupMemberKey(groupKey, deviceId, derivation));
        if (output.Json)
        {
            output.WriteJson(new { deviceId, derivation = "v" + derivation.ToString(System.Globalization.CultureInfo.InvariantCulture), deviceKey = key });
            return Ok;
        }

        output.Line(key);
        return Ok;
    }

    private static int Info(CommandLine line, CliOutput output)
    {
        var image = EfuseImage.Load(line.Required("--image"));
        if (output.Json)
        {
            output.WriteJson(new { image.DeviceId, groupId = image.GroupId });
            return Ok;
        }

        output.Line($"device-id {image.DeviceId}");
        output.Line($"group {image.GroupId ?? "(none: individually enrolled)"}");
        return Ok;
    }

    private static string RequireDeviceId(string given)
    {
        var deviceId = given.ToUpperInvariant();
        return DeviceIds.IsValid(deviceId)
            ? deviceId
            : throw new UsageException($"--device-id must be {DeviceIds.MinLength} to {DeviceIds.MaxLength} hex digits (an even count)");
    }

    private static int RunDevice(CommandLine line, CliOutput cli, TextWriter error, WaitHandle? stop)
    {
        // The device's log lines are the output of run; with --json they go to stderr, and stdout holds one JSON document.
        var output = cli.Json ? error : cli.Out;
        var options = DeviceOptions.From(line);
        var udp = UdpTarget(line, options.Config, error);
        var agent = options.CreateAgent(output, line.Has("--force-busy"));
        using var socket = udp is null ? null : new HostDatagramSocket(VirtualDeviceHost.ListenAddressOf(options.Config));
        var registration = udp is null
            ? null
            : new UdpRegistration(socket!, agent, new HostPeerCrypto(), new SystemClock(), new ConsoleLog(output, options.Image.DeviceId), udp.Value.Host, udp.Value.Port);
        var localAddress = UdpRegistration.ParseIPv4(options.LocalIp ?? options.Config.ListenAddress);
        if (registration is not null)
        {
            // A wake makes the poller fetch at once; while acks come the poller holds no long-poll,
            // and after the fallback (UDP blocked, F31) it polls as without UDP.
            registration.WakeTarget = agent.Poller;
            registration.ProbePort = udp!.Value.ProbePort;
            agent.UseUdpChannel(registration);
        }

        if (line.Has("--once"))
        {
            if (!agent.RunOnce())
            {
                CliHost.WriteError(error, $"not registered: {agent.LastErrorCode}");
                return ExitFor(agent.LastErrorCode);
            }

            cli.Line($"registered terminal {agent.TerminalId} via {agent.AuthServerUrl}");
            if (registration is not null)
            {
                if (!registration.RegisterOnce(localAddress, options.ListenPort))
                {
                    CliHost.WriteError(error, "no UDP acknowledgement from the server");
                    return Unreachable;
                }

                cli.Line($"udp mapping {registration.ObservedIp}:{registration.ObservedPort} from local port {socket!.LocalPort}");
            }

            if (cli.Json)
            {
                cli.WriteJson(new
                {
                    registered = true,
                    agent.TerminalId,
                    agent.AuthServerUrl,
                    udpMapping = registration is null ? null : new { ip = registration.ObservedIp, port = registration.ObservedPort, localPort = socket!.LocalPort },
                });
            }

            return Ok;
        }

        var stopping = stop ?? new ManualResetEvent(false);
        Thread? sender = null;
        if (registration is not null)
        {
            sender = new Thread(() => registration.Run(udp!.Value.PeriodMillis, localAddress, options.ListenPort, stopping)) { IsBackground = true, Name = "udp-registration" };
            sender.Start();
        }

        agent.Run(stopping);
        sender?.Join(TimeSpan.FromSeconds(5));
        return Ok;
    }

    /// <summary>
    /// Where UDP registration goes: --udp IP:PORT and --udp-period S, each winning over the config's
    /// UdpServer and UdpPeriodSeconds; null when neither names a server. A bad UDP line in the config
    /// is reported on <paramref name="error"/> and only turns UDP off, as on the board.
    /// </summary>
    private static (string Host, int Port, int PeriodMillis, int ProbePort)? UdpTarget(CommandLine line, DeviceConfig config, TextWriter error)
    {
        var target = line.Optional("--udp");
        var periodText = line.Optional("--udp-period");
        var probeText = line.Optional("--udp-probe");
        if (target is null && config.UdpConfigError is not null)
        {
            CliHost.WriteError(error, config.UdpConfigError);
        }

        if (target is null && !config.UdpEnabled)
        {
            return periodText is null && probeText is null ? null : throw new UsageException("--udp-period and --udp-probe need --udp (or UdpServer in the config)");
        }

        string host;
        int port;
        if (target is null)
        {
            host = config.UdpServerIp;
            port = config.UdpServerPort;
        }
        else
        {
            var colon = target.LastIndexOf(':');
            if (colon <= 0 || !System.Net.IPAddress.TryParse(target[..colon], out var address)
                || !int.TryParse(target[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                throw new UsageException("--udp must be IP:PORT (the server's UDP rendezvous port)");
            }

            host = address.ToString();
        }

        var period = config.UdpPeriodSeconds;
        if (periodText is not null && (!int.TryParse(periodText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out period) || period is < 1 or > DeviceConfig.MaxUdpPeriodSeconds))
        {
            throw new UsageException("--udp-period must be 1 to 3600 seconds");
        }

        var probePort = config.UdpProbePort;
        if (probeText is not null && (!int.TryParse(probeText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out probePort) || probePort is < 1 or > 65535))
        {
            throw new UsageException("--udp-probe must be a port, 1 to 65535");
        }

        return (host, port, period * 1000, probePort);
    }
}
