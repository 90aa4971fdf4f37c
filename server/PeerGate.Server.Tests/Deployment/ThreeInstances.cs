using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Storage;
using PeerGate.Server.Testing;
using PeerGate.Server.Tests.Storage;

namespace PeerGate.Server.Tests.Deployment;

/// <summary>
/// A deployment as docs/deployment.md describes it: three server processes on one PostgreSQL database
/// (of the run's cluster, <see cref="TestStorage"/>), sharing the issuer name, one signing key and the
/// admin token, and HAProxy in front of them, round robin. Tests address each instance directly
/// (<see cref="Client"/>, <see cref="Admin"/>) or the balancer (<see cref="Balanced"/>). Devices poll with
/// <see cref="PollWait"/>, and a delivery must come within <see cref="Prompt"/>, far below it, so only a
/// wake-up passes, never a poll that timed out and was sent again. Runs in the PostgreSQL pass only;
/// without PostgreSQL or HAProxy the test reports inconclusive with the reason.
/// </summary>
internal sealed class ThreeInstances : IAsyncDisposable
{
    public const string AdminToken = "three-instances-admin-token";

    public const string Issuer = "peergate-deployment";

    /// <summary>The poll timeout devices ask for (the poll's <c>wait</c>).</summary>
    public static readonly TimeSpan PollWait = TimeSpan.FromSeconds(20);

    /// <summary>How soon a trigger queued or a refusal made at one instance must reach the device at another.</summary>
    public static readonly TimeSpan Prompt = TimeSpan.FromSeconds(5);

    private readonly string _root;
    private readonly ServerProcess[] _instances;
    private readonly HttpClient[] _clients;
    private readonly AdminClient[] _admins;

    private ThreeInstances(string root, ServerProcess[] instances, HaproxyBalancer balancer)
    {
        _root = root;
        _instances = instances;
        Balancer = balancer;
        _clients = instances.Select(instance => NewClient(instance.BaseUrl)).ToArray();
        _admins = instances.Select(instance => new AdminClient(new Uri(instance.BaseUrl), AdminToken)).ToArray();
        Balanced = NewClient(balancer.BaseUrl);
    }

    public HaproxyBalancer Balancer { get; }

    /// <summary>A client of the balancer: each request goes to the next instance that is up.</summary>
    public HttpClient Balanced { get; }

    /// <summary>Instance <paramref name="n"/> (1 to 3).</summary>
    public ServerProcess Instance(int n) => _instances[n - 1];

    /// <summary>A device-facing client of instance <paramref name="n"/> (1 to 3).</summary>
    public HttpClient Client(int n) => _clients[n - 1];

    /// <summary>The operator API of instance <paramref name="n"/> (1 to 3).</summary>
    public AdminClient Admin(int n) => _admins[n - 1];

    public static async Task<ThreeInstances> StartAsync()
    {
        if (TestStorage.Engine != StorageEngine.Postgres)
        {
            Assert.Inconclusive($"Three instances share a PostgreSQL database: this runs in the PostgreSQL pass ({TestStorage.Variable}=postgres).");
        }

        if (PostgresCluster.Missing is { } noPostgres)
        {
            Assert.Inconclusive(noPostgres);
        }

        if (HaproxyBalancer.Missing is { } noHaproxy)
        {
            Assert.Inconclusive(noHaproxy);
        }

        var root = Directory.CreateTempSubdirectory("peergate-three-").FullName;
        var instances = new List<ServerProcess>();
        try
        {
            // One signing key for all, as an operator copies it: a certificate from any instance verifies at every one.
            string key;
            using (var signing = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            {
                key = signing.ExportPkcs8PrivateKeyPem();
            }

            var database = await TestStorage.DatabaseForAsync(root);
            string[] settings =
            [
                "--PeerGate:Storage:Engine", StorageEngine.Postgres,
                "--PeerGate:Storage:ConnectionString", database,
                "--PeerGate:Issuer", Issuer,

                // Rate limits are per instance (docs/cluster.md) and not what these tests are about.
                "--PeerGate:DeviceWritesPerMinute", "0",
                "--PeerGate:UnauthenticatedRequestsPerMinute", "0",
            ];
            for (var n = 1; n <= 3; n++)
            {
                var data = Path.Combine(root, "instance" + n.ToString(CultureInfo.InvariantCulture));
                WriteOwnerOnly(data, "issuer-key.pem", key);
                instances.Add(await ServerProcess.StartAsync(data, AdminToken, settings));
            }

            var balancer = await HaproxyBalancer.StartAsync(instances.Select(instance => instance.Port).ToArray());
            var deployment = new ThreeInstances(root, [.. instances], balancer);
            await deployment.UntilEachHeardTheOthersAsync();
            return deployment;
        }
        catch
        {
            foreach (var instance in instances)
            {
                instance.Dispose();
            }

            await TestStorage.DropAsync(root);
            Directory.Delete(root, recursive: true);
            throw;
        }
    }

    /// <summary>Enrolls a device through instance <paramref name="enrollAt"/>, then authenticates and registers it at <paramref name="registerAt"/>.</summary>
    public async Task<Device> RegisterAsync(int enrollAt, int registerAt)
    {
        var deviceId = TestDevice.NewDeviceId();
        var enrolled = await Admin(enrollAt).EnrollDeviceAsync(deviceId);
        var device = new TestDevice(deviceId, Convert.FromHexString(enrolled.KeyHex));
        var certificate = await device.AuthenticateAsync(Client(registerAt));
        using var registered = await TestDevice.SendRegistrationAsync(Client(registerAt), certificate.Certificate, Devices.Registration(certificate.TerminalId));
        await TestDevice.ReadAsync<RegistrationResponse>(registered);
        return new Device(device, certificate);
    }

    /// <summary>One long-poll with <see cref="PollWait"/>, acknowledging up to <paramref name="after"/>; the raw answer.</summary>
    public static Task<HttpResponseMessage> PollAsync(HttpClient http, string certificate, long after, CancellationToken cancellationToken = default) =>
        PollAsync(http, certificate, after, PollWait, cancellationToken);

    public static Task<HttpResponseMessage> PollAsync(HttpClient http, string certificate, long after, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"{Routes.Triggers}?after={after}&wait={(int)wait.TotalSeconds}");
        var message = new HttpRequestMessage(HttpMethod.Get, path);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", certificate);
        return http.SendAsync(message, cancellationToken);
    }

    /// <summary>The long-polls instance <paramref name="n"/> holds open now (its <c>peergate_devices_online{path="long-poll"}</c>).</summary>
    public Task<long> PollsHeldAsync(int n) => MetricAsync(n, "peergate_devices_online", "path=\"long-poll\"");

    /// <summary>Until instance <paramref name="n"/> holds more than <paramref name="before"/> polls, within <see cref="Prompt"/>.</summary>
    public async Task UntilHoldingAsync(int n, long before)
    {
        var deadline = DateTime.UtcNow + Prompt;
        while (await PollsHeldAsync(n) <= before)
        {
            Assert.IsLessThan(deadline, DateTime.UtcNow, $"instance {n} did not take the poll within {Prompt.TotalSeconds} s");
            await Task.Delay(20);
        }
    }

    /// <summary>Kills instance <paramref name="n"/> with SIGKILL: nothing of its shutdown runs.</summary>
    public void Kill(int n) => _instances[n - 1].Kill();

    public async ValueTask DisposeAsync()
    {
        Balanced.Dispose();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        foreach (var admin in _admins)
        {
            admin.Dispose();
        }

        await Balancer.DisposeAsync();
        foreach (var instance in _instances)
        {
            instance.Dispose();
        }

        await TestStorage.DropAsync(_root);
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>
    /// Until every instance has heard the other two say hello on the bus (docs/cluster.md): before
    /// that, an instance may think itself alone and tell nobody of what it does.
    /// </summary>
    private async Task UntilEachHeardTheOthersAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        for (var n = 1; n <= 3; n++)
        {
            while (await MetricAsync(n, "peergate_cluster_messages_total", "outcome=\"received\"") < 2)
            {
                Assert.IsLessThan(deadline, DateTime.UtcNow, $"instance {n} did not hear the other instances within 30 s");
                await Task.Delay(50);
            }
        }
    }

    /// <summary>The value of <paramref name="name"/> with <paramref name="label"/> in instance <paramref name="n"/>'s /metrics, 0 when absent.</summary>
    private async Task<long> MetricAsync(int n, string name, string label)
    {
        var text = await Client(n).GetStringAsync("/metrics");
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name + "{", StringComparison.Ordinal) && line.Contains(label, StringComparison.Ordinal))
            {
                return (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static void WriteOwnerOnly(string directory, string name, string text)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, name), text);
            return;
        }

        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using var writer = new StreamWriter(new FileStream(Path.Combine(directory, name), options));
        writer.Write(text);
    }

    // Longer than a poll's wait, so only the server ends a poll.
    private static HttpClient NewClient(string baseUrl) => new() { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
}

/// <summary>A device of the deployment with its certificate.</summary>
internal sealed record Device(TestDevice Keys, CertificateResponse Certificate)
{
    public string DeviceId => Keys.DeviceId;

    public string TerminalId => Certificate.TerminalId;

    public string Token => Certificate.Certificate;
}
