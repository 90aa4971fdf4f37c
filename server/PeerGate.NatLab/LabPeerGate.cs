using System.Security.Cryptography;
using System.Text.Json;
using PeerGate.Server.Testing;

namespace PeerGate.NatLab;

/// <summary>
/// A real PeerGate server process in the lab's server namespace, listening with TLS on the public
/// address and over plain HTTP on loopback (where <c>peergate-op</c> talks to it), with a one-level
/// allocation chain ending at itself. The lab makes its own private CA and a server certificate for
/// the public address; every device it provisions pins that CA (CaFile in its config), as a board
/// in the field does, so the lab runs the TLS path devices use and no plain HTTP crosses a router.
/// </summary>
public sealed class LabPeerGateServer : IDisposable
{
    public const int Port = 5080;
    public const string AllocationKey = "acme";

    private readonly NatLab _lab;

    private readonly TestCertificateAuthority _ca;

    private LabPeerGateServer(NatLab lab, string folder, LabProcess process, TestCertificateAuthority ca)
    {
        _lab = lab;
        _ca = ca;
        Folder = folder;
        Process = process;
    }

    /// <summary>https://198.18.0.2:5080: what devices in the lab reach it at.</summary>
    public string Url => $"https://{_lab.Server.Address}:{Port}";

    /// <summary>The lab CA's certificate (PEM), which signed the server's and which every lab device pins.</summary>
    public string CaPath => _ca.CertificatePath;

    /// <summary>Holds the server's data directory and what provisioned devices need (images, configs, state).</summary>
    public string Folder { get; }

    public string DataDirectory => Path.Combine(Folder, "data");

    public LabProcess Process { get; }

    /// <param name="folder">An empty folder the caller owns and deletes.</param>
    /// <param name="settings">More server arguments, e.g. "--PeerGate:RegistrationLifetime=00:00:30".</param>
    public static async Task<LabPeerGateServer> StartAsync(NatLab lab, string folder, params string[] settings)
    {
        var url = $"https://{lab.Server.Address}:{Port}";
        var ca = new TestCertificateAuthority("PeerGate NAT lab CA", Path.Combine(folder, "tls"));
        var leaf = ca.IssueServer(ipAddresses: [lab.Server.Address]);
        var process = lab.StartDotnet(lab.Server, LabBinaries.Server,
        [
            "--urls", $"{url};http://127.0.0.1:{Port}",
            $"--PeerGate:DataDirectory={Path.Combine(folder, "data")}",
            $"--PeerGate:TlsCertificatePath={leaf.CertificatePath}",
            $"--PeerGate:TlsKeyPath={leaf.KeyPath}",
            $"--PeerGate:PublicBaseUrl={url}",
            $"--PeerGate:RegistryUrl={url}",
            .. settings,
        ]);
        var server = new LabPeerGateServer(lab, folder, process, ca);
        try
        {
            if (await process.WaitForLineAsync(line => line.Contains("Application started.", StringComparison.Ordinal), TimeSpan.FromSeconds(30)) is null)
            {
                throw new NatLabException($"the server did not start:\n{process.Output}");
            }

            await server.OperatorAsync("alloc", "service-entry", "--url", url, "--level", "1");
            await server.OperatorAsync("alloc", "entry", "set", "--level", "1", "--key", AllocationKey, "--role", "authentication", "--url", url);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>peergate-op inside the server's namespace over loopback; throws with its output when it fails.</summary>
    public async Task<string> OperatorAsync(params string[] arguments)
    {
        var result = await _lab.ExecDotnetAsync(_lab.Server, LabBinaries.Operator,
            ["--server", $"http://127.0.0.1:{Port}", "--token-file", Path.Combine(DataDirectory, "admin-token"), .. arguments], TimeSpan.FromSeconds(30));
        if (!result.Succeeded)
        {
            throw new NatLabException($"peergate-op {string.Join(' ', arguments)}: {result.Output}");
        }

        return result.Output;
    }

    /// <summary>The server's /metrics, fetched inside its namespace over loopback.</summary>
    public async Task<string> MetricsAsync()
    {
        var result = await _lab.ExecDotnetAsync(_lab.Server, LabBinaries.NatLab, ["get", $"http://127.0.0.1:{Port}/metrics"], TimeSpan.FromSeconds(30));
        if (!result.Succeeded)
        {
            throw new NatLabException($"GET /metrics: {result.Output}");
        }

        return result.Output;
    }

    /// <summary>A virtual device with a fresh identity, burned and enrolled, configured for this server.</summary>
    public async Task<LabVirtualDevice> EnrollDeviceAsync(string name, params string[] configLines)
    {
        var deviceId = RandomNumberGenerator.GetHexString(12);
        var image = Path.Combine(Folder, name + ".efuse");
        var burned = await Command.RunCheckedAsync(NatLab.DotnetHost(), [LabBinaries.VirtualDevice, "burn", "--image", image, "--device-id", deviceId, "--generate-key"], timeout: TimeSpan.FromSeconds(30));
        var key = burned.Split('\n').Single(line => line.StartsWith("device-key ", StringComparison.Ordinal))["device-key ".Length..].Trim();
        await OperatorAsync("enroll", "device", deviceId, "--key", key);

        var config = Path.Combine(Folder, name + ".conf");
        await File.WriteAllLinesAsync(config,
        [
            $"ServiceUrl={Url}",
            $"CaFile={CaPath}",
            $"AllocationKeys={AllocationKey}",
            "DelegatedAllocation=false",
            "Discoverable=false",
            "Kind=sensor",
            "HttpTimeoutMillis=10000",
            .. configLines,
        ]);
        return new LabVirtualDevice(_lab, deviceId, image, config, Path.Combine(Folder, name + ".state"));
    }

    /// <summary>
    /// What <c>peergate-op devices --json</c> says of one device, or null: read by name, so a column added to
    /// the table moves nothing here.
    /// </summary>
    public async Task<LabDeviceRow?> DeviceRowAsync(string deviceId)
    {
        using var devices = JsonDocument.Parse(await OperatorAsync("devices", "--json"));
        foreach (var device in devices.RootElement.EnumerateArray())
        {
            if (device.GetProperty("deviceId").GetString() == deviceId)
            {
                return new LabDeviceRow(
                    Endpoint(device.GetProperty("declared")),
                    Endpoint(device.GetProperty("observed")),
                    Endpoint(device.GetProperty("udp")),
                    device.GetProperty("channel").GetString(),
                    device.GetRawText());
            }
        }

        return null;
    }

    private static string? Endpoint(JsonElement endpoint) =>
        endpoint.ValueKind == JsonValueKind.Null ? null : $"{endpoint.GetProperty("ip").GetString()}:{endpoint.GetProperty("port").GetInt32()}";

    public void Dispose()
    {
        Process.Dispose();
        _ca.Dispose();
    }
}

/// <summary>A provisioned virtual device; run it in any lab node (behind any router).</summary>
public sealed class LabVirtualDevice(NatLab lab, string deviceId, string image, string config, string state)
{
    public string DeviceId { get; } = deviceId;

    public string Image { get; } = image;

    public string Config { get; } = config;

    public string State { get; } = state;

    /// <summary><c>virtual-device run --once</c> inside <paramref name="node"/>: allocation, authentication, one registration.</summary>
    public Task<CommandResult> RunOnceAsync(LabNode node) =>
        lab.ExecDotnetAsync(node, LabBinaries.VirtualDevice, ["run", .. Options(), "--once"], TimeSpan.FromSeconds(60));

    /// <summary><c>virtual-device run</c> inside <paramref name="node"/>, kept running (the lab stops it).</summary>
    public LabProcess Start(LabNode node, params string[] arguments) =>
        lab.StartDotnet(node, LabBinaries.VirtualDevice, ["run", .. Options(), .. arguments]);

    private string[] Options() => ["--image", Image, "--config", Config, "--state", State];
}

/// <summary>One device as the operator API lists it: declared, observed and UDP endpoints (ip:port, null when none), its trigger channel, and the whole entry as JSON.</summary>
public sealed record LabDeviceRow(string? Declared, string? Observed, string? Udp, string? Channel, string Json);
