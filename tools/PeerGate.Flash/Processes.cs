using System.Diagnostics;

namespace PeerGate.Flash;

/// <summary>How the tool finds and runs nanoff and espefuse; tests put a recorder in its place.</summary>
public interface IProcessRunner
{
    /// <summary>The full path of an installed tool, or null when it is not installed.</summary>
    string? Find(string tool);

    /// <summary>Runs the tool with the console's own input and output (espefuse asks its own question) and answers its exit code.</summary>
    int Run(string path, IReadOnlyList<string> arguments);
}

/// <summary>Where the eFuse confirmation is typed.</summary>
public interface IConfirmationInput
{
    /// <summary>False when nobody can type (input redirected): then only --confirm confirms.</summary>
    bool IsInteractive { get; }

    string? ReadLine();
}

/// <summary>The real processes on PATH.</summary>
public sealed class SystemProcessRunner : IProcessRunner
{
    public string? Find(string tool)
    {
        // Windows finds espefuse.py.exe and nanoff.exe through PATHEXT; elsewhere the name is the file.
        var extensions = OperatingSystem.IsWindows()
            ? [string.Empty, .. (Environment.GetEnvironmentVariable("PATHEXT") ?? ".EXE;.CMD;.BAT").Split(';', StringSplitOptions.RemoveEmptyEntries)]
            : new[] { string.Empty };
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var extension in extensions)
            {
                var candidate = Path.Combine(folder, tool + extension);
                if (File.Exists(candidate) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    public int Run(string path, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(path) { UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new FlashFailedException($"could not start {path}");
        process.WaitForExit();
        return process.ExitCode;
    }
}

/// <summary>The console, when a person sits at it.</summary>
public sealed class ConsoleConfirmationInput : IConfirmationInput
{
    public bool IsInteractive => !Console.IsInputRedirected;

    public string? ReadLine() => Console.ReadLine();
}
