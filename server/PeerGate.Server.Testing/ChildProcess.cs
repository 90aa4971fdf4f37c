using System.Diagnostics;

namespace PeerGate.Server.Testing;

/// <summary>A program a test runs to its end, its output read in full, killed if it outlives its timeout.</summary>
public static class ChildProcess
{
    /// <summary>What the program said and how it ended.</summary>
    public sealed record Result(int Exit, string Output, string Error)
    {
        /// <summary>Standard output followed by standard error.</summary>
        public string All => Output + Error;
    }

    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="arguments"/>; throws <see cref="TimeoutException"/>
    /// (after killing it) when it has not ended within <paramref name="timeout"/>, and
    /// <see cref="System.ComponentModel.Win32Exception"/> when it cannot be started.
    /// </summary>
    public static async Task<Result> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        using var deadline = new CancellationTokenSource(timeout);
        var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var error = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
            return new Result(process.ExitCode, await output, await error);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not end within {timeout.TotalSeconds:0} s");
        }
    }
}
