using System.Security.Cryptography;
using PeerGate.Device;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;

namespace PeerGate.VirtualDevice.Tests.Support;

/// <summary>
/// A real server on 127.0.0.1 with a one-level allocation chain, and virtual devices enrolled on it.
/// Poll and status timeouts are short so scenarios run in seconds; the wall clock is the host's or a
/// <see cref="SteppedClock"/> shared by the server and every device.
/// </summary>
public sealed class ConnectionLab : IAsyncDisposable
{
    public const string AllocationKey = "acme";

    public static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan ConnectedGrace = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan StatusQueryTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Every wait in a scenario is bounded by this.</summary>
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    private readonly List<LabDevice> _devices = [];

    private ConnectionLab(TestServer server, SteppedClock? clock)
    {
        Server = server;
        Clock = clock;
    }

    public TestServer Server { get; }

    /// <summary>The wall clock the server and every device share; null when they run on the host's.</summary>
    public SteppedClock? Clock { get; }

    /// <param name="clock">A wall clock for the server and its devices, for scenarios that step time forward.</param>
    /// <param name="tls">Serve https:// with this certificate; every device then pins its CA.</param>
    /// <param name="configure">More server settings (e.g. the rendezvous endpoint on).</param>
    public static async Task<ConnectionLab> StartAsync(CancellationToken cancel, SteppedClock? clock = null, ServerCertificate? tls = null, Action<PeerGate.Server.ServerOptions>? configure = null)
    {
        var server = await TestServer.StartAsync(
            new TestServerOptions
            {
                UseSystemClock = true,
                Tls = tls,
                Configure = options =>
                {
                    options.TriggerPollTimeout = PollTimeout;
                    options.TriggerConnectedGrace = ConnectedGrace;
                    options.StatusQueryTimeout = StatusQueryTimeout;
                    options.TimeProvider = clock ?? TimeProvider.System;
                    configure?.Invoke(options);
                },
            },
            cancel);
        await server.Admin.SetServiceEntryAsync(new AllocationHop { Role = HopRoles.Allocation, Url = server.BaseUrl, Level = 1 }, cancel);
        await server.Admin.SetAllocationEntryAsync(new AllocationEntry(1, AllocationKey, HopRoles.Authentication, server.BaseUrl, 0), cancel);
        return new ConnectionLab(server, clock);
    }

    /// <summary>
    /// Enrolls a new device; with <paramref name="listens"/> it accepts peers on a free loopback port.
    /// <paramref name="extraConfig"/> holds more configuration lines (DevicePermits=, ...). A
    /// <paramref name="name"/> is bound to the device at enrollment, as an operator does, and put in its config.
    /// </summary>
    public async Task<LabDevice> AddDeviceAsync(bool listens, CancellationToken cancel, string extraConfig = "", string? name = null)
    {
        var deviceId = TestDevice.NewDeviceId();
        var key = RandomNumberGenerator.GetBytes(32);
        await Server.Admin.EnrollDeviceAsync(deviceId, Convert.ToHexString(key), name: name, cancellationToken: cancel);
        var configText = $"ServiceUrl={Server.BaseUrl}\nAllocationKeys={AllocationKey}\n" + (listens ? $"ListenPort={LoopbackPorts.Free()}\n" : "") + (name is null ? "" : $"Name={name}\n") + extraConfig;
        var device = new LabDevice(new ScenarioDevice(deviceId, key, caPath: CaPath()), configText, Clock);
        _devices.Add(device);
        return device;
    }

    /// <summary>The server's CA as a PEM file beside its certificate, or null without TLS.</summary>
    private string? CaPath()
    {
        if (Server.Tls is not { } tls)
        {
            return null;
        }

        var path = Path.Combine(Path.GetDirectoryName(tls.CertificatePath)!, "ca.pem");
        if (!File.Exists(path))
        {
            File.WriteAllText(path, tls.Authority.ExportCertificatePem() + "\n");
        }

        return path;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var device in _devices)
        {
            device.Dispose();
        }

        await Server.DisposeAsync();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <see cref="WaitLimit"/> passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + WaitLimit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50, cancel);
        }

        return true;
    }

}

/// <summary>One enrolled virtual device of a <see cref="ConnectionLab"/>, run on its own thread like <c>virtual-device run</c>.</summary>
public sealed class LabDevice : IDisposable
{
    private readonly TimeProvider? _wallClock;
    private ManualResetEvent? _stop;
    private Thread? _thread;

    public LabDevice(ScenarioDevice device, string configText, TimeProvider? wallClock = null)
    {
        _wallClock = wallClock;
        Device = device;
        ConfigText = configText;
        ConfigPath = device.File("peergate.conf");
        System.IO.File.WriteAllText(ConfigPath, configText);
        Config = DeviceConfig.Parse(configText);
    }

    public ScenarioDevice Device { get; }

    public string ConfigText { get; }

    public string ConfigPath { get; }

    public DeviceConfig Config { get; }

    /// <summary>Authenticates a fresh agent of this device (without registering) and returns its Terminal ID.</summary>
    public async Task<string> TerminalIdAsync()
    {
        var agent = Device.Boot(Config, out _, wallClock: _wallClock);
        Assert.IsTrue(await Task.Run(agent.AuthenticateOnce), Log);
        return agent.TerminalId!;
    }

    public DeviceAgent? Agent { get; private set; }

    public string Log => Device.Log;

    /// <summary>The CLI options that name this device.</summary>
    public string[] CliOptions => Device.CaPath is null
        ? ["--image", Device.ImagePath, "--config", ConfigPath, "--state", Device.StateFolder]
        : ["--image", Device.ImagePath, "--config", ConfigPath, "--state", Device.StateFolder, "--ca", Device.CaPath];

    /// <summary>Powers the device on and waits until it is registered with its trigger channel open.</summary>
    /// <param name="network">The addresses it declares; null for 127.0.0.1 and its ListenPort, the address the server sees.</param>
    public async Task<DeviceAgent> StartAsync(CancellationToken cancel, bool forceBusy = false, bool answerStatusQueries = true, PeerGate.Device.Platform.INetworkInfo? network = null)
    {
        var agent = Device.Boot(Config, out _, network: network, forceBusy: forceBusy, wallClock: _wallClock);
        agent.Triggers.AnswerStatusQueries = answerStatusQueries;
        Agent = agent;
        _stop = new ManualResetEvent(false);
        var stop = _stop;
        _thread = new Thread(() => agent.Run(stop)) { IsBackground = true };
        _thread.Start();
        Assert.IsTrue(await ConnectionLab.EventuallyAsync(() => agent.State == DeviceState.Registered && agent.Poller.Polls > 0, cancel), Log);
        return agent;
    }

    /// <summary>Powers the device off: the agent stops its poller and listener and ends.</summary>
    public void Stop()
    {
        _stop?.Set();
        Assert.IsTrue(_thread?.Join(ConnectionLab.WaitLimit) ?? true, "the agent did not stop in time");
        _thread = null;
    }

    public void Dispose()
    {
        Stop();
        _stop?.Dispose();
        Device.Dispose();
    }
}
