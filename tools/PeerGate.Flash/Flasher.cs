using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Provisioning;

namespace PeerGate.Flash;

/// <summary>What the steps print to, run through and read from; tests pass recorders.</summary>
public sealed class FlashEnvironment
{
    public required TextWriter Out { get; init; }
    public required TextWriter Error { get; init; }
    public required IProcessRunner Runner { get; init; }
    public required IConfirmationInput Input { get; init; }

    /// <summary>The repository the default application image is built in.</summary>
    public string RepositoryRoot { get; init; } = FindRepositoryRoot();

    /// <summary>Where the private work folder is made when --work-dir is not given.</summary>
    public string TempFolder { get; init; } = Path.GetTempPath();

    private static string FindRepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "PeerGate.slnx")) && File.Exists(Path.Combine(folder.FullName, "flash.sh")))
            {
                return folder.FullName;
            }
        }

        return Environment.CurrentDirectory;
    }
}

/// <summary>
/// The steps: firmware, deploy, config, identity, and all of them in order. Every check of the command
/// line runs before the first step, so "all" never flashes a board whose configuration it would then refuse.
/// A dry run prints each command line and each file it would write, runs nothing and writes nothing.
/// </summary>
public sealed partial class Flasher(FlashOptions options, FlashEnvironment environment)
{
    // Where the application expects its files on the internal flash volume (BoardConfig defaults).
    public const string DeviceConfigPath = @"I:\peergate.conf";
    public const string DeviceKeyPath = @"I:\peergate.key";
    public const string DeviceCaPath = @"I:\peergate-ca.pem";

    private const string Nanoff = "nanoff";
    private const string NanoffHint = "nanoff is not installed: dotnet tool install -g nanoff (and put ~/.dotnet/tools on PATH)";
    private const string EspefuseHint = "espefuse is not installed: python3 -m pip install esptool";

    private static readonly JsonSerializerOptions FileJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TextWriter _out = environment.Out;
    private string? _nanoffPath;
    private string _espefuse = "espefuse.py";
    private string? _espefusePath;
    private string? _workDir;
    private ProvisionManifest? _provisioned;

    private enum Step
    {
        Firmware,
        Deploy,
        Config,
        Identity,
    }

    private bool DryRun => options.DryRun;

    private string Port => options.Port!;

    private string Target => options.Target!;

    private string Image => options.Image ?? Path.Combine(environment.RepositoryRoot, "firmware", "PeerGate.Device.Esp32", "bin", "Release", "PeerGate.Device.Esp32.bin");

    private bool IdentityRequested => options.DeviceId is not null || options.BurnKey;

    /// <summary>The Device Key file the board gets: the folder's, or --key-file.</summary>
    private string? KeyFile => options.From is not null ? Path.Combine(options.From, ProvisioningFolder.KeyFile) : options.KeyFile;

    /// <summary>This run's config step writes the key (generated or derived), so it cannot be checked before.</summary>
    private bool KeyMadeHere(Step[] steps) => steps.Contains(Step.Config) && options.From is null && (options.GroupKeyFile is not null || options.GenerateKey);

    /// <summary>Runs the command; a <see cref="UsageException"/> or <see cref="FlashFailedException"/> says why it stopped.</summary>
    public void Run()
    {
        var steps = options.Command switch
        {
            "firmware" => [Step.Firmware],
            "deploy" => [Step.Deploy],
            "config" => [Step.Config],
            "identity" => [Step.Identity],
            "all" => IdentityRequested ? [Step.Firmware, Step.Deploy, Step.Config, Step.Identity] : new[] { Step.Firmware, Step.Deploy, Step.Config },
            _ => throw new UsageException($"unknown command {options.Command}"),
        };

        CheckUsage(steps);
        if (DryRun)
        {
            _out.WriteLine("dry run: printing commands only; nothing is run or written");
        }

        CheckInputs(steps);
        foreach (var step in steps)
        {
            switch (step)
            {
                case Step.Firmware: Firmware(); break;
                case Step.Deploy: Deploy(); break;
                case Step.Config: Config(); break;
                case Step.Identity: Identity(); break;
            }
        }

        if (options.Command == "all" && !IdentityRequested)
        {
            _out.WriteLine("== identity: skipped (no --device-id or --burn-key); the factory MAC is the Device ID");
        }
    }

    // -----------------------------------------------------------------------------------------------
    // Checks, all before the first step

    private void CheckUsage(Step[] steps)
    {
        if (options.UdpServer is not null && !PeerGateConf.IsUdpServer(options.UdpServer))
        {
            throw new UsageException("--udp-server must be IPv4:PORT (port 1 to 65535), e.g. 192.0.2.10:5090");
        }

        if (options.Config is not null && (options.UdpServer is not null || options.AllowPlainHttp))
        {
            throw new UsageException($"--udp-server and --allow-plain-http write a generated peergate.conf; with --config put UdpServer and AllowPlainHttp in {options.Config}");
        }

        if (options.From is not null)
        {
            var given = new (string Flag, bool Given)[]
            {
                ("--config", options.Config is not null), ("--key-file", options.KeyFile is not null), ("--generate-key", options.GenerateKey),
                ("--group-key-file", options.GroupKeyFile is not null), ("--derivation", options.Derivation is not null), ("--ca-file", options.CaFile is not null),
                ("--service-url", options.ServiceUrl is not null), ("--allocation-keys", options.AllocationKeys is not null), ("--group-id", options.GroupId is not null),
                ("--udp-server", options.UdpServer is not null), ("--allow-plain-http", options.AllowPlainHttp),
            }.Where(o => o.Given).Select(o => o.Flag).ToArray();
            if (given.Length > 0)
            {
                throw new UsageException($"--from gives peergate.conf, the Device Key and the CA; leave out {string.Join(", ", given)}");
            }
        }

        if (options.Derivation is not null && options.GroupKeyFile is null)
        {
            throw new UsageException("--derivation needs --group-key-file");
        }

        if (options.Derivation is not null and not ("v1" or "v2"))
        {
            throw new UsageException("--derivation must be v1 or v2");
        }

        foreach (var step in steps)
        {
            RequirePort();
            if (step != Step.Config)
            {
                RequireTarget();
            }

            if (step == Step.Config)
            {
                CheckConfigUsage();
            }
            else if (step == Step.Identity)
            {
                CheckIdentityUsage();
            }
        }
    }

    private void CheckConfigUsage()
    {
        if (options.From is null)
        {
            if (options.GroupKeyFile is not null)
            {
                if (options.KeyFile is null)
                {
                    throw new UsageException("--group-key-file needs --key-file (where the derived key is written)");
                }

                if (options.DeviceId is null || !DeviceIds.IsValid(options.DeviceId))
                {
                    throw new UsageException("--group-key-file needs --device-id: 12 to 64 upper-case hex digits");
                }
            }
            else if (options.GenerateKey && options.KeyFile is null)
            {
                throw new UsageException("--generate-key needs --key-file (where the new key is written)");
            }

            if (options.Config is null)
            {
                if (options.ServiceUrl is null)
                {
                    throw new UsageException("config needs --from FOLDER, --config FILE, or --service-url and --allocation-keys");
                }

                if (!PeerGateConf.IsServiceUrl(options.ServiceUrl))
                {
                    throw new UsageException("--service-url must start with http:// or https://");
                }

                if (options.AllocationKeys is null)
                {
                    throw new UsageException("config needs --allocation-keys (level 1 first)");
                }
            }
        }

        if (options.WifiSsid is not null && options.WifiPasswordFile is null)
        {
            throw new UsageException("--wifi-ssid needs --wifi-password-file");
        }
    }

    private void CheckIdentityUsage()
    {
        if (!IdentityRequested)
        {
            throw new UsageException("identity needs --device-id HEX and/or --burn-key");
        }

        var hmac = Targets.HasHmacPeripheral(Target);
        if (options.DeviceId is not null)
        {
            if (!DeviceIds.IsValid(options.DeviceId))
            {
                throw new UsageException("--device-id must be 12 to 64 upper-case hex digits (an even count)");
            }

            if (!hmac && options.DeviceId.Length > 48)
            {
                throw new UsageException("on the original ESP32 use at most 24 bytes (48 hex digits): BLOCK3 under 3/4 coding holds 24");
            }
        }

        if (options.BurnKey)
        {
            if (!hmac)
            {
                throw new UsageException($"{Target} has no HMAC peripheral: keep the Device Key in the flash file (config --key-file)");
            }

            if (KeyFile is null)
            {
                throw new UsageException("--burn-key needs --key-file (or --from)");
            }

            if (!KeyBlockPattern().IsMatch(options.KeyBlock ?? "BLOCK_KEY0"))
            {
                throw new UsageException("--key-block must be BLOCK_KEY0 .. BLOCK_KEY5");
            }
        }
    }

    private void RequirePort()
    {
        if (string.IsNullOrEmpty(options.Port))
        {
            throw new UsageException("--port is required (nanoff --listports shows the ports)");
        }
    }

    private void RequireTarget()
    {
        if (string.IsNullOrEmpty(options.Target))
        {
            throw new UsageException("--target is required, e.g. ESP32_REV3, ESP32_S3_QUAD, ESP32_C3");
        }

        if (!Targets.IsWellFormed(options.Target))
        {
            throw new UsageException("--target must look like ESP32_S3_QUAD");
        }
    }

    /// <summary>The tools and the files the steps read: missing ones stop the run before anything is flashed.</summary>
    private void CheckInputs(Step[] steps)
    {
        if (options.From is not null)
        {
            try
            {
                _provisioned = ProvisioningFolder.Read(options.From);
            }
            catch (ProvisioningFolderException bad)
            {
                throw new FlashFailedException(bad.Message);
            }

            if (options.DeviceId is not null && options.DeviceId != _provisioned.DeviceId)
            {
                throw new FlashFailedException($"--device-id {options.DeviceId} is not the device {options.From} was provisioned for ({_provisioned.DeviceId})");
            }
        }

        if (steps.Any(s => s != Step.Identity))
        {
            _nanoffPath = environment.Runner.Find(Nanoff);
            MissingTool(_nanoffPath, NanoffHint);
        }

        if (steps.Contains(Step.Identity))
        {
            // esptool v4 installs espefuse.py, v5 installs espefuse; both accept the commands used here.
            _espefusePath = environment.Runner.Find("espefuse");
            if (_espefusePath is not null)
            {
                _espefuse = "espefuse";
            }
            else
            {
                _espefusePath = environment.Runner.Find("espefuse.py");
                MissingTool(_espefusePath, EspefuseHint);
            }
        }

        if (DryRun)
        {
            return;
        }

        if (steps.Contains(Step.Deploy) && !File.Exists(Image))
        {
            throw new FlashFailedException($"no {Image}: build firmware/PeerGate.Device.Esp32 first (docs/flashing.md)");
        }

        if (steps.Contains(Step.Config))
        {
            CheckConfigInputs();
        }

        if (steps.Contains(Step.Identity) && options.BurnKey && !KeyMadeHere(steps))
        {
            RequireKeyFile(KeyFile!);
        }
    }

    private void CheckConfigInputs()
    {
        if (options.From is not null)
        {
            RequireFile(options.WifiPasswordFile, "no password file");
            return;
        }

        RequireFile(options.Config, "no config file");
        if (options.GroupKeyFile is not null)
        {
            RequireFile(options.GroupKeyFile, "no group key file");
            if (new FileInfo(options.GroupKeyFile).Length != AuthProofs.DeviceKeyLength)
            {
                throw new FlashFailedException("the group key file must hold exactly 32 bytes");
            }
        }
        else if (options.GenerateKey)
        {
            if (Path.Exists(options.KeyFile))
            {
                throw new FlashFailedException($"{options.KeyFile} exists; refusing to overwrite a Device Key");
            }
        }
        else if (options.KeyFile is not null)
        {
            RequireKeyFile(options.KeyFile);
        }

        if (options.CaFile is not null)
        {
            RequireFile(options.CaFile, "no CA file");
            if (PeerGateConf.CertificateProblem(File.ReadAllText(options.CaFile)) is { } problem)
            {
                throw new FlashFailedException($"{options.CaFile} {problem}");
            }
        }

        RequireFile(options.WifiPasswordFile, "no password file");
    }

    private void MissingTool(string? path, string hint)
    {
        if (path is not null)
        {
            return;
        }

        if (!DryRun)
        {
            throw new FlashFailedException(hint);
        }

        environment.Error.WriteLine("warning: " + hint);
    }

    private static void RequireFile(string? path, string missing)
    {
        if (path is not null && !File.Exists(path))
        {
            throw new FlashFailedException($"{missing} {path}");
        }
    }

    private static void RequireKeyFile(string path)
    {
        RequireFile(path, "no Device Key file");
        if (new FileInfo(path).Length != AuthProofs.DeviceKeyLength)
        {
            throw new FlashFailedException($"{path} must hold exactly 32 bytes");
        }
    }

    // -----------------------------------------------------------------------------------------------
    // Steps

    private void Firmware()
    {
        _out.WriteLine($"== firmware: nanoFramework {Target} on {Port}");
        RunTool(Nanoff, _nanoffPath, ["--target", Target, "--serialport", Port, "--update"]);
    }

    private void Deploy()
    {
        _out.WriteLine($"== deploy: {Image}");
        RunTool(Nanoff, _nanoffPath, ["--target", Target, "--serialport", Port, "--deploy", "--image", Image]);
    }

    private void Config()
    {
        var work = EnsureWorkDir();
        _out.WriteLine($"== config: files for I: and Wi-Fi (work folder {work})");

        string conf;
        string? ca;
        if (_provisioned is { } manifest)
        {
            var enrollment = manifest.Enrollment == ProvisioningFolder.Group
                ? $"member of group {manifest.GroupId} (derivation {manifest.Derivation})"
                : "enrolled individually";
            _out.WriteLine($"   provisioning folder {options.From}: device {manifest.DeviceId}, {enrollment}, at {manifest.Server} on {manifest.CreatedAt}");
            conf = Path.Combine(options.From!, ProvisioningFolder.ConfigFile);
            ca = manifest.Files.Any(f => f.Name == ProvisioningFolder.CaFile) ? Path.Combine(options.From!, ProvisioningFolder.CaFile) : null;
        }
        else
        {
            PrepareKey();
            ca = options.CaFile;
            conf = options.Config ?? WriteGeneratedConfig(work);
        }

        var entries = new List<object> { Entry(DeviceConfigPath, conf) };
        if (KeyFile is not null)
        {
            entries.Add(Entry(DeviceKeyPath, KeyFile));
        }

        if (ca is not null)
        {
            entries.Add(Entry(DeviceCaPath, ca));
        }

        var files = Path.Combine(work, "files.json");
        var list = JsonSerializer.Serialize(new { SerialPort = Port, Files = entries }, FileJson);
        WriteFile(files, "file deployment list", Encoding.UTF8.GetBytes(list + "\n"), show: true);
        RunTool(Nanoff, _nanoffPath, ["--filedeployment", files]);

        if (options.WifiSsid is not null)
        {
            DeployWifi(work);
        }
    }

    private static object Entry(string destination, string source) =>
        new { DestinationFilePath = destination, SourceFilePath = Path.GetFullPath(source) };

    private void DeployWifi(string work)
    {
        var password = DryRun ? string.Empty : File.ReadLines(options.WifiPasswordFile!).FirstOrDefault() ?? string.Empty;
        var network = Path.Combine(work, "network.json");
        var json = JsonSerializer.Serialize(new { WirelessClient = new { SSID = options.WifiSsid, Password = password } }, FileJson);
        WriteFile(network, "Wi-Fi settings; holds the password, deleted after use", Encoding.UTF8.GetBytes(json + "\n"), show: false);
        try
        {
            RunTool(Nanoff, _nanoffPath, ["--serialport", Port, "--networkdeployment", network]);
        }
        finally
        {
            if (!DryRun)
            {
                File.Delete(network);
            }
        }
    }

    private void PrepareKey()
    {
        var keyFile = options.KeyFile!;
        if (options.GroupKeyFile is not null)
        {
            var derivation = options.Derivation ?? "v2";
            var deviceId = options.DeviceId!;
            _out.WriteLine(derivation == "v2"
                ? $"+ derive {keyFile} = HMAC-SHA256(group key, \"PeerGate-device-key-v2\" 0x00 \"{deviceId}\") (derivation v2)"
                : $"+ derive {keyFile} = HMAC-SHA256(group key, \"{deviceId}\") (derivation v1)");
            if (!DryRun)
            {
                // The message the group key signs; the server builds the same bytes (AuthProofs.GroupDerivationMessage).
                var version = derivation == "v2" ? AuthProofs.GroupDerivationV2 : AuthProofs.GroupDerivationV1;
                var key = HMACSHA256.HashData(File.ReadAllBytes(options.GroupKeyFile), AuthProofs.GroupDerivationMessage(deviceId, version));
                OwnerOnlyFile.Write(keyFile, key, overwrite: true);
            }
        }
        else if (options.GenerateKey)
        {
            _out.WriteLine($"+ generate {keyFile} (32 random bytes; enroll this key on the server)");
            if (!DryRun)
            {
                OwnerOnlyFile.Write(keyFile, RandomNumberGenerator.GetBytes(AuthProofs.DeviceKeyLength), overwrite: false);
            }
        }
    }

    private string WriteGeneratedConfig(string work)
    {
        var serviceUrl = options.ServiceUrl!;
        if (serviceUrl.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !options.AllowPlainHttp)
        {
            environment.Error.WriteLine("warning: the board refuses a plain http:// server on another host without --allow-plain-http (lab only)");
        }

        if (options.AllowPlainHttp)
        {
            environment.Error.WriteLine("warning: --allow-plain-http: lab only; the board will talk to plain http:// servers without TLS");
        }

        var text = PeerGateConf.Text("peergate-flash config", serviceUrl, options.AllocationKeys!, options.GroupId, options.UdpServer, options.AllowPlainHttp);
        var conf = Path.Combine(work, ProvisioningFolder.ConfigFile);
        WriteFile(conf, "peergate.conf", Encoding.UTF8.GetBytes(text), show: true);
        return conf;
    }

    private void Identity()
    {
        var work = EnsureWorkDir();
        var block = Targets.UserDataBlock(Target);
        var keyBlock = options.KeyBlock ?? "BLOCK_KEY0";

        _out.WriteLine($"== identity: eFuse on {Port} ({Target})");
        _out.WriteLine("Current eFuse state (check that the blocks below are still empty):");
        RunTool(_espefuse, _espefusePath, ["-p", Port, "summary"]);

        _out.WriteLine();
        _out.WriteLine("About to burn, IRREVERSIBLY:");
        if (options.DeviceId is not null)
        {
            _out.WriteLine($"  - Device ID {options.DeviceId} into {block}, then write-protect {block}");
            _out.WriteLine("    (never read-protected: the firmware must be able to read it)");
        }

        if (options.BurnKey)
        {
            _out.WriteLine($"  - the 32-byte Device Key from {KeyFile} into {keyBlock}, purpose HMAC_UP");
            _out.WriteLine("    (read-protected by espefuse: only the HMAC peripheral can use it afterwards)");
        }

        ConfirmBurn();

        if (options.DeviceId is not null)
        {
            var idFile = Path.Combine(work, "device-id.bin");
            WriteFile(idFile, $"Device ID, {options.DeviceId.Length} hex digits", Convert.FromHexString(options.DeviceId), show: false);
            RunTool(_espefuse, _espefusePath, ["-p", Port, "burn_block_data", block, idFile]);
            RunTool(_espefuse, _espefusePath, ["-p", Port, "write_protect_efuse", block]);
        }

        if (options.BurnKey)
        {
            RunTool(_espefuse, _espefusePath, ["-p", Port, "burn_key", keyBlock, KeyFile!, "HMAC_UP"]);
        }
    }

    /// <summary>Goes on only on the exact port name or BURN, typed or given with --confirm.</summary>
    private void ConfirmBurn()
    {
        var answer = options.Confirm;
        if (answer is null)
        {
            if (DryRun)
            {
                _out.WriteLine($"(dry run: would ask you to type {Port} or BURN)");
                return;
            }

            if (!environment.Input.IsInteractive)
            {
                throw new FlashFailedException($"no terminal to confirm on; pass --confirm {Port} after reading the summary");
            }

            _out.Write($"Type the port name ({Port}) or BURN to burn these eFuses forever: ");
            _out.Flush();
            answer = environment.Input.ReadLine();
        }

        if (answer != Port && answer != "BURN")
        {
            throw new FlashFailedException("not confirmed; nothing was burned");
        }
    }

    // -----------------------------------------------------------------------------------------------
    // Helpers

    /// <summary>Prints the command the way it would be typed, then runs it unless this is a dry run.</summary>
    private void RunTool(string tool, string? path, string[] arguments)
    {
        _out.WriteLine(CommandText.Format(tool, arguments));
        _out.Flush();
        if (DryRun)
        {
            return;
        }

        var code = environment.Runner.Run(path!, arguments);
        if (code != 0)
        {
            throw new FlashFailedException($"{tool} failed (exit code {code}); see its output above");
        }
    }

    /// <summary>Writes a generated file owner-only, or in a dry run says which it would write (and, with show, its lines: files without secrets).</summary>
    private void WriteFile(string path, string description, byte[] content, bool show)
    {
        if (DryRun)
        {
            _out.WriteLine($"+ write {path} ({description})");
            if (show)
            {
                foreach (var line in Encoding.UTF8.GetString(content).TrimEnd('\n').Split('\n'))
                {
                    _out.WriteLine("    " + line);
                }
            }

            return;
        }

        OwnerOnlyFile.Write(path, content, overwrite: true);
        _out.WriteLine($"+ wrote {path} ({description})");
    }

    private string EnsureWorkDir()
    {
        if (_workDir is not null)
        {
            return _workDir;
        }

        if (options.WorkDir is not null)
        {
            _workDir = options.WorkDir;
            if (!DryRun && !Directory.Exists(_workDir))
            {
                CreatePrivateFolder(_workDir);
            }
        }
        else if (DryRun)
        {
            _workDir = Path.Combine(environment.TempFolder, "peergate-flash.DRYRUN");
        }
        else
        {
            _workDir = Path.Combine(environment.TempFolder, "peergate-flash." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
            CreatePrivateFolder(_workDir);
        }

        return _workDir;
    }

    private static void CreatePrivateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [GeneratedRegex(@"^BLOCK_KEY[0-5]\z")]
    private static partial Regex KeyBlockPattern();
}
