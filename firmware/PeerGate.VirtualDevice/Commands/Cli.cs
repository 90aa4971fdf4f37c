using System.Security.Cryptography;
using PeerGate.Device;
using PeerGate.Device.Rendezvous;
using PeerGate.Protocol;
using PeerGate.Protocol.Host;
using PeerGate.VirtualDevice.Adapters;

namespace PeerGate.VirtualDevice.Commands;

/// <summary>The virtual-device commands. Exit codes: 0 ok, 1 failure, 2 usage.</summary>
public static class Cli
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;

    public const string UsageText = """
        usage:
          virtual-device burn --image PATH --device-id HEX [--key HEX | --generate-key] [--group G]
          virtual-device derive-key --group-key HEX --device-id HEX [--derivation v1|v2]
          virtual-device run --image PATH --config PATH [--state DIR] [--ca PATH] [--once] [--local-ip IP] [--listen-port N] [--force-busy]
                             [--udp HOST:PORT [--udp-period S] [--udp-probe PORT]]
          virtual-device info --image PATH
          virtual-device permit (add|delete|create) ENTRY... [(add|delete|create) ENTRY...] DEVICE-OPTIONS
          virtual-device permit show DEVICE-OPTIONS
          virtual-device permit policy (--uniform-denial on|off | --device-held on|off) DEVICE-OPTIONS
          virtual-device connect (TERMINAL-ID | --name NAME) (--message TEXT | --file PATH) [--time-limit S] [--byte-limit N] DEVICE-OPTIONS
          virtual-device sessions DEVICE-OPTIONS
          virtual-device end SESSION-ID [--reason completed|terminated|peer_lost|error] DEVICE-OPTIONS

        --udp sends the UDP registration (F27) to the server's rendezvous port every --udp-period
        seconds (default 25, or what the server asks for) and logs the mapping the server observed;
        while it is acknowledged the device holds no long-poll and fetches its triggers on a wake.
        --udp-probe names the server's probe port: the device measures its mapping's lifetime there
        and registers just often enough to keep it (F31). The config's UdpServer, UdpPeriodSeconds
        and UdpProbePort do the same, and the flags win over them.
        --ca PATH pins the private CA (PEM) that signed the server's TLS certificate: only servers it
        vouches for are accepted, for the names they are dialled by; the config's CaFile does the same.
        ENTRY is terminal:ID, group:GROUP or name:NAME. DEVICE-OPTIONS are --image PATH --config PATH
        [--state DIR] [--local-ip IP] [--ca PATH], as for run. Exit codes: 0 ok, 1 failure or denial, 2 usage.
        """;

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
        if (args.Length == 0)
        {
            error.WriteLine(UsageText);
            return Usage;
        }

        try
        {
            var options = args[1..];
            return args[0] switch
            {
                "burn" => Burn(CommandLine.Parse(options, ["--image", "--device-id", "--key", "--group"], ["--generate-key"]), output),
                "derive-key" => DeriveKey(CommandLine.Parse(options, ["--group-key", "--device-id", "--derivation"], []), output),
                "run" => RunDevice(CommandLine.Parse(options, [.. DeviceOptions.ValueOptions, "--udp", "--udp-period", "--udp-probe"], ["--once", "--force-busy"]), output, error, stop),
                "permit" => PermitCommand.Run(options, output, error),
                "connect" => ConnectCommand.Run(options, output, error),
                "sessions" => SessionCommand.List(options, output, error),
                "end" => SessionCommand.End(options, output, error),
                "info" => Info(CommandLine.Parse(options, ["--image"], []), output),
                "help" or "--help" or "-h" => Help(output),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            error.WriteLine($"virtual-device: {e.Message}");
            error.WriteLine(UsageText);
            return Usage;
        }
        catch (Exception e) when (e is EfuseException or ConfigException)
        {
            error.WriteLine($"virtual-device: {e.Message}");
            return Failure;
        }
    }

    private static int Help(TextWriter output)
    {
        output.WriteLine(UsageText);
        return Ok;
    }

    private static int Burn(CommandLine line, TextWriter output)
    {
        var image = line.Required("--image");
        var deviceId = line.Required("--device-id");
        var generate = line.Has("--generate-key");
        var keyHex = line.Optional("--key");
        if (generate == (keyHex is not null))
        {
            throw new UsageException("give exactly one of --key HEX and --generate-key");
        }

        var key = generate ? RandomNumberGenerator.GetBytes(AuthProofs.DeviceKeyLength) : DecodeHex(keyHex!, "--key");
        var burned = EfuseImage.Burn(image, deviceId, key, line.Optional("--group"));

        output.WriteLine($"device-id {burned.DeviceId}");
        if (burned.GroupId is not null)
        {
            output.WriteLine($"group {burned.GroupId}");
        }

        if (generate)
        {
            // The only time the key leaves the image: the operator enrolls it now.
            output.WriteLine($"device-key {Convert.ToHexString(key)}");
        }

        return Ok;
    }

    private static int DeriveKey(CommandLine line, TextWriter output)
    {
        var groupKey = DecodeHex(line.Required("--group-key"), "--group-key");
        var deviceId = line.Required("--device-id").ToUpperInvariant();
        if (!DeviceIds.IsValid(deviceId))
        {
            throw new UsageException("--device-id must be 12 to 64 hex digits (an even count)");
        }

        // v2 unless the server shows the group as v1 (groups enrolled before labelled derivation).
        var derivation = (line.Optional("--derivation") ?? "v2") switch
        {
            "v2" => AuthProofs.GroupDerivationV2,
            "v1" => AuthProofs.GroupDerivationV1,
            _ => throw new UsageException("--derivation must be v1 or v2"),
        };

        output.WriteLine(Convert.ToHexString(HostSigner.DeriveGroupMemberKey(groupKey, deviceId, derivation)));
        return Ok;
    }

    private static int Info(CommandLine line, TextWriter output)
    {
        var image = EfuseImage.Load(line.Required("--image"));
        output.WriteLine($"device-id {image.DeviceId}");
        output.WriteLine($"group {image.GroupId ?? "(none: individually enrolled)"}");
        return Ok;
    }

    private static int RunDevice(CommandLine line, TextWriter output, TextWriter error, WaitHandle? stop)
    {
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
                error.WriteLine($"virtual-device: not registered: {agent.LastErrorCode}");
                return Failure;
            }

            output.WriteLine($"registered terminal {agent.TerminalId} via {agent.AuthServerUrl}");
            if (registration is not null)
            {
                if (!registration.RegisterOnce(localAddress, options.ListenPort))
                {
                    error.WriteLine("virtual-device: no UDP acknowledgement from the server");
                    return Failure;
                }

                output.WriteLine($"udp mapping {registration.ObservedIp}:{registration.ObservedPort} from local port {socket!.LocalPort}");
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
            error.WriteLine($"virtual-device: {config.UdpConfigError}");
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

    private static byte[] DecodeHex(string hex, string option)
    {
        try
        {
            return Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            throw new UsageException($"{option} must be hex");
        }
    }
}
