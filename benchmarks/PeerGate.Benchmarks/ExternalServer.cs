using System.Diagnostics;

namespace PeerGate.Benchmarks;

/// <summary>
/// A reference server from a Debian package (Mosquitto, coturn), started by the benchmark in a temp
/// folder and killed at the end. Installed with apt-get when missing, only on a full run as root;
/// otherwise its lines are skipped with the reason.
/// </summary>
public sealed class ExternalServer : IDisposable
{
    private readonly Process _process;

    private ExternalServer(Process process) => _process = process;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The program's path, or null with the reason it cannot be had.</summary>
    public static async Task<(string? Path, string? Skipped)> FindOrInstallAsync(string program, string package, bool mayInstall)
    {
        if (Find(program) is { } found)
        {
            return (found, null);
        }

        if (!mayInstall)
        {
            return (null, $"{package} not installed");
        }

        if (Environment.UserName != "root" || Find("apt-get") is null)
        {
            return (null, $"{package} not installed, and apt-get needs root");
        }

        Console.Error.WriteLine($"peergate-bench: installing {package} with apt-get");
        foreach (var arguments in new[] { "update -qq", "install -y -qq " + package })
        {
            var start = new ProcessStartInfo("apt-get", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
            using var apt = Process.Start(start)!;
            var output = apt.StandardOutput.ReadToEndAsync();
            var errors = apt.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            try
            {
                await apt.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                apt.Kill(entireProcessTree: true);
                return (null, $"apt-get {arguments} took over 5 minutes");
            }

            await Task.WhenAll(output, errors);
        }

        return Find(program) is { } installed ? (installed, null) : (null, $"apt-get could not install {package}");
    }

    public static ExternalServer Start(string path, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + path);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ExternalServer(process);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }

    private static string? Find(string program) =>
        new[] { "/usr/sbin", "/usr/bin", "/sbin", "/bin" }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
}
