using System.Diagnostics;
using System.Text;

namespace PeerGate.NatLab;

/// <summary>What a bounded command printed and how it ended.</summary>
public sealed record CommandResult(int ExitCode, string Output, bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;
}

/// <summary>Runs one short command to its end, never longer than its timeout (then it is killed).</summary>
public static class Command
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> arguments, string? input = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();

        using var limit = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }

            await process.WaitForExitAsync(CancellationToken.None);
            return new CommandResult(-1, Text(output), TimedOut: true);
        }

        // The last lines arrive after the exit is seen; the parameterless wait drains them.
        process.WaitForExit();
        return new CommandResult(process.ExitCode, Text(output), TimedOut: false);
    }

    /// <summary>Runs the command and throws with its output when it fails: a lab step that must work.</summary>
    public static async Task<string> RunCheckedAsync(string file, IEnumerable<string> arguments, string? input = null, TimeSpan? timeout = null)
    {
        var list = arguments.ToList();
        var result = await RunAsync(file, list, input, timeout);
        if (!result.Succeeded)
        {
            var how = result.TimedOut ? "timed out" : $"exited {result.ExitCode}";
            throw new NatLabException($"{file} {string.Join(' ', list)} {how}: {result.Output.Trim()}");
        }

        return result.Output;
    }

    /// <summary>The full path of <paramref name="name"/> on PATH or in the sbin folders, or null.</summary>
    public static string? Find(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}

public sealed class NatLabException(string message) : Exception(message);
