using Microsoft.Data.Sqlite;
using Npgsql;
using PeerGate.Protocol;

namespace PeerGate.Server.Storage;

/// <summary>
/// The faults of the storage underneath, not of the request: a full disk, a read-only or locked
/// database, an I/O error. Each is answered 503 with its own code and a Retry-After, and readiness
/// reports it; the server recovers by itself once the fault clears.
/// </summary>
public sealed record StorageFault(string Code, int RetryAfterSeconds, string Detail)
{
    // A lock is held by another process (a backup, an operator's sqlite3): usually short.
    private const int BusyRetrySeconds = 2;

    // Disk full, read-only, I/O errors: an operator has to act; devices should not press meanwhile.
    private const int OutageRetrySeconds = 30;

    public static readonly StorageFault Full = new(ErrorCodes.StorageFull, OutageRetrySeconds, "The server's disk is full; try again later.");

    public static readonly StorageFault ReadOnly = new(ErrorCodes.StorageReadOnly, OutageRetrySeconds, "The server's database is read-only; try again later.");

    public static readonly StorageFault Busy = new(ErrorCodes.StorageBusy, BusyRetrySeconds, "The server's database is locked; try again shortly.");

    public static readonly StorageFault Unavailable = new(ErrorCodes.StorageUnavailable, OutageRetrySeconds, "The server cannot reach its database; try again later.");

    // Less room than this beside the database is a full disk: a few WAL frames of 4 KiB pages.
    private const long MinFreeBytes = 64 * 1024;

    /// <summary>
    /// The storage fault <paramref name="exception"/> stands for, or null when it is none. With
    /// <paramref name="databasePath"/>, an I/O error while its file system has no room left is a full
    /// disk: SQLite reports ENOSPC on a WAL or shared-memory write as SQLITE_IOERR, not SQLITE_FULL.
    /// </summary>
    public static StorageFault? Of(Exception exception, string? databasePath = null) => exception switch
    {
        // Primary result codes; the extended ones (e.g. SQLITE_IOERR_WRITE) carry them in the low byte.
        SqliteException sqlite => (sqlite.SqliteErrorCode & 0xFF) switch
        {
            13 => Full,                 // SQLITE_FULL
            8 => ReadOnly,              // SQLITE_READONLY
            5 or 6 => Busy,             // SQLITE_BUSY, SQLITE_LOCKED
            10 => NoRoomBeside(databasePath) ? Full : Unavailable, // SQLITE_IOERR
            14 => Unavailable,          // SQLITE_CANTOPEN
            _ => null,
        },
        // PostgreSQL's SQLSTATE classes: the server's disk full (53100), a read-only transaction or
        // standby (25006), the write lock not had in lock_timeout (55P03) or a deadlock (40P01); the
        // server going away or not reachable (class 08, 57P0x) is an outage.
        PostgresException postgres => postgres.SqlState switch
        {
            PostgresErrorCodes.DiskFull => Full,
            PostgresErrorCodes.ReadOnlySqlTransaction => ReadOnly,
            PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure => Busy,
            PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow => Unavailable,
            { } state when state.StartsWith("08", StringComparison.Ordinal) => Unavailable,
            _ => null,
        },

        // No answer from the server at all: a refused or broken connection, a timeout.
        NpgsqlException { InnerException: IOException or System.Net.Sockets.SocketException or TimeoutException } => Unavailable,
        IOException io when IsDiskFull(io) => Full,
        StorageFaultException refused => refused.Fault,

        // A fault reaching us wrapped (a task, a type initializer) is still the same fault.
        { InnerException: { } inner } => Of(inner, databasePath),
        _ => null,
    };

    private static bool NoRoomBeside(string? databasePath)
    {
        if (databasePath is null || Path.GetDirectoryName(databasePath) is not { Length: > 0 } directory)
        {
            return false;
        }

        try
        {
            return new DriveInfo(directory).AvailableFreeSpace < MinFreeBytes;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>ENOSPC on Unix (the errno is the HResult); ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL on Windows.</summary>
    private static bool IsDiskFull(IOException exception) =>
        OperatingSystem.IsWindows()
            ? (exception.HResult & 0xFFFF) is 0x70 or 0x27
            : exception.HResult == 28;
}
