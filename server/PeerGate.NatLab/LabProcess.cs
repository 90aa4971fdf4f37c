using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace PeerGate.NatLab;

/// <summary>
/// A process running inside one lab namespace (<c>ip netns exec</c>), so its sockets bind there. Its
/// stdout and stderr are collected line by line; lines can be awaited, each wait with a timeout; stdin
/// takes commands. Disposing kills it (and anything it started) if it is still running.
/// </summary>
public sealed class LabProcess : IDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _output = new();
    private int _open = 2;

    private LabProcess(Process process, string description)
    {
        _process = process;
        Description = description;
    }

    public string Description { get; }

    public Process Process => _process;

    /// <summary>Everything it printed so far (stdout and stderr interleaved as they came), for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static LabProcess Start(string ip, string netns, string file, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(ip)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("netns");
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(netns);
        start.ArgumentList.Add(file);
        var list = arguments.ToList();
        foreach (var argument in list)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var lab = new LabProcess(process, $"{netns}: {Path.GetFileName(file)} {string.Join(' ', list)}");
        process.OutputDataReceived += (_, e) => lab.Receive(e.Data);
        process.ErrorDataReceived += (_, e) => lab.Receive(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return lab;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Writes one line to its stdin.</summary>
    public async Task SendAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>
    /// The next line (not yet taken by an earlier wait) that satisfies <paramref name="match"/>, or null
    /// when none came within <paramref name="timeout"/> or the process ended without one.
    /// </summary>
    public async Task<string?> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(limit.Token))
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    if (match(line))
                    {
                        return line;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return null;
    }

    public Task<string?> WaitForLineAsync(string startsWith, TimeSpan timeout) =>
        WaitForLineAsync(line => line.StartsWith(startsWith, StringComparison.Ordinal), timeout);

    /// <summary>Waits for it to end by itself; false when it still runs after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private void Receive(string? line)
    {
        if (line is null)
        {
            if (Interlocked.Decrement(ref _open) == 0)
            {
                _lines.Writer.TryComplete();
            }

            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        _lines.Writer.TryWrite(line);
    }
}
