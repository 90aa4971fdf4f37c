using System.Globalization;

namespace PeerGate.CliSupport;

/// <summary>
/// Times as people and scripts read them: UTC "2026-12-02 04:51:07Z" in tables and lines, ISO 8601
/// "2026-12-02T04:51:07Z" in JSON. Unix seconds stay on the wire; they never reach a person.
/// </summary>
public static class CliTime
{
    public const string HumanFormat = "yyyy-MM-dd HH:mm:ss'Z'";

    public static string Human(long unixSeconds) => Human(DateTimeOffset.FromUnixTimeSeconds(unixSeconds));

    public static string Human(DateTimeOffset time) => time.UtcDateTime.ToString(HumanFormat, CultureInfo.InvariantCulture);

    /// <summary>The time for JSON: a UTC DateTime, which System.Text.Json writes as ISO 8601 with a Z.</summary>
    public static DateTime Json(long unixSeconds) => DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime;

    /// <summary>"in 5 min", "3 h ago": how far <paramref name="time"/> is from <paramref name="now"/>, for a quick read.</summary>
    public static string Relative(DateTimeOffset time, DateTimeOffset now)
    {
        var span = time - now;
        var magnitude = span.Duration();
        var text = magnitude.TotalSeconds < 60 ? $"{(int)magnitude.TotalSeconds} s"
            : magnitude.TotalMinutes < 60 ? $"{(int)magnitude.TotalMinutes} min"
            : magnitude.TotalHours < 48 ? $"{(int)magnitude.TotalHours} h"
            : $"{(int)magnitude.TotalDays} d";
        return span >= TimeSpan.Zero ? "in " + text : text + " ago";
    }

    /// <summary>"2026-12-02 04:51:07Z (in 5 min)": the absolute time with how far it is.</summary>
    public static string HumanWithRelative(long unixSeconds, DateTimeOffset now)
    {
        var time = DateTimeOffset.FromUnixTimeSeconds(unixSeconds);
        return $"{Human(time)} ({Relative(time, now)})";
    }
}
