using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace PeerGate.Flash;

/// <summary>
/// The command tree of peergate-flash (System.CommandLine): every command takes every flag, as
/// flash.sh and flash.cmd did, so a maker's command lines keep working. Errors are one line on
/// stderr; exit codes 0 done, 1 failed, 2 bad usage.
/// </summary>
public static class FlashCommandLine
{
    public const string Name = "peergate-flash";

    public const string Usage = """
        usage: peergate-flash <command> --port PORT --target TARGET [options]
               (./flash.sh on Linux/macOS and flash.cmd on Windows run it with the same arguments)

        commands
          firmware   flash the nanoFramework firmware            (nanoff --update)
          deploy     deploy PeerGate.Device.Esp32.bin            (nanoff --deploy)
          config     write peergate.conf, the Device Key and CA to I:, Wi-Fi to the device
          identity   burn a custom Device ID (--device-id) and/or the Device Key (--burn-key) into eFuse
                     IRREVERSIBLE; shows a summary and asks you to type the port name or BURN
          all        firmware, deploy, config, then identity when --device-id or --burn-key is given
          help       this text

        common options
          --port PORT            serial port, e.g. /dev/ttyUSB0 (ESP32) or /dev/ttyACM0 (S3/C3 USB), COM5 on Windows
          --target TARGET        nanoFramework target: ESP32_REV3, ESP32_PSRAM_REV3, ESP32_S3_QUAD,
                                 ESP32_S3_OCTAL, ESP32_C3, ESP32_C6_THREAD, ... (nanoff --listtargets --platform esp32)
          --dry-run              print every command, run nothing, write nothing
          --work-dir DIR         where generated files go (default: a private temporary folder)

        deploy
          --image FILE           default firmware/PeerGate.Device.Esp32/bin/Release/PeerGate.Device.Esp32.bin

        config
          --from FOLDER          the provisioning folder peergate-op provision wrote: peergate.conf, peergate.key,
                                 peergate-ca.pem, checked against provision.json (instead of the options below)
          --config FILE          peergate.conf to upload as is; otherwise it is generated from:
          --service-url URL      first hop of the allocation chain (http:// or https://)
          --allocation-keys K    comma-separated, level 1 first (1 to 4 keys)
          --group-id ID          enrollment group (F3), written as GroupId
          --wifi-ssid SSID       Wi-Fi network; stored with nanoff --networkdeployment
          --wifi-password-file F file holding the Wi-Fi password (kept off the command line)
          --key-file FILE        the 32-byte Device Key to upload
          --generate-key         make a random 32-byte Device Key into --key-file (enroll it on the server)
          --group-key-file FILE  derive the Device Key from the 32-byte group key (see --derivation);
                                 needs --device-id (the factory MAC or the custom ID, upper-case hex)
          --derivation v1|v2     how the group key derives the Device Key, as the server shows for the group
                                 (peergate-op groups): v2 (default) HMAC-SHA256(group key, "PeerGate-device-key-v2" 0x00 Device ID);
                                 v1, for groups enrolled before v2, HMAC-SHA256(group key, Device ID)
          --ca-file FILE         PEM of the private CA that signed the server certificate (pinned by the device)
          --udp-server IP:PORT   the server's UDP rendezvous address (IPv4), written as UdpServer: the board
                                 keeps its NAT mapping open there once registered (docs/rendezvous.md)
          --allow-plain-http     LAB ONLY: written as AllowPlainHttp=true, so the board talks plain http:// to
                                 servers on other hosts (no TLS: anyone on the path reads and changes it)

        identity
          --device-id HEX        custom Device ID (12 to 64 hex digits) to burn into the eFuse user block
          --burn-key             burn --key-file (or the --from folder's key) into an eFuse key block with purpose
                                 HMAC_UP (S2/S3/C3/C6 only)
          --key-block BLOCK      key block for --burn-key (default BLOCK_KEY0)
          --confirm TEXT         answer to the confirmation (the port name or BURN) for unattended runs

        exit codes: 0 done, 1 failed (nothing after the failing step ran), 2 bad usage (nothing ran)
        """;

    private static readonly (string Name, string Description)[] Commands =
    [
        ("firmware", "flash the nanoFramework firmware (nanoff --update)"),
        ("deploy", "deploy PeerGate.Device.Esp32.bin (nanoff --deploy)"),
        ("config", "write peergate.conf, the Device Key and CA to I:, Wi-Fi to the device"),
        ("identity", "burn a custom Device ID and/or the Device Key into eFuse (IRREVERSIBLE)"),
        ("all", "firmware, deploy, config, then identity when --device-id or --burn-key is given"),
    ];

    /// <summary>Parses and runs; answers the exit code.</summary>
    public static int Run(string[] args, FlashEnvironment environment)
    {
        if (args.Length == 0)
        {
            environment.Error.WriteLine(Usage);
            return ExitCodes.Usage;
        }

        var symbols = new Symbols();
        var root = new RootCommand("PeerGate maker tool: flash nanoFramework, deploy the application, write the configuration, burn the identity");
        foreach (var (name, description) in Commands)
        {
            var command = new Command(name, description);
            foreach (var option in symbols.All)
            {
                command.Options.Add(option);
            }

            command.SetAction(result => Execute(name, symbols, result, environment));
            root.Subcommands.Add(command);
        }

        var help = new Command("help", "this text");
        help.SetAction(_ => PrintUsage(environment.Out));
        root.Subcommands.Add(help);
        foreach (var helpOption in root.Options.OfType<HelpOption>())
        {
            helpOption.Action = new UsageAction(environment.Out);
        }

        // No response files: a path or port beginning with @ is a path or port.
        var result = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Action is UsageAction)
        {
            return PrintUsage(environment.Out);
        }

        if (result.Errors.Count > 0 || result.CommandResult.Command == root)
        {
            environment.Error.WriteLine($"{Name}: {Describe(result, args)} (see {Name} help)");
            return ExitCodes.Usage;
        }

        return result.Invoke(new InvocationConfiguration { Output = environment.Out, Error = environment.Error, EnableDefaultExceptionHandler = false });
    }

    private static int PrintUsage(TextWriter output)
    {
        output.WriteLine(Usage);
        return ExitCodes.Ok;
    }

    /// <summary>The first problem of the command line, in one sentence.</summary>
    private static string Describe(ParseResult result, string[] args)
    {
        var known = Commands.Select(c => c.Name).Append("help");
        if (!args[0].StartsWith('-') && !known.Contains(args[0]))
        {
            return $"unknown command {args[0]}: firmware, deploy, config, identity, all or help";
        }

        if (result.CommandResult.Command is RootCommand)
        {
            return "no command given: firmware, deploy, config, identity, all or help";
        }

        var unmatched = result.UnmatchedTokens.FirstOrDefault();
        if (unmatched is not null)
        {
            return unmatched.StartsWith('-') ? $"unknown option {unmatched}" : $"unexpected argument {unmatched}";
        }

        var error = result.Errors[0];
        if (error.SymbolResult is OptionResult { Tokens.Count: 0 } option && option.Option.Arity.MinimumNumberOfValues > 0)
        {
            return $"{option.IdentifierToken?.Value ?? option.Option.Name} needs a value";
        }

        if (error.SymbolResult is OptionResult { Tokens.Count: > 1 } repeated)
        {
            return $"{repeated.Option.Name} given more than once";
        }

        return error.Message.TrimEnd('.');
    }

    private static int Execute(string command, Symbols symbols, ParseResult result, FlashEnvironment environment)
    {
        // "--port --dry-run" gives --port the value "--dry-run": a flag name is never a port or a path.
        foreach (var option in symbols.All.OfType<Option<string>>())
        {
            if (result.GetValue(option) is { } value && symbols.All.Any(o => o.Name == value))
            {
                environment.Error.WriteLine($"{Name}: {option.Name} needs a value (see {Name} help)");
                return ExitCodes.Usage;
            }
        }

        var options = new FlashOptions
        {
            Command = command,
            Port = result.GetValue(symbols.Port),
            Target = result.GetValue(symbols.Target),
            DryRun = result.GetValue(symbols.DryRun),
            WorkDir = result.GetValue(symbols.WorkDir),
            Image = result.GetValue(symbols.Image),
            From = result.GetValue(symbols.From),
            Config = result.GetValue(symbols.Config),
            ServiceUrl = result.GetValue(symbols.ServiceUrl),
            AllocationKeys = result.GetValue(symbols.AllocationKeys),
            GroupId = result.GetValue(symbols.GroupId),
            WifiSsid = result.GetValue(symbols.WifiSsid),
            WifiPasswordFile = result.GetValue(symbols.WifiPasswordFile),
            KeyFile = result.GetValue(symbols.KeyFile),
            GenerateKey = result.GetValue(symbols.GenerateKey),
            GroupKeyFile = result.GetValue(symbols.GroupKeyFile),
            Derivation = result.GetValue(symbols.Derivation),
            CaFile = result.GetValue(symbols.CaFile),
            UdpServer = result.GetValue(symbols.UdpServer),
            AllowPlainHttp = result.GetValue(symbols.AllowPlainHttp),
            DeviceId = result.GetValue(symbols.DeviceId),
            BurnKey = result.GetValue(symbols.BurnKey),
            KeyBlock = result.GetValue(symbols.KeyBlock),
            Confirm = result.GetValue(symbols.Confirm),
        };

        try
        {
            new Flasher(options, environment).Run();
            return ExitCodes.Ok;
        }
        catch (UsageException usage)
        {
            environment.Error.WriteLine($"{Name}: {usage.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception failed) when (failed is FlashFailedException or IOException or UnauthorizedAccessException)
        {
            environment.Error.WriteLine($"{Name}: {failed.Message}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>-h and --help print the same text as help.</summary>
    private sealed class UsageAction(TextWriter output) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult) => PrintUsage(output);
    }

    /// <summary>Every flag, shared by every command.</summary>
    private sealed class Symbols
    {
        public readonly Option<string> Port = Value("--port", "serial port, e.g. /dev/ttyUSB0 or COM5");
        public readonly Option<string> Target = Value("--target", "nanoFramework target, e.g. ESP32_S3_QUAD");
        public readonly Option<bool> DryRun = Flag("--dry-run", "print every command, run nothing, write nothing");
        public readonly Option<string> WorkDir = Value("--work-dir", "where generated files go");
        public readonly Option<string> Image = Value("--image", "the application image to deploy");
        public readonly Option<string> From = Value("--from", "a provisioning folder from peergate-op provision");
        public readonly Option<string> Config = Value("--config", "peergate.conf to upload as is");
        public readonly Option<string> ServiceUrl = Value("--service-url", "first hop of the allocation chain");
        public readonly Option<string> AllocationKeys = Value("--allocation-keys", "comma-separated, level 1 first");
        public readonly Option<string> GroupId = Value("--group-id", "enrollment group, written as GroupId");
        public readonly Option<string> WifiSsid = Value("--wifi-ssid", "Wi-Fi network");
        public readonly Option<string> WifiPasswordFile = Value("--wifi-password-file", "file holding the Wi-Fi password");
        public readonly Option<string> KeyFile = Value("--key-file", "the 32-byte Device Key");
        public readonly Option<bool> GenerateKey = Flag("--generate-key", "make a random Device Key into --key-file");
        public readonly Option<string> GroupKeyFile = Value("--group-key-file", "derive the Device Key from this group key");
        public readonly Option<string> Derivation = Value("--derivation", "v1 or v2, as peergate-op groups shows");
        public readonly Option<string> CaFile = Value("--ca-file", "PEM of the private CA the device pins");
        public readonly Option<string> UdpServer = Value("--udp-server", "the server's UDP rendezvous address, IPv4:PORT");
        public readonly Option<bool> AllowPlainHttp = Flag("--allow-plain-http", "LAB ONLY: AllowPlainHttp=true");
        public readonly Option<string> DeviceId = Value("--device-id", "Device ID, upper-case hex");
        public readonly Option<bool> BurnKey = Flag("--burn-key", "burn the Device Key into an eFuse key block");
        public readonly Option<string> KeyBlock = Value("--key-block", "key block for --burn-key (default BLOCK_KEY0)");
        public readonly Option<string> Confirm = Value("--confirm", "the port name or BURN, for unattended runs");

        public Option[] All =>
        [
            Port, Target, DryRun, WorkDir, Image, From, Config, ServiceUrl, AllocationKeys, GroupId, WifiSsid, WifiPasswordFile,
            KeyFile, GenerateKey, GroupKeyFile, Derivation, CaFile, UdpServer, AllowPlainHttp, DeviceId, BurnKey, KeyBlock, Confirm,
        ];

        private static Option<string> Value(string name, string description) =>
            new(name) { Description = description, Arity = ArgumentArity.ExactlyOne };

        private static Option<bool> Flag(string name, string description) =>
            new(name) { Description = description, Arity = ArgumentArity.Zero };
    }
}
