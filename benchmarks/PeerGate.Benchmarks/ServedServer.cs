using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PeerGate.Server;
using PeerGate.Server.Cluster;
using PeerGate.Server.Rendezvous;
using PeerGate.Server.Storage;
using PeerGate.Server.Triggers;

namespace PeerGate.Benchmarks;

/// <summary>
/// The PeerGate server in a process of its own, so its memory and CPU are its own. The child is this
/// program with <c>--serve</c>: the server's own Program.cs (owner-only files, PeerGateServer.Build from
/// the command line), quiet as in the other benchmarks, plus one line of stdin a server has no use
/// for: "mem" answers the managed heap after a full blocking, compacting GC, so the parent reads the
/// resident memory from /proc after the collection; "polling ID" whether terminal ID's long-poll waits
/// here; "peers" how many other instances on its database it hears from; "commits" its durable commits so far. Its stdin closing stops it.
/// </summary>
public sealed class ServedServer : IAsyncDisposable
{
    private readonly Process _process;

    // One question on stdin at a time, so each answer on stdout is read by the one who asked.
    private readonly SemaphoreSlim _asking = new(1, 1);

    private ServedServer(Process process, string baseUrl, int udpPort, string gc)
    {
        _process = process;
        Gc = gc;
        BaseUrl = baseUrl;
        UdpPort = udpPort;
    }

    /// <summary>
    /// Limits a fleet on one address needs lifted: one address authenticates thousands of devices, and
    /// one caller queries as fast as the measurement goes.
    /// </summary>
    public static readonly string[] BenchmarkLimits = ["--PeerGate:UnauthenticatedRequestsPerMinute=0", "--PeerGate:DeviceWritesPerMinute=0"];

    public string BaseUrl { get; }

    public int UdpPort { get; }

    public int Pid => _process.Id;

    /// <summary>"server" or "workstation": the garbage collector the server process runs.</summary>
    public string Gc { get; }

    /// <summary>The child's side: runs the server until stdin closes.</summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        OwnerOnly.ApplyToNewFiles();
        var app = PeerGateServer.Build(new ServerOptions { Args = args, Quiet = true });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        var udpPort = app.Services.GetRequiredService<UdpRegistrar>().BoundPort;
        Console.WriteLine($"ready {url} {udpPort} {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line == "mem")
            {
                Console.WriteLine(MemoryAnswer());
            }
            else if (line.StartsWith("polling ", StringComparison.Ordinal))
            {
                Console.WriteLine("polling " + (app.Services.GetRequiredService<TriggerHub>().IsPolling(line["polling ".Length..]) ? "1" : "0"));
            }
            else if (line == "peers")
            {
                var peers = app.Services.GetRequiredService<ClusterBus>() is PostgresClusterBus bus ? bus.PeerCount : 0;
                Console.WriteLine("peers " + peers.ToString(CultureInfo.InvariantCulture));
            }
            else if (line == "commits")
            {
                Console.WriteLine("commits " + app.Services.GetRequiredService<Database>().Commits.ToString(CultureInfo.InvariantCulture));
            }
            else if (line == "allocated")
            {
                Console.WriteLine("allocated " + GC.GetTotalAllocatedBytes(precise: true).ToString(CultureInfo.InvariantCulture));
            }
        }

        await app.StopAsync();
        return 0;
    }

    /// <summary>The answer to "mem": the managed heap after a full, blocking, compacting collection.</summary>
    internal static string MemoryAnswer()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return "mem " + GC.GetTotalMemory(forceFullCollection: false).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Starts the child on 127.0.0.1 (a free HTTP port, a free UDP port) over <paramref name="dataDirectory"/>.</summary>
    /// <param name="serverGc">The server GC or the workstation GC; null: the GC settings peergate-server ships with.</param>
    public static Task<ServedServer> StartAsync(string dataDirectory, string adminToken, bool? serverGc, params string[] settings) =>
        StartAsync(dataDirectory, adminToken, serverGc, new Dictionary<string, string>(), settings);

    /// <summary>As above, with configuration that must not be on the command line (a connection string with its password) in <paramref name="environment"/>.</summary>
    public static Task<ServedServer> StartAsync(string dataDirectory, string adminToken, bool? serverGc, IReadOnlyDictionary<string, string> environment, params string[] settings) =>
        LaunchAsync(dataDirectory, serverGc, environment,
        [
            "--serve",
            "--urls", "http://127.0.0.1:0",
            "--PeerGate:DataDirectory=" + dataDirectory,
            "--PeerGate:AdminToken=" + adminToken,
            "--PeerGate:UdpAddress=127.0.0.1",
            "--PeerGate:UdpPort=0",
            .. settings,
        ]);

    /// <summary>A bare Kestrel app (<see cref="BareKestrel"/>) in a child run with the same GC settings, on a free port of 127.0.0.1.</summary>
    public static Task<ServedServer> StartBareKestrelAsync(string workingDirectory, bool? serverGc) =>
        LaunchAsync(workingDirectory, serverGc, new Dictionary<string, string>(), ["--serve-kestrel", "--urls", "http://127.0.0.1:0"]);

    /// <summary>This program again as a child with <paramref name="arguments"/>, once it has said it is ready.</summary>
    private static async Task<ServedServer> LaunchAsync(string workingDirectory, bool? serverGc, IReadOnlyDictionary<string, string> environment, string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };

        // This program is a console app with its own runtimeconfig; the child must run the GC and thread-pool settings
        // peergate-server ships with (its runtimeconfig, copied beside this program), or its memory is
        // not the server's. --server-gc and --workstation-gc override the GC kind.
        foreach (var (name, value) in ShippedGcSettings())
        {
            start.Environment[name] = value;
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        if (serverGc is { } server)
        {
            start.Environment["DOTNET_gcServer"] = server ? "1" : "0";
        }

        start.ArgumentList.Add(typeof(ServedServer).Assembly.Location);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine("server: " + e.Data);
            }
        };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("ready ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                return new ServedServer(process, parts[1], int.Parse(parts[2], CultureInfo.InvariantCulture), parts[3]);
            }
        }

        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException("the server exited before it was ready");
    }

    /// <summary>
    /// The GC settings of peergate-server.runtimeconfig.json as the environment variables that set the
    /// same (System.GC.Server, Concurrent, ConserveMemory); a setting it does not name is the runtime's default.
    /// </summary>
    private static IEnumerable<(string Name, string Value)> ShippedGcSettings()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "peergate-server.runtimeconfig.json");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        if (!json.RootElement.GetProperty("runtimeOptions").TryGetProperty("configProperties", out var properties))
        {
            yield break;
        }

        var names = new Dictionary<string, string>
        {
            ["System.GC.Server"] = "DOTNET_gcServer",
            ["System.GC.Concurrent"] = "DOTNET_gcConcurrent",
            ["System.GC.ConserveMemory"] = "DOTNET_GCConserveMemory",
            ["System.Threading.ThreadPool.UnfairSemaphoreSpinLimit"] = "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit",
        };
        foreach (var property in properties.EnumerateObject())
        {
            if (names.TryGetValue(property.Name, out var variable))
            {
                var value = property.Value.ValueKind switch
                {
                    System.Text.Json.JsonValueKind.True => "1",
                    System.Text.Json.JsonValueKind.False => "0",
                    _ => property.Value.GetRawText().Trim('"'),
                };
                yield return (variable, value);
            }
        }

        // The runtime's default is the workstation GC; say so, so this program's own setting never leaks in.
        if (!properties.TryGetProperty("System.GC.Server", out _))
        {
            yield return ("DOTNET_gcServer", "0");
        }
    }

    /// <summary>Resident memory and managed heap in bytes, both read right after a full GC in the server.</summary>
    public async Task<(long Resident, long ManagedHeap)> MemoryAfterGcAsync()
    {
        await _process.StandardInput.WriteLineAsync("mem");
        await _process.StandardInput.FlushAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await _process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("mem ", StringComparison.Ordinal))
            {
                return (ProcessStats.ResidentBytes(Pid), long.Parse(line[4..], CultureInfo.InvariantCulture));
            }
        }

        throw new InvalidOperationException("the server exited");
    }

    public TimeSpan CpuTime() => ProcessStats.CpuTime(Pid);

    /// <summary>Durable commits the server has made since it started.</summary>
    public async Task<long> CommitsAsync() => long.Parse(await AskAsync("commits"), CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="terminalId"/>'s long-poll waits on this instance.</summary>
    public async Task<bool> IsPollingAsync(string terminalId) => await AskAsync("polling " + terminalId) == "1";

    /// <summary>The other instances on this one's database it has heard from lately; 0 on SQLite.</summary>
    public async Task<int> PeersAsync() => int.Parse(await AskAsync("peers"), CultureInfo.InvariantCulture);

    /// <summary>Until <paramref name="terminalId"/>'s long-poll waits here; fails after 10 s.</summary>
    public async Task UntilPollingAsync(string terminalId)
    {
        var waited = Stopwatch.StartNew();
        while (!await IsPollingAsync(terminalId))
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new InvalidOperationException($"{terminalId} was not polling at {BaseUrl} after 10 s");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>Sends one line to the child and returns what its answer says after the command's name.</summary>
    internal async Task<string> AskAsync(string command)
    {
        var name = command.Split(' ')[0] + " ";
        await _asking.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(command);
            await _process.StandardInput.FlushAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (await _process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith(name, StringComparison.Ordinal))
                {
                    return line[name.Length..];
                }
            }

            throw new InvalidOperationException("the server exited");
        }
        finally
        {
            _asking.Release();
        }
    }

    /// <summary>Bytes the server has allocated on the managed heap since it started.</summary>
    public long AllocatedBytes()
    {
        _process.StandardInput.WriteLine("allocated");
        _process.StandardInput.Flush();
        while (_process.StandardOutput.ReadLine() is { } line)
        {
            if (line.StartsWith("allocated ", StringComparison.Ordinal))
            {
                return long.Parse(line["allocated ".Length..], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("the server exited");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        _asking.Dispose();
    }
}
