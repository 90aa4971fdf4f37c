using System.Globalization;
using Npgsql;
using PeerGate.Server.Storage;

namespace PeerGate.Server;

/// <summary>
/// <c>peergate-server copy-to-postgres --to "CONNECTION STRING" [--check-only] [--PeerGate:DataDirectory DIR ...]</c>:
/// moves a SQLite deployment, found through the same configuration the server reads, into an empty
/// PostgreSQL database and checks the copy table by table (<see cref="PostgresCopy"/>, docs/storage.md).
/// </summary>
public static class CopyToPostgresCommand
{
    public const string Name = "copy-to-postgres";

    /// <summary>Every table copied and matching.</summary>
    public const int Matched = 0;

    /// <summary>The copy failed and was rolled back, or the check found a table that differs.</summary>
    public const int Mismatched = 1;

    /// <summary>A usage error, or a source or target refused before anything was written.</summary>
    public const int Refused = 2;

    private const string Usage = "usage: peergate-server copy-to-postgres --to \"Host=...;Database=...;Username=...;Password=...\" [--check-only] [--PeerGate:DataDirectory DIR | --PeerGate:DatabasePath FILE]";

    /// <summary>Runs the command; see <see cref="Matched"/>, <see cref="Mismatched"/> and <see cref="Refused"/>.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var arguments = CommandArguments.Parse(args, "--check-only");
        if (arguments.Help)
        {
            output.WriteLine(Usage);
            return Matched;
        }

        if (arguments.Unexpected >= 0)
        {
            // Not echoed: a connection string given without --to would be printed with its password.
            error.WriteLine($"peergate-server {Name}: unexpected argument {arguments.Unexpected + 1}");
            error.WriteLine(Usage);
            return Refused;
        }

        var target = arguments.Target;
        var checkOnly = arguments.Switches.Contains("--check-only");
        if (string.IsNullOrWhiteSpace(target))
        {
            error.WriteLine($"peergate-server {Name}: --to \"CONNECTION STRING\" (the PostgreSQL database to copy into) is required");
            error.WriteLine(Usage);
            return Refused;
        }

        string? password = null;
        string where;
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(target);
            password = builder.Password;
            where = PostgresCopy.Describe(target);
        }
        catch (ArgumentException)
        {
            // The parser's message may quote the text it could not read, and that may be the password.
            error.WriteLine($"peergate-server {Name}: target_invalid: --to is not an Npgsql connection string (Host=...;Database=...;Username=...;Password=...)");
            return Refused;
        }

        try
        {
            var options = new ServerOptions { Args = arguments.Configuration };
            PeerGateServer.ApplyConfiguration(options, BackupCommand.Configuration(options.Args));
            var source = PeerGateServer.DatabasePathOf(options);
            output.WriteLine(checkOnly
                ? $"checking {Path.GetFullPath(source)} against {where}"
                : $"copying {Path.GetFullPath(source)} to {where}");

            var result = checkOnly
                ? PostgresCopy.Check(source, target, options.BusyTimeout)
                : PostgresCopy.Copy(source, target, options.BusyTimeout);
            Print(result, output);
            return result.Matches ? Matched : Mismatched;
        }
        catch (CopyException exception)
        {
            error.WriteLine(Redact($"peergate-server {Name}: {exception.Code}: {exception.Message}", password));
            return exception.Code == PostgresCopy.CopyFailed ? Mismatched : Refused;
        }
        catch (Exception exception) when (exception is InvalidOperationException or IOException or UnauthorizedAccessException or NpgsqlException)
        {
            error.WriteLine(Redact($"peergate-server {Name}: {exception.Message}", password));
            return Refused;
        }
    }

    /// <summary>One line per table, aligned, then the verdict.</summary>
    private static void Print(PostgresCopy.Result result, TextWriter output)
    {
        static string Rows(long rows) => rows < 0 ? "-" : rows.ToString(CultureInfo.InvariantCulture);

        var width = Math.Max("table".Length, result.Tables.Select(table => table.Table.Length).DefaultIfEmpty(0).Max());
        output.WriteLine($"{"table".PadRight(width)}  {"source rows",12}  {"target rows",12}  check");
        foreach (var table in result.Tables)
        {
            output.WriteLine($"{table.Table.PadRight(width)}  {Rows(table.SourceRows),12}  {Rows(table.TargetRows),12}  {(table.Matches ? "OK" : "MISMATCH")}");
        }

        var differing = result.Tables.Count(table => !table.Matches);
        output.WriteLine(differing == 0
            ? $"all {result.Tables.Count} tables match (schema version {result.SchemaVersion})"
            : $"MISMATCH: {differing} of {result.Tables.Count} tables differ between the source and the target");
    }

    // Belt and braces: no message of ours names the password, but one passed on from a driver is checked too.
    private static string Redact(string message, string? password) =>
        string.IsNullOrEmpty(password) ? message : message.Replace(password, "(password)", StringComparison.Ordinal);
}
