using System.Data.Common;
using PeerGate.Protocol;
using PeerGate.Server.Http;
using PeerGate.Server.Storage;

namespace PeerGate.Server.Sessions;

/// <summary>
/// How long and how large a session may be (F23, F24). Each device's maximum is the operator's
/// per-device setting, else the server's; a session gets the stricter of its two devices' maxima.
/// </summary>
public sealed class SessionPolicy(Database database, ServerOptions options)
{
    /// <summary>The lifetime and byte limit a new session gets for what the caller asked (0 seconds: the default; 0 bytes: none).</summary>
    public (long Seconds, long Bytes) Issue(string caller, string callee, int requestedSeconds, long requestedBytes)
    {
        var maxima = database.Read(connection => Maxima(connection, null, caller, callee));
        var seconds = Math.Min(requestedSeconds == 0 ? options.DefaultSessionSeconds : requestedSeconds, maxima.Seconds);
        var bytes = maxima.Bytes == 0 ? requestedBytes : requestedBytes == 0 ? maxima.Bytes : Math.Min(requestedBytes, maxima.Bytes);
        return (seconds, bytes);
    }

    /// <summary>
    /// The stricter of the two devices' maxima; bytes 0 means no cap from the policy. Both stay within
    /// <see cref="FieldRanges"/> whatever was configured, so a limit computed from them never wraps.
    /// </summary>
    public SessionMaxima Maxima(DbConnection connection, DbTransaction? transaction, string first, string second)
    {
        var a = Of(connection, transaction, first);
        var b = Of(connection, transaction, second);
        var bytes = a.Bytes <= 0 ? b.Bytes : b.Bytes <= 0 ? a.Bytes : Math.Min(a.Bytes, b.Bytes);
        var seconds = Math.Clamp(Math.Min(a.Seconds, b.Seconds), 0, FieldRanges.MaxSessionSeconds);
        return new SessionMaxima(seconds, Math.Clamp(bytes, 0, FieldRanges.MaxSessionBytes));
    }

    /// <summary>
    /// The limits after an extension (F24): each grows by what was asked, up to the maxima (time counted
    /// from the start), never shrinks, and a byte limit of 0 (none) stays 0. Sums saturate at the cap, so
    /// no value a device sends can wrap a limit, and a non-zero byte limit never becomes 0; without a
    /// byte cap in the policy, <see cref="FieldRanges.MaxSessionBytes"/> is the cap.
    /// </summary>
    public static (long EndsAt, long ByteLimit) Extend(long startedAt, long endsAt, long byteLimit, long addSeconds, long addBytes, SessionMaxima maxima)
    {
        var newEndsAt = Math.Max(endsAt, Math.Min(SaturatingAdd(endsAt, addSeconds), SaturatingAdd(startedAt, maxima.Seconds)));
        if (byteLimit == 0)
        {
            return (newEndsAt, 0);
        }

        var byteCap = maxima.Bytes == 0 ? FieldRanges.MaxSessionBytes : maxima.Bytes;
        return (newEndsAt, Math.Max(byteLimit, Math.Min(SaturatingAdd(byteLimit, addBytes), byteCap)));
    }

    /// <summary><paramref name="value"/> + <paramref name="add"/> (not negative), or long.MaxValue where that would overflow.</summary>
    public static long SaturatingAdd(long value, long add) =>
        add > 0 && value > long.MaxValue - add ? long.MaxValue : value + Math.Max(add, 0);

    /// <summary>Sets (or with both 0, removes) a terminal's own maxima; committed before returning.</summary>
    public Task SetAsync(string terminalId, long maxSeconds, long maxBytes) => database.WriteAsync((connection, transaction) =>
        maxSeconds == 0 && maxBytes == 0
            ? connection.Execute(transaction, "DELETE FROM session_policies WHERE terminal_id = @terminal;", ("@terminal", terminalId))
            : connection.Execute(
                transaction,
                "INSERT INTO session_policies (terminal_id, max_seconds, max_bytes) VALUES (@terminal, @seconds, @bytes) " +
                "ON CONFLICT (terminal_id) DO UPDATE SET max_seconds = excluded.max_seconds, max_bytes = excluded.max_bytes;",
                ("@terminal", terminalId), ("@seconds", maxSeconds), ("@bytes", maxBytes)));

    private SessionMaxima Of(DbConnection connection, DbTransaction? transaction, string terminalId)
    {
        using var command = connection.Command(transaction, "SELECT max_seconds, max_bytes FROM session_policies WHERE terminal_id = @terminal;", ("@terminal", terminalId));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return new SessionMaxima(options.MaxSessionSeconds, options.MaxSessionBytes);
        }

        // A field the operator left at 0 falls back to the server's maximum.
        var seconds = reader.GetInt64(0);
        var bytes = reader.GetInt64(1);
        return new SessionMaxima(seconds > 0 ? seconds : options.MaxSessionSeconds, bytes > 0 ? bytes : options.MaxSessionBytes);
    }
}

/// <summary>The most a session may last in total (seconds from its start) and carry (bytes, 0 for no cap).</summary>
public readonly record struct SessionMaxima(long Seconds, long Bytes);
