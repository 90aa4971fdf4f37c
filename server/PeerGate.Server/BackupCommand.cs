using PeerGate.Server.Storage;

namespace PeerGate.Server;

/// <summary>
/// <c>peergate-server backup --to FILE [--PeerGate:DataDirectory DIR ...]</c>: an online backup of
/// the database of a server that may be running, found through the same configuration the server
/// reads (appsettings.json in the current folder, PeerGate__* environment variables, the command line).
/// </summary>
public static class BackupCommand
{
    public const string Name = "backup";

    private const string Usage = "usage: peergate-server backup --to FILE [--PeerGate:DataDirectory DIR | --PeerGate:DatabasePath FILE]";

    /// <summary>Runs the command; 0 when the backup is written, 1 when it could not be, 2 for a usage error.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var arguments = CommandArguments.Parse(args);
        if (arguments.Help)
        {
            output.WriteLine(Usage);
            return 0;
        }

        if (arguments.Unexpected >= 0)
        {
            error.WriteLine($"peergate-server backup: unexpected argument '{args[arguments.Unexpected]}'");
            error.WriteLine(Usage);
            return 2;
        }

        var target = arguments.Target;
        if (string.IsNullOrWhiteSpace(target))
        {
            error.WriteLine("peergate-server backup: --to FILE is required");
            error.WriteLine(Usage);
            return 2;
        }

        try
        {
            var options = new ServerOptions { Args = arguments.Configuration };
            PeerGateServer.ApplyConfiguration(options, Configuration(options.Args));
            if (options.StorageEngine == StorageEngine.Postgres)
            {
                // PostgreSQL has its own online backup, which knows its server: ours would only copy the rows.
                error.WriteLine("peergate-server backup: backup_sqlite_only: the database is PostgreSQL (PeerGate:Storage:Engine postgres); back it up with pg_dump or pg_basebackup (docs/storage.md)");
                return 1;
            }

            var result = DatabaseBackup.Take(PeerGateServer.DatabasePathOf(options), target, options.BusyTimeout);

            // Paths and sizes only; what the file holds is said, never shown.
            output.WriteLine($"backup written to {result.Path} ({result.Bytes} bytes, schema version {result.SchemaVersion}, integrity ok, mode 600)");
            output.WriteLine("it holds every device key, group key and registration: keep it owner-only and off shared storage");
            return 0;
        }
        catch (Exception exception) when (exception is BackupException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"peergate-server backup: {exception.Message}");
            return 1;
        }
    }

    /// <summary>The server's configuration sources in the server's order, without the web host.</summary>
    internal static IConfiguration Configuration(string[] args)
    {
        var environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
            ?? "Production";
        return new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false)
            .AddJsonFile($"appsettings.{environment}.json", optional: true, reloadOnChange: false)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
    }
}
