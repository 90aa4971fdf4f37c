using System.Diagnostics;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Storage;

/// <summary>The built server as a separate OS process, so a test can kill it the hard way.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    /// <summary>The HTTP port on 127.0.0.1, for a load balancer in front.</summary>
    public int Port => new Uri(BaseUrl).Port;

    public int Pid => _process.Id;

    /// <summary>True once the process has ended (killed, or refused to start).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The built server binary beside the tests.</summary>
    public static string ServerDll
    {
        get
        {
            var serverDll = Path.Combine(AppContext.BaseDirectory, "peergate-server.dll");
            Assert.IsTrue(File.Exists(serverDll), $"{serverDll} was not built next to the tests");
            return serverDll;
        }
    }

    public static async Task<ServerProcess> StartAsync(string dataDirectory, string adminToken, params string[] settings)
    {
        var serverDll = ServerDll;
        var baseUrl = "http://127.0.0.1:" + LoopbackPorts.Free();

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDirectory,
        };
        foreach (var argument in new[] { serverDll, "--urls", baseUrl, "--PeerGate:DataDirectory", dataDirectory, "--PeerGate:AdminToken", adminToken }.Concat(settings))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");

        // Drain both pipes so a chatty server can never block on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new ServerProcess(process, baseUrl);
        await server.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        return server;
    }

    /// <summary>Runs the server binary with <paramref name="arguments"/> to its end (a command, or a start that is refused), within 60 s.</summary>
    public static async Task<(int Exit, string Output, string Error)> RunToEndAsync(string workingDirectory, params string[] arguments)
    {
        var result = await ChildProcess.RunAsync("dotnet", [ServerDll, .. arguments], TimeSpan.FromSeconds(60), workingDirectory);
        return (result.Exit, result.Output, result.Error);
    }

    /// <summary>SIGKILL on Unix (TerminateProcess on Windows): no shutdown code runs.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        Assert.IsTrue(_process.WaitForExit(TimeSpan.FromSeconds(30)), "the killed server did not exit");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(30));
        }

        _process.Dispose();
    }

    private async Task WaitUntilHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            Assert.IsFalse(_process.HasExited, $"the server exited with {(_process.HasExited ? _process.ExitCode : 0)}");
            try
            {
                using var response = await http.GetAsync(BaseUrl + "/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        Assert.Fail($"the server at {BaseUrl} did not become healthy within {timeout}");
    }
}
