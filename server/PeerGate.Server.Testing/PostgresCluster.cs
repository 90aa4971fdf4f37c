using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PeerGate.Server.Testing;

/// <summary>
/// A PostgreSQL cluster of a test's own: <c>initdb</c> into a temp folder, one <c>postgres</c> on
/// 127.0.0.1 at a free port with password (SCRAM) authentication, removed with the folder on dispose.
/// The binaries are found in <c>PEERGATE_POSTGRES_BIN</c> or the newest <c>/usr/lib/postgresql/N/bin</c>
/// (Debian's <c>postgresql</c> package); without them <see cref="Missing"/> says why, for the test to
/// report skipped. PostgreSQL refuses to run as root, so as root the cluster runs as the
/// <c>postgres</c> user the package creates.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    public const string User = "peergate";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string _bin;
    private readonly string _folder;
    private readonly string? _runAs;
    private bool _running;

    private PostgresCluster(string bin, string folder, string? runAs, int port, string password)
    {
        _bin = bin;
        _folder = folder;
        _runAs = runAs;
        Port = port;
        Password = password;
    }

    public int Port { get; }

    public string Password { get; }

    /// <summary>The data folder (inside the cluster's temp folder).</summary>
    public string DataDirectory => Path.Combine(_folder, "data");

    /// <summary>An Npgsql connection string for <paramref name="database"/> as <see cref="User"/>.</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username={User};Password={Password};Database={database};Pooling=true";

    /// <summary>Why a cluster cannot be started here, or null when it can.</summary>
    public static string? Missing => FindBin() is null
        ? "PostgreSQL is not installed (Debian package postgresql, or PEERGATE_POSTGRES_BIN naming the folder with initdb and pg_ctl)"
        : IsRoot && !UserExists("postgres")
            ? "running as root and there is no postgres user to run PostgreSQL as"
            : null;

    public static async Task<PostgresCluster> StartAsync(CancellationToken cancellationToken = default)
    {
        if (Missing is { } why)
        {
            throw new InvalidOperationException(why);
        }

        var bin = FindBin()!;
        var folder = Directory.CreateTempSubdirectory("peergate-pg-").FullName;
        var runAs = IsRoot ? "postgres" : null;
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var cluster = new PostgresCluster(bin, folder, runAs, LoopbackPorts.Free(), password);
        try
        {
            await cluster.InitializeAsync(cancellationToken);
            await cluster.StartServerAsync(cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var passwordFile = Path.Combine(_folder, "pwfile");
        await File.WriteAllTextAsync(passwordFile, Password + "\n", cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        if (_runAs is not null)
        {
            await RunAsync("chown", ["-R", _runAs, _folder], asUser: false, cancellationToken);
        }

        await RunAsync(Path.Combine(_bin, "initdb"), ["-D", DataDirectory, "-U", User, "--auth=scram-sha-256", "--pwfile", passwordFile, "-E", "UTF8", "--locale=C", "--no-instructions"], asUser: true, cancellationToken);
        File.Delete(passwordFile);
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        // Only 127.0.0.1, the socket in the cluster's own folder, durable commits as a deployment has them.
        var options = $"-h 127.0.0.1 -p {Port.ToString(CultureInfo.InvariantCulture)} -k {_folder} -c fsync=on -c synchronous_commit=on -c max_connections=200";
        await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-l", Path.Combine(_folder, "server.log"), "-o", options, "-w", "-t", ((int)StartTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture), "start"], asUser: true, cancellationToken);
        _running = true;
    }

    /// <summary>The server's log so far (for a failing test's message).</summary>
    public string Log()
    {
        var path = Path.Combine(_folder, "server.log");
        return File.Exists(path) ? File.ReadAllText(path) : string.Empty;
    }

    public async ValueTask DisposeAsync()
    {
        if (_running)
        {
            _running = false;
            try
            {
                await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"], asUser: true, CancellationToken.None);
            }
            catch (InvalidOperationException)
            {
                // Already gone (a test killed it): the folder still goes.
            }
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private async Task RunAsync(string program, string[] arguments, bool asUser, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asUser && _runAs is not null)
        {
            start.FileName = "runuser";
            foreach (var argument in (string[])["-u", _runAs, "--", program, .. arguments])
            {
                start.ArgumentList.Add(argument);
            }
        }
        else
        {
            start.FileName = program;
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout + TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            var text = new StringBuilder().Append(Path.GetFileName(program)).Append(" exited ").Append(process.ExitCode).Append(": ")
                .Append((await error).Trim()).Append(' ').Append((await output).Trim());
            throw new InvalidOperationException(text.ToString());
        }
    }

    private static bool IsRoot => OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess;

    private static bool UserExists(string name) =>
        File.Exists("/etc/passwd") && File.ReadLines("/etc/passwd").Any(line => line.StartsWith(name + ":", StringComparison.Ordinal));

    private static string? FindBin()
    {
        if (Environment.GetEnvironmentVariable("PEERGATE_POSTGRES_BIN") is { Length: > 0 } configured)
        {
            return File.Exists(Path.Combine(configured, "initdb")) ? configured : null;
        }

        const string Debian = "/usr/lib/postgresql";
        if (!Directory.Exists(Debian))
        {
            return null;
        }

        return Directory.GetDirectories(Debian)
            .Select(folder => (Folder: folder, Version: int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : -1))
            .Where(candidate => candidate.Version >= 0 && File.Exists(Path.Combine(candidate.Folder, "bin", "initdb")))
            .OrderByDescending(candidate => candidate.Version)
            .Select(candidate => Path.Combine(candidate.Folder, "bin"))
            .FirstOrDefault();
    }
}
