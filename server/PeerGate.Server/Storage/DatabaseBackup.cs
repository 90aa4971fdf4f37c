using Microsoft.Data.Sqlite;

namespace PeerGate.Server.Storage;

/// <summary>
/// An online copy of the database, taken while the server runs: one consistent snapshot, owner-only,
/// checked before it gets its name. See docs/operating.md#backup-and-restore.
/// </summary>
/// <remarks>
/// <c>VACUUM INTO</c> rather than the page-by-page backup API: it reads in one read transaction (WAL
/// lets the server keep writing meanwhile), so the copy is the database as of one commit, and it
/// writes only live rows. Free pages, and whatever a deleted row left in them, are not copied at all,
/// which suits a file that held one-time session keys. SQLite does not sync the file it writes, so the
/// copy is synced here and renamed into place only once it is whole and passes integrity_check.
/// </remarks>
public static class DatabaseBackup
{
    /// <summary>What a finished backup holds.</summary>
    public sealed record Result(string Path, long Bytes, int SchemaVersion);

    /// <summary>Copies <paramref name="databasePath"/> to <paramref name="targetPath"/>, which must not exist yet.</summary>
    /// <exception cref="BackupException">The database is missing, the target exists or its folder does not, or the copy failed its check.</exception>
    public static Result Take(string databasePath, string targetPath, TimeSpan busyTimeout)
    {
        var source = System.IO.Path.GetFullPath(databasePath);
        var target = System.IO.Path.GetFullPath(targetPath);
        if (!File.Exists(source))
        {
            throw new BackupException($"there is no database at {source}; set PeerGate:DataDirectory (or PeerGate:DatabasePath) as the server has it");
        }

        if (File.Exists(target) || Directory.Exists(target))
        {
            throw new BackupException($"{target} exists already; a backup never overwrites a file, name a new one");
        }

        var folder = System.IO.Path.GetDirectoryName(target)!;
        if (!Directory.Exists(folder))
        {
            throw new BackupException($"the folder {folder} does not exist");
        }

        if (string.Equals(source, target, StringComparison.Ordinal))
        {
            throw new BackupException("the backup cannot be the database itself");
        }

        // Made empty and 600 before SQLite writes to it (VACUUM INTO accepts an empty file), so the
        // keys in it are never readable by another user, whatever the caller's umask.
        var partial = target + ".partial-" + Guid.NewGuid().ToString("N")[..8];
        OwnerOnly.CreateFile(partial);
        try
        {
            var busyMilliseconds = (int)Math.Clamp(busyTimeout.TotalMilliseconds, 0, int.MaxValue);
            using (var connection = Open(source, SqliteOpenMode.ReadWrite))
            {
                connection.Execute($"PRAGMA busy_timeout = {busyMilliseconds};");
                connection.Execute("VACUUM INTO @target;", ("@target", partial));
            }

            int schemaVersion;
            using (var copy = Open(partial, SqliteOpenMode.ReadOnly))
            {
                var integrity = Convert.ToString(copy.Scalar(null, "PRAGMA integrity_check;"), System.Globalization.CultureInfo.InvariantCulture);
                if (integrity != "ok")
                {
                    throw new BackupException($"the copy failed SQLite's integrity check ({integrity}); the database was not changed, try again");
                }

                schemaVersion = Convert.ToInt32(copy.Scalar(null, "PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture);
            }

            using (var stream = new FileStream(partial, FileMode.Open, FileAccess.ReadWrite))
            {
                stream.Flush(flushToDisk: true);
            }

            File.Move(partial, target, overwrite: false);
            OwnerOnly.Restrict(target);
            return new Result(target, new FileInfo(target).Length, schemaVersion);
        }
        catch (SqliteException exception)
        {
            throw new BackupException($"SQLite could not copy {source}: {exception.Message}", exception);
        }
        finally
        {
            foreach (var leftover in new[] { partial, partial + "-journal", partial + "-wal", partial + "-shm" })
            {
                File.Delete(leftover);
            }
        }
    }

    private static SqliteConnection Open(string path, SqliteOpenMode mode)
    {
        // Not pooled: the command ends right after, and a pooled handle would keep the copy open.
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }
}

/// <summary>A backup that could not be taken; the message says why, and names paths only.</summary>
public sealed class BackupException : Exception
{
    public BackupException(string message)
        : base(message)
    {
    }

    public BackupException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
